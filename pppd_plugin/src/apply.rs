//! Applying what was decided to pppd: the RADIUS grant (netmask, MTU, DNS,
//! interface id, MPPE policy, the scripts' environment, the radattr file)
//! and the peer's address.

use crate::grant::{Grant, PeerAddress};
use crate::radattr;
use crate::settings::Settings;
use crate::state::{Authenticated, Decider, State};
use radius_core::log::Level;
use radius_ffi::pppd::PppdHost;
use std::net::Ipv4Addr;

/// Applies what RADIUS granted (once per link).
pub fn grant(host: &impl PppdHost, settings: &Settings, g: &Grant) {
    for what in &g.unusable {
        host.log(Level::Warning, &format!("ignoring {what} in the Access-Accept"));
    }
    if let Some(mask) = g.netmask {
        host.set_netmask(mask);
    }
    if let Some(mtu) = g.mtu {
        host.limit_mtu(mtu);
    }
    match g.dns {
        (Some(a), b) => host.set_dns_servers(a, b.unwrap_or(a)),
        (None, Some(b)) => host.set_dns_servers(b, b),
        (None, None) => {}
    }
    if let Some(id) = g.interface_id {
        host.set_peer_interface_id(id);
    }
    if let Some((limit, direction)) = g.octets_limit {
        host.set_session_octets_limit(limit, direction);
    }
    if let Some((policy, types)) = g.mppe_policy {
        host.set_mppe_policy(policy, types);
    }
    for (name, value) in &g.script_env {
        host.script_setenv(name, value);
    }
    let dir = &settings.config.ppp.radattr_dir;
    if let Err(e) = radattr::write(dir, &host.ifname(), &g.radattr) {
        host.log(Level::Warning, &format!("cannot write {}: {e}", radattr::path(dir, &host.ifname()).display()));
    }
}

/// The address RADIUS fixed for the peer.
pub fn choose_ip(st: &State) -> Option<Ipv4Addr> {
    match &st.auth {
        Some(Authenticated { by: Decider::Radius { grant }, .. }) => match grant.address {
            PeerAddress::Fixed(ip) => Some(ip),
            _ => None,
        },
        _ => None,
    }
}

/// May the peer use `addr`? `None`: pppd decides.
pub fn allowed_address(st: &State, host: &impl PppdHost, addr: Ipv4Addr) -> Option<bool> {
    match &st.auth {
        Some(Authenticated { by: Decider::Radius { grant }, .. }) => Some(match grant.address {
            PeerAddress::Fixed(ip) => ip == addr,
            PeerAddress::PeerChooses => true,
            PeerAddress::NasChooses => host.configured_peer_address() == Some(addr),
        }),
        Some(Authenticated { by: Decider::Local { addresses: Some(list) }, .. }) => Some(list.allows(addr)),
        _ => None,
    }
}
