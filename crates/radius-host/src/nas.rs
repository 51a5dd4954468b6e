//! NAS-IP-Address / NAS-IPv6-Address for requests, as pam_radius_auth and
//! radiusclient (pppd's radius.so) send them: the addresses of `hostname=` or of this host's name, unless
//! the configuration names one (`client.nas_ip_address`, sent by the core).

use radius_core::config::{Config, Families};
use radius_core::packet::attr;
use radius_core::packet::AttributeList;
use std::net::ToSocketAddrs;

/// The attributes to add to a request (empty when the config sets the address).
pub fn address_attributes(config: &Config, hostname: Option<&str>, families: Families) -> AttributeList {
    if config.client.nas_ip_address.is_some() {
        return AttributeList::new();
    }
    let name = match hostname {
        Some(h) => h.to_string(),
        None => match nix::unistd::gethostname() {
            Ok(h) => h.to_string_lossy().into_owned(),
            Err(_) => return AttributeList::new(),
        },
    };
    let Ok(addrs) = (name.as_str(), 0).to_socket_addrs() else { return AttributeList::new() };
    let mut out = AttributeList::new();
    for ip in addrs.map(|a| a.ip()).filter(|ip| families.allows(*ip)) {
        let typ = if ip.is_ipv4() { attr::NAS_IP_ADDRESS } else { attr::NAS_IPV6_ADDRESS };
        if !out.contains(typ) {
            out.nas_address(ip);
        }
    }
    out
}
