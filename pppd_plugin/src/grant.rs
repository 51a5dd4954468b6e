//! What an Access-Accept grants a PPP session, read from its attributes
//! (no pppd access here: [`crate::session`] applies it).

use radius_core::dictionary;
use radius_core::packet::attr::{self, framed_protocol, ms, service_type};
use ipnet::Ipv6Net;
use radius_core::packet::ipv6_prefix;
use radius_core::packet::wire::{self, Attribute};
use radius_ffi::pppd::Ipv6Route;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The peer's address, per Framed-IP-Address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeerAddress {
    /// No Framed-IP-Address, or 0xFFFFFFFE: pppd's own (options, ip-pool).
    #[default]
    NasChooses,
    /// 0xFFFFFFFF: the peer may ask for any.
    PeerChooses,
    /// This address.
    Fixed(Ipv4Addr),
}

/// Everything the plugin applies from an Access-Accept (the default: what
/// an Accept without attributes grants).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grant {
    /// The peer's IPv4 address.
    pub address: PeerAddress,
    /// Framed-IP-Netmask.
    pub netmask: Option<Ipv4Addr>,
    /// Framed-MTU.
    pub mtu: Option<u32>,
    /// Session-Timeout (seconds).
    pub session_timeout: Option<u32>,
    /// Idle-Timeout (seconds).
    pub idle_timeout: Option<u32>,
    /// Session-Octets-Limit and Octets-Direction (radius.so's traffic limit,
    /// pppd's `maxoctets`): bytes, and which count.
    pub octets_limit: Option<(u32, u32)>,
    /// Acct-Interim-Interval (seconds, before the floor).
    pub interim_interval: Option<u32>,
    /// Class values, echoed in accounting.
    pub classes: Vec<Vec<u8>>,
    /// MS-Primary/Secondary-DNS-Server.
    pub dns: (Option<Ipv4Addr>, Option<Ipv4Addr>),
    /// Framed-Interface-Id (the peer's IPv6CP interface identifier).
    pub interface_id: Option<[u8; 8]>,
    /// MS-MPPE-Encryption-Policy and -Types.
    pub mppe_policy: Option<(u32, u32)>,
    /// Framed-IPv6-Prefix: the link's prefix (routed through it, in accounting).
    pub framed_ipv6_prefix: Option<Ipv6Net>,
    /// Delegated-IPv6-Prefix (RFC 4818): the subscriber's (routed, in accounting).
    pub delegated_ipv6_prefix: Option<Ipv6Net>,
    /// Framed-IPv6-Route values.
    pub framed_ipv6_routes: Vec<Ipv6Route>,
    /// Attributes that could not be used (logged, not refused).
    pub unusable: Vec<String>,
    /// `RADIUS_*` variables for the ip-up/ip-down/ipv6-up scripts.
    pub script_env: Vec<(String, String)>,
    /// `radattr.pppN` lines.
    pub radattr: Vec<String>,
}

/// Why an Access-Accept cannot be used (the peer is rejected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Service-Type other than Framed.
    #[error("the server granted Service-Type {0}, not Framed-User: refusing the PPP peer")]
    WrongServiceType(u32),
    /// Framed-Protocol other than PPP.
    #[error("the server granted Framed-Protocol {0}, not PPP: refusing the peer")]
    WrongFramedProtocol(u32),
    /// A Framed-IP-Address the peer may not be given.
    #[error("the server granted the unusable Framed-IP-Address {0}")]
    BadAddress(Ipv4Addr),
}

fn integer(value: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(value).ok().map(u32::from_be_bytes)
}

fn ipv4(value: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from)
}

/// A Framed-IPv6-Route value (RFC 3162 2.5): `prefix/len [gateway
/// [metric]]`, the gateway `::` (or absent) meaning the link itself.
pub fn framed_ipv6_route(text: &str) -> Option<Ipv6Route> {
    let mut words = text.split_whitespace();
    let net: Ipv6Net = words.next()?.parse().ok()?;
    let gateway = match words.next() {
        None => None,
        Some(g) => Some(g.parse::<Ipv6Addr>().ok()?).filter(|g| !g.is_unspecified()),
    };
    let metric = match words.next() {
        None => 0,
        Some(m) => m.parse().ok()?,
    };
    if words.next().is_some() {
        return None;
    }
    let net = net.trunc();
    Some(Ipv6Route { prefix: net.addr(), len: net.prefix_len(), gateway, metric })
}

impl Grant {
    /// The IPv6 routes through the link at IPv6 up: the link's prefix, the
    /// delegated prefix, then each Framed-IPv6-Route.
    pub fn ipv6_routes(&self) -> Vec<Ipv6Route> {
        let through_link = |n: &Ipv6Net| Ipv6Route { prefix: n.addr(), len: n.prefix_len(), gateway: None, metric: 0 };
        let mut routes: Vec<Ipv6Route> = self.framed_ipv6_prefix.iter().chain(&self.delegated_ipv6_prefix).map(through_link).collect();
        routes.extend(self.framed_ipv6_routes.iter().copied());
        routes
    }
}

/// Reads the attributes of an Access-Accept.
pub fn from_attributes(attributes: &[Attribute]) -> Result<Grant, GrantError> {
    let mut g = Grant::default();
    let (mut policy, mut types) = (None, None);
    let (mut octets, mut direction) = (None, 0);
    for a in attributes {
        match a.typ {
            attr::SERVICE_TYPE => match integer(&a.value) {
                Some(service_type::FRAMED) => {}
                other => return Err(GrantError::WrongServiceType(other.unwrap_or(0))),
            },
            attr::FRAMED_PROTOCOL => match integer(&a.value) {
                Some(framed_protocol::PPP) => {}
                other => return Err(GrantError::WrongFramedProtocol(other.unwrap_or(0))),
            },
            attr::FRAMED_IP_ADDRESS => {
                g.address = match integer(&a.value) {
                    Some(0xFFFF_FFFF) => PeerAddress::PeerChooses,
                    Some(0xFFFF_FFFE) | None => PeerAddress::NasChooses,
                    Some(n) => {
                        let ip = Ipv4Addr::from(n);
                        if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.is_broadcast() {
                            return Err(GrantError::BadAddress(ip));
                        }
                        PeerAddress::Fixed(ip)
                    }
                }
            }
            attr::FRAMED_IP_NETMASK => g.netmask = ipv4(&a.value),
            attr::FRAMED_MTU => g.mtu = integer(&a.value),
            attr::SESSION_TIMEOUT => g.session_timeout = integer(&a.value).filter(|&n| n > 0),
            attr::IDLE_TIMEOUT => g.idle_timeout = integer(&a.value).filter(|&n| n > 0),
            attr::ACCT_INTERIM_INTERVAL => g.interim_interval = integer(&a.value).filter(|&n| n > 0),
            attr::CLASS => g.classes.push(a.value.clone()),
            attr::SESSION_OCTETS_LIMIT => {
                if let Some(n) = integer(&a.value).filter(|&n| n > 0) {
                    octets = Some(n);
                }
            }
            attr::OCTETS_DIRECTION => {
                // As radius.so: an unknown direction counts both ways.
                direction = integer(&a.value).filter(|&d| d <= 4).unwrap_or(0);
            }
            attr::FRAMED_INTERFACE_ID => g.interface_id = <[u8; 8]>::try_from(a.value.as_slice()).ok(),
            attr::FRAMED_IPV6_PREFIX | attr::DELEGATED_IPV6_PREFIX => {
                let name = if a.typ == attr::FRAMED_IPV6_PREFIX { "Framed-IPv6-Prefix" } else { "Delegated-IPv6-Prefix" };
                match ipv6_prefix::decode(&a.value) {
                    Some(p) if a.typ == attr::FRAMED_IPV6_PREFIX => g.framed_ipv6_prefix = Some(p),
                    Some(p) => g.delegated_ipv6_prefix = Some(p),
                    None => g.unusable.push(format!("a malformed {name} ({} bytes)", a.value.len())),
                }
            }
            attr::FRAMED_IPV6_ROUTE => match framed_ipv6_route(&String::from_utf8_lossy(&a.value)) {
                Some(r) => g.framed_ipv6_routes.push(r),
                None => g.unusable.push(format!("the Framed-IPv6-Route {:?}", String::from_utf8_lossy(&a.value))),
            },
            _ => {}
        }
    }
    let vendor = attributes.iter().filter(|a| a.typ == attr::VENDOR_SPECIFIC).filter_map(|a| wire::vendor_attributes(&a.value));
    for v in vendor.flatten() {
        if v.vendor != ms::VENDOR {
            continue;
        }
        match v.typ {
            ms::PRIMARY_DNS_SERVER => g.dns.0 = ipv4(&v.value),
            ms::SECONDARY_DNS_SERVER => g.dns.1 = ipv4(&v.value),
            ms::MPPE_ENCRYPTION_POLICY => policy = integer(&v.value),
            ms::MPPE_ENCRYPTION_TYPES => types = integer(&v.value),
            _ => {}
        }
    }
    g.octets_limit = octets.map(|n| (n, direction));
    if let (Some(p), t) = (policy, types) {
        g.mppe_policy = Some((p, t.unwrap_or(0)));
    }
    g.script_env = dictionary::script_env(attributes);
    for a in attributes.iter().filter(|a| !matches!(a.typ, attr::MESSAGE_AUTHENTICATOR | attr::STATE | attr::PROXY_STATE)) {
        g.radattr.extend(dictionary::radattr_lines(a));
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(attrs: &[(u8, Vec<u8>)]) -> Vec<Attribute> {
        attrs.iter().map(|(t, v)| Attribute { typ: *t, value: v.clone(), offset: 0 }).collect()
    }

    #[test]
    fn reads_what_the_server_granted() {
        let g = from_attributes(&reply(&[
            (6, 2u32.to_be_bytes().to_vec()),
            (7, 1u32.to_be_bytes().to_vec()),
            (8, vec![10, 64, 0, 7]),
            (9, vec![255, 255, 255, 0]),
            (12, 1400u32.to_be_bytes().to_vec()),
            (27, 30u32.to_be_bytes().to_vec()),
            (28, 600u32.to_be_bytes().to_vec()),
            (85, 5u32.to_be_bytes().to_vec()),
            (25, b"gold".to_vec()),
            (228, 2u32.to_be_bytes().to_vec()),
            (227, 1_000_000u32.to_be_bytes().to_vec()),
            (22, b"10.1.0.0/24 10.64.0.7 1".to_vec()),
            (22, b"10.2.0.0/24 10.64.0.7 1".to_vec()),
            (11, b"std.in".to_vec()),
            (96, vec![0, 0, 0, 0, 0, 0, 0, 7]),
            (123, vec![0, 56, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x12]),
            (97, vec![0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2]),
            (99, b"2001:db8:ff::/48 2001:db8::1 5".to_vec()),
            (99, b"2001:db8:fe::/48 ::".to_vec()),
            (99, b"not a route".to_vec()),
            (169, "2001:db8::53".parse::<Ipv6Addr>().unwrap().octets().to_vec()),
            (26, wire::vendor_value(14988, 8, b"10M/20M")),
            (26, wire::vendor_value(311, 28, &[192, 0, 2, 53])),
            (80, vec![0; 16]),
        ]))
        .unwrap();
        assert_eq!(g.address, PeerAddress::Fixed(Ipv4Addr::new(10, 64, 0, 7)));
        assert_eq!(g.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!((g.mtu, g.session_timeout, g.idle_timeout, g.interim_interval), (Some(1400), Some(30), Some(600), Some(5)));
        assert_eq!(g.classes, vec![b"gold".to_vec()]);
        assert_eq!(g.octets_limit, Some((1_000_000, 2)));
        assert_eq!(g.interface_id, Some([0, 0, 0, 0, 0, 0, 0, 7]));
        assert_eq!(g.dns, (Some(Ipv4Addr::new(192, 0, 2, 53)), None));
        let env = |n: &str| g.script_env.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(env("RADIUS_FRAMED_ROUTE"), Some("10.1.0.0/24 10.64.0.7 1;10.2.0.0/24 10.64.0.7 1"));
        assert_eq!(env("RADIUS_FILTER_ID"), Some("std.in"));
        assert_eq!(env("RADIUS_MIKROTIK_RATE_LIMIT"), Some("10M/20M"));
        assert_eq!(env("RADIUS_DELEGATED_IPV6_PREFIX"), Some("2001:db8:0:1200::/56"));
        assert_eq!(g.delegated_ipv6_prefix, Some("2001:db8:0:1200::/56".parse().unwrap()));
        assert_eq!(env("RADIUS_DNS_SERVER_IPV6_ADDRESS"), Some("2001:db8::53"));
        let routes: Vec<String> = g.ipv6_routes().iter().map(|r| r.to_string()).collect();
        assert_eq!(routes, ["2001:db8:1:2::/64", "2001:db8:0:1200::/56", "2001:db8:ff::/48 via 2001:db8::1 metric 5", "2001:db8:fe::/48"]);
        assert_eq!(g.unusable.len(), 1, "{:?}", g.unusable);
        assert_eq!(env("RADIUS_MESSAGE_AUTHENTICATOR"), None);
        assert!(g.radattr.contains(&"Framed-IP-Address 10.64.0.7".to_string()));
        assert!(g.radattr.contains(&"Service-Type Framed-User".to_string()));
    }

    #[test]
    fn special_addresses_and_refusals() {
        let addr = |n: u32| from_attributes(&reply(&[(8, n.to_be_bytes().to_vec())])).map(|g| g.address);
        assert_eq!(addr(0xFFFF_FFFF), Ok(PeerAddress::PeerChooses));
        assert_eq!(addr(0xFFFF_FFFE), Ok(PeerAddress::NasChooses));
        assert_eq!(addr(0x7F00_0001), Err(GrantError::BadAddress(Ipv4Addr::LOCALHOST)));
        assert_eq!(from_attributes(&reply(&[(6, 1u32.to_be_bytes().to_vec())])), Err(GrantError::WrongServiceType(1)));
        assert_eq!(from_attributes(&reply(&[(7, 2u32.to_be_bytes().to_vec())])), Err(GrantError::WrongFramedProtocol(2)));
        assert_eq!(from_attributes(&reply(&[])).unwrap().address, PeerAddress::NasChooses);
    }
}
