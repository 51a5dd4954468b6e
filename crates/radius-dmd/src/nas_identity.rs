//! Is a request meant for this NAS? NAS-Identifier, NAS-IP-Address and
//! NAS-IPv6-Address, when present, must name us (RFC 5176 3: otherwise
//! NAK with Error-Cause 403).

use radius_core::packet::attr;
use radius_core::packet::wire::Attribute;
use radius_core::Config;
use std::net::IpAddr;

/// Who we are.
#[derive(Debug, Clone, Default)]
pub struct NasIdentity {
    /// Our NAS-Identifier (configured, or this host's name).
    pub identifier: String,
    /// Our addresses: the configured NAS address and every address on
    /// this host's interfaces (where the source address the plugins send
    /// by default is always one).
    pub addresses: Vec<IpAddr>,
}

impl NasIdentity {
    /// Our identity under `config`.
    pub fn of_host(config: &Config) -> NasIdentity {
        let host = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
        let identifier = config.client.nas_identifier.clone().unwrap_or(host);
        let mut addresses: Vec<IpAddr> = config.client.nas_ip_address.into_iter().collect();
        if let Ok(ifaces) = nix::ifaddrs::getifaddrs() {
            for a in ifaces.filter_map(|i| i.address) {
                if let Some(v4) = a.as_sockaddr_in() {
                    addresses.push(IpAddr::V4(v4.ip()));
                } else if let Some(v6) = a.as_sockaddr_in6() {
                    addresses.push(IpAddr::V6(v6.ip()));
                }
            }
        }
        addresses.sort();
        addresses.dedup();
        NasIdentity { identifier, addresses }
    }

    /// Does every NAS identification attribute of the request name us?
    pub fn matches(&self, attributes: &[Attribute]) -> bool {
        attributes.iter().all(|a| match a.typ {
            attr::NAS_IDENTIFIER => a.value == self.identifier.as_bytes(),
            attr::NAS_IP_ADDRESS => <[u8; 4]>::try_from(a.value.as_slice()).is_ok_and(|ip| self.addresses.contains(&IpAddr::from(ip))),
            attr::NAS_IPV6_ADDRESS => <[u8; 16]>::try_from(a.value.as_slice()).is_ok_and(|ip| self.addresses.contains(&IpAddr::from(ip))),
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request naming another NAS does not match; one naming none or us does.
    #[test]
    fn names_us_or_not() {
        let me = NasIdentity { identifier: "bras1".into(), addresses: vec!["192.0.2.1".parse().unwrap()] };
        let a = |typ: u8, value: &[u8]| Attribute { typ, value: value.to_vec(), offset: 0 };
        assert!(me.matches(&[a(1, b"alice")]));
        assert!(me.matches(&[a(32, b"bras1"), a(4, &[192, 0, 2, 1])]));
        assert!(!me.matches(&[a(32, b"bras2")]));
        assert!(!me.matches(&[a(4, &[192, 0, 2, 9])]));
        assert!(!me.matches(&[a(95, &[0; 16])]));
    }
}
