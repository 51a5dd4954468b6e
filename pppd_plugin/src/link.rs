//! What the link is, as RADIUS names it: NAS-Port, NAS-Port-Type,
//! NAS-Port-Id, Calling-Station-Id.

use radius_core::packet::attr::nas_port_type;
use radius_core::ppp_session::Port;
use radius_ffi::pppd::{LinkKind, PppdHost};

/// The link's identity, read once from pppd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `ppp0`.
    pub ifname: String,
    /// The unit number.
    pub unit: i32,
    /// The device (`/dev/pts/3`, the PPPoE Ethernet interface).
    pub devnam: String,
    /// How the link reaches pppd.
    pub kind: LinkKind,
    /// The PPPoE peer's MAC / caller id, else `ipparam`.
    pub calling_station_id: String,
    /// Our authentication name.
    pub our_name: String,
    /// `map-to-ttyname` was given.
    pub map_to_ttyname: bool,
}

impl Link {
    /// Reads the link from pppd.
    pub fn read(host: &impl PppdHost) -> Link {
        let remote = host.remote_number();
        let user_mode_pppoe = host.pty_command().as_deref().and_then(pppoe_pty_peer);
        let (kind, devnam, remote) = match user_mode_pppoe {
            Some((iface, mac)) if remote.is_empty() => (LinkKind::Pppoe, iface, mac),
            _ => (host.link_kind(), host.devnam(), remote),
        };
        Link {
            ifname: host.ifname(),
            unit: host.unit(),
            devnam,
            kind,
            calling_station_id: if remote.is_empty() { host.ipparam().unwrap_or_default() } else { remote },
            our_name: host.our_name(),
            map_to_ttyname: host.map_to_ttyname(),
        }
    }

    /// The port as RADIUS names it; `called_station_id` from the configuration.
    pub fn port(&self, called_station_id: &str) -> Port {
        Port {
            nas_port: self.nas_port(),
            nas_port_id: self.nas_port_id(),
            nas_port_type: self.nas_port_type(),
            calling_station_id: self.calling_station_id.clone(),
            called_station_id: called_station_id.to_string(),
        }
    }

    /// NAS-Port: the number at the end of the interface name (`ppp7` → 7),
    /// or of the tty with `map-to-ttyname` (`/dev/ttyS1` → 1), else the unit.
    pub fn nas_port(&self) -> u32 {
        let name = if self.map_to_ttyname { &self.devnam } else { &self.ifname };
        trailing_number(name).unwrap_or(u32::try_from(self.unit).unwrap_or(0))
    }

    /// NAS-Port-Type: Ethernet for PPPoE, Virtual for a pty (L2TP, PPTP,
    /// tests), Sync or Async for serial lines.
    pub fn nas_port_type(&self) -> u32 {
        match self.kind {
            LinkKind::Pppoe => nas_port_type::ETHERNET,
            LinkKind::Pty => nas_port_type::VIRTUAL,
            LinkKind::SyncSerial => nas_port_type::SYNC,
            LinkKind::AsyncSerial => nas_port_type::ASYNC,
        }
    }

    /// NAS-Port-Id: the Ethernet interface for PPPoE, else the PPP interface.
    pub fn nas_port_id(&self) -> String {
        match self.kind {
            LinkKind::Pppoe if !self.devnam.is_empty() => self.devnam.clone(),
            _ => self.ifname.clone(),
        }
    }
}

/// The Ethernet interface and peer MAC of a user-mode pppoe-server session:
/// its pty command is `pppoe -n -I IFACE -e SESSION:MAC …`. The MAC is given
/// as rp-pppoe.so gives it in kernel mode (`02:00:00:00:AA:01`).
pub fn pppoe_pty_peer(command: &str) -> Option<(String, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    if !words.first().is_some_and(|w| w.ends_with("pppoe")) {
        return None;
    }
    let after = |flag: &str| words.iter().position(|w| *w == flag).and_then(|i| words.get(i + 1)).copied();
    let (_, mac) = after("-e")?.split_once(':')?;
    let valid = mac.len() == 17 && mac.split(':').all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
    valid.then(|| (after("-I").unwrap_or_default().to_string(), mac.to_ascii_uppercase()))
}

fn trailing_number(name: &str) -> Option<u32> {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    name[stem.len()..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: LinkKind, ifname: &str, devnam: &str, tty: bool) -> Link {
        Link {
            ifname: ifname.into(),
            unit: 3,
            devnam: devnam.into(),
            kind,
            calling_station_id: String::new(),
            our_name: "nas".into(),
            map_to_ttyname: tty,
        }
    }

    #[test]
    fn user_mode_pppoe_peer() {
        assert_eq!(
            pppoe_pty_peer("/usr/sbin/pppoe -n -I veth-ac -e 1:02:00:00:00:aa:01 -S ''"),
            Some(("veth-ac".into(), "02:00:00:00:AA:01".into()))
        );
        assert_eq!(pppoe_pty_peer("unshare --net pppd notty"), None);
        assert_eq!(pppoe_pty_peer("/usr/sbin/pppoe -n -I x -e 1:zz"), None);
    }

    #[test]
    fn ports() {
        assert_eq!(link(LinkKind::Pty, "ppp7", "/dev/pts/2", false).nas_port(), 7);
        assert_eq!(link(LinkKind::AsyncSerial, "ppp7", "/dev/ttyS1", true).nas_port(), 1);
        assert_eq!(link(LinkKind::Pty, "wan", "", false).nas_port(), 3);
        assert_eq!(link(LinkKind::Pppoe, "ppp0", "veth1", false).nas_port_type(), 15);
        assert_eq!(link(LinkKind::Pppoe, "ppp0", "veth1", false).nas_port_id(), "veth1");
        assert_eq!(link(LinkKind::Pty, "ppp0", "/dev/pts/1", false).nas_port_type(), 5);
        assert_eq!(link(LinkKind::Pty, "ppp0", "/dev/pts/1", false).nas_port_id(), "ppp0");
    }
}
