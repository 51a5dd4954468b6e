//! NAS-IP-Address / NAS-IPv6-Address of a named host (pam_radius_auth's
//! `hostname=`). Without a name, nothing is looked up: the configured
//! `client.nas_ip_address`, else the address each request goes out from,
//! is sent by the core.

use radius_core::config::{Config, Families};
use radius_core::packet::attr;
use radius_core::packet::AttributeList;
use std::net::ToSocketAddrs;

/// The addresses of `hostname` as attributes, first of each family in
/// `families` (empty when the config sets the address, or the name does
/// not resolve).
pub fn hostname_attributes(config: &Config, hostname: &str, families: Families) -> AttributeList {
    let mut out = AttributeList::new();
    if config.client.nas_ip_address.is_some() {
        return out;
    }
    let Ok(addrs) = (hostname, 0).to_socket_addrs() else { return out };
    for ip in addrs.map(|a| a.ip()).filter(|ip| families.allows(*ip)) {
        let typ = if ip.is_ipv4() { attr::NAS_IP_ADDRESS } else { attr::NAS_IPV6_ADDRESS };
        if !out.contains(typ) {
            out.nas_address(ip);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A name resolves to its address; the config's address wins.
    #[test]
    fn named_host_unless_configured() {
        let plain = Config::from_toml("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n", Path::new("/r.toml")).unwrap();
        let got = hostname_attributes(&plain, "localhost", Families::default());
        assert!(got.contains(attr::NAS_IP_ADDRESS) || got.contains(attr::NAS_IPV6_ADDRESS), "{got:?}");
        let set = Config::from_toml(
            "[client]\nnas_ip_address = \"192.0.2.1\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n",
            Path::new("/r.toml"),
        )
        .unwrap();
        assert!(hostname_attributes(&set, "localhost", Families::default()).is_empty());
    }
}
