//! One PPP session, one model: the port's facts give the Access-Request
//! its attributes; the live session is what the session registry keeps
//! and what every accounting record (Start, Interim-Update, Stop) is built
//! from — by the pppd plugin while pppd runs, and by radius-rs-dmd when
//! that pppd vanished (kill -9, crash, reboot), from the last Interim
//! counters the registry kept. The two Stops are the same code.

use crate::accounting::{AccountingRecord, AcctStatus};
use crate::config::Service;
use crate::dictionary;
use crate::packet::attr::{self, acct_authentic, framed_protocol, service_type};
use crate::packet::{ipv6_prefix, AttributeList};
use ipnet::Ipv6Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use std::time::{SystemTime, UNIX_EPOCH};

/// How the peer reaches this NAS, as RADIUS names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    /// NAS-Port.
    pub nas_port: u32,
    /// NAS-Port-Id.
    pub nas_port_id: String,
    /// NAS-Port-Type.
    #[serde(default = "virtual_port")]
    pub nas_port_type: u32,
    /// Calling-Station-Id (the PPPoE peer's MAC, a caller id), maybe empty.
    pub calling_station_id: String,
    /// Called-Station-Id, maybe empty.
    #[serde(default)]
    pub called_station_id: String,
}

fn virtual_port() -> u32 {
    attr::nas_port_type::VIRTUAL
}

impl Port {
    /// What an Access-Request for a PPP peer on this port says beside the
    /// user and the credentials: Service-Type Framed-User, Framed-Protocol
    /// PPP, NAS-Port-Type, NAS-Port-Id, Calling-Station-Id (NAS-Port and
    /// Called-Station-Id go in the request's own fields).
    pub fn access_attributes(&self) -> AttributeList {
        let mut l = AttributeList::new();
        l.integer(attr::SERVICE_TYPE, service_type::FRAMED)
            .integer(attr::FRAMED_PROTOCOL, framed_protocol::PPP)
            .integer(attr::NAS_PORT_TYPE, self.nas_port_type)
            .text(attr::NAS_PORT_ID, &self.nas_port_id);
        if !self.calling_station_id.is_empty() {
            l.text(attr::CALLING_STATION_ID, &self.calling_station_id);
        }
        l
    }
}

/// Who decided the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthenticatedBy {
    /// The RADIUS servers (Acct-Authentic RADIUS).
    Radius,
    /// pppd's own secrets files (Acct-Authentic Local).
    Local,
}

/// What a session used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Seconds since IP up.
    pub seconds: u32,
    /// Bytes from the peer.
    pub bytes_in: u64,
    /// Bytes to the peer.
    pub bytes_out: u64,
    /// Packets from the peer.
    pub packets_in: u64,
    /// Packets to the peer.
    pub packets_out: u64,
}

/// One live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PppSession {
    /// The pppd serving it.
    pub pid: u32,
    /// The pppd's start time (`/proc/PID/stat` field 22), so a reused pid
    /// is never taken for this session's pppd.
    #[serde(default)]
    pub process_start: Option<u64>,
    /// Its interface (`ppp0`).
    pub ifname: String,
    /// Its unit number.
    pub unit: i32,
    /// The User-Name sent to RADIUS.
    pub user: String,
    /// Acct-Session-Id.
    pub acct_session_id: String,
    /// The peer's address.
    pub framed_ip_address: Option<Ipv4Addr>,
    /// Seconds since the Unix epoch when the session started.
    pub start_time: u64,
    /// Who authenticated the peer.
    pub authenticated_by: AuthenticatedBy,
    /// The Class values of the Access-Accept (or a CoA), hex.
    #[serde(default)]
    pub classes: Vec<String>,
    /// `radius-rs-avpair` options, `NAME=VALUE`, sent in every record.
    #[serde(default)]
    pub avpairs: Vec<String>,
    /// How the peer reaches us.
    pub port: Port,
    /// The counters of the last Interim-Update (a lost session's Stop carries them).
    #[serde(default)]
    pub last_usage: Option<Usage>,
    /// Framed-IPv6-Prefix granted (the link's prefix), sent in every record.
    #[serde(default)]
    pub framed_ipv6_prefix: Option<Ipv6Net>,
    /// Delegated-IPv6-Prefix granted (RFC 4818), sent in every record.
    #[serde(default)]
    pub delegated_ipv6_prefix: Option<Ipv6Net>,
}

/// Hex of a Class value, as records keep it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex Class value.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl PppSession {
    /// One accounting record of `status` for the session, with `usage` for
    /// Interim/Stop and `cause` (Acct-Terminate-Cause) for Stop.
    pub fn record(&self, status: AcctStatus, usage: Option<&Usage>, cause: Option<u32>) -> AccountingRecord {
        let mut r = AccountingRecord::new(status, Service::Ppp);
        let l = &mut r.attributes;
        l.text(attr::ACCT_SESSION_ID, &self.acct_session_id).text(attr::USER_NAME, &self.user);
        for class in self.classes.iter().filter_map(|c| unhex(c)) {
            l.bytes(attr::CLASS, &class);
        }
        let authentic = match self.authenticated_by {
            AuthenticatedBy::Radius => acct_authentic::RADIUS,
            AuthenticatedBy::Local => acct_authentic::LOCAL,
        };
        l.integer(attr::SERVICE_TYPE, service_type::FRAMED)
            .integer(attr::FRAMED_PROTOCOL, framed_protocol::PPP)
            .integer(attr::ACCT_AUTHENTIC, authentic)
            .integer(attr::NAS_PORT_TYPE, self.port.nas_port_type)
            .integer(attr::NAS_PORT, self.port.nas_port)
            .text(attr::NAS_PORT_ID, &self.port.nas_port_id);
        if !self.port.calling_station_id.is_empty() {
            l.text(attr::CALLING_STATION_ID, &self.port.calling_station_id);
        }
        if !self.port.called_station_id.is_empty() {
            l.text(attr::CALLED_STATION_ID, &self.port.called_station_id);
        }
        if let Some(ip) = self.framed_ip_address {
            l.ipv4(attr::FRAMED_IP_ADDRESS, ip);
        }
        if let Some(p) = &self.framed_ipv6_prefix {
            l.bytes(attr::FRAMED_IPV6_PREFIX, &ipv6_prefix::encode(p));
        }
        if let Some(p) = &self.delegated_ipv6_prefix {
            l.bytes(attr::DELEGATED_IPV6_PREFIX, &ipv6_prefix::encode(p));
        }
        if let Some(u) = usage {
            l.integer(attr::ACCT_SESSION_TIME, u.seconds)
                .integer(attr::ACCT_INPUT_OCTETS, u.bytes_in as u32)
                .integer(attr::ACCT_INPUT_GIGAWORDS, (u.bytes_in >> 32) as u32)
                .integer(attr::ACCT_OUTPUT_OCTETS, u.bytes_out as u32)
                .integer(attr::ACCT_OUTPUT_GIGAWORDS, (u.bytes_out >> 32) as u32)
                .integer(attr::ACCT_INPUT_PACKETS, u.packets_in as u32)
                .integer(attr::ACCT_OUTPUT_PACKETS, u.packets_out as u32);
        }
        if let Some(cause) = cause {
            l.integer(attr::ACCT_TERMINATE_CAUSE, cause);
        }
        for (typ, value) in self.avpairs.iter().filter_map(|a| dictionary::parse_avpair(a).ok()) {
            l.bytes(typ, &value);
        }
        r
    }

    /// The Stop for a session whose pppd is gone, noticed at `now`: the
    /// counters of its last Interim-Update (zeros if it had none), the
    /// time since it started, and `cause`.
    pub fn lost_stop(&self, cause: u32, now: SystemTime) -> AccountingRecord {
        let seconds = u32::try_from(unix_seconds(now).saturating_sub(self.start_time)).unwrap_or(u32::MAX);
        let usage = Usage { seconds, ..self.last_usage.unwrap_or_default() };
        self.record(AcctStatus::Stop, Some(&usage), Some(cause))
    }

    /// A session to build tests and benchmarks on: `user` on `ifname`,
    /// served by `pid`.
    #[doc(hidden)]
    pub fn example(ifname: &str, user: &str, pid: u32) -> PppSession {
        PppSession {
            pid,
            process_start: None,
            ifname: ifname.into(),
            unit: 0,
            user: user.into(),
            acct_session_id: format!("S-{ifname}-{user}"),
            framed_ip_address: Some(Ipv4Addr::new(10, 64, 0, 7)),
            start_time: 1_700_000_000,
            authenticated_by: AuthenticatedBy::Radius,
            classes: vec![hex(b"login")],
            avpairs: Vec::new(),
            port: Port {
                nas_port: 0,
                nas_port_id: ifname.into(),
                nas_port_type: attr::nas_port_type::VIRTUAL,
                calling_station_id: "02:00:00:00:00:01".into(),
                called_station_id: String::new(),
            },
            last_usage: None,
            framed_ipv6_prefix: None,
            delegated_ipv6_prefix: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::attr::terminate_cause;
    use std::time::Duration;

    /// The Stop radius-rs-dmd sends for a vanished pppd carries the same
    /// attributes as the plugin's own Stop, with the last Interim counters.
    #[test]
    fn lost_stop_is_the_normal_stop() {
        let mut s = PppSession::example("ppp0", "alice", 1);
        s.avpairs = vec!["NAS-Identifier=bras".into()];
        s.port.called_station_id = "isp".into();
        let usage = Usage { seconds: 60, bytes_in: (5 << 32) + 7, bytes_out: 9, packets_in: 2, packets_out: 3 };
        let normal = s.record(AcctStatus::Stop, Some(&usage), Some(terminate_cause::USER_REQUEST));
        s.last_usage = Some(usage);
        let lost = s.lost_stop(terminate_cause::LOST_SERVICE, UNIX_EPOCH + Duration::from_secs(1_700_000_100));
        assert_eq!(normal.attributes.types(), lost.attributes.types());
        assert_eq!(lost.attributes.get_integer(attr::ACCT_SESSION_TIME), Some(100));
        assert_eq!(lost.attributes.get_integer(attr::ACCT_INPUT_GIGAWORDS), Some(5));
        assert_eq!(lost.attributes.get_integer(attr::ACCT_INPUT_OCTETS), Some(7));
        assert_eq!(lost.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::LOST_SERVICE));
        assert_eq!(lost.attributes.get(attr::CLASS), Some(&b"login"[..]));
        assert_eq!(lost.attributes.get(attr::NAS_IDENTIFIER), Some(&b"bras"[..]));
        s.framed_ipv6_prefix = Some("2001:db8:1:2::/64".parse().unwrap());
        s.delegated_ipv6_prefix = Some("2001:db8:100::/56".parse().unwrap());
        let start = s.record(AcctStatus::Start, None, None);
        assert_eq!(start.attributes.get(attr::FRAMED_IPV6_PREFIX), Some(&[0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2][..]));
        assert_eq!(start.attributes.get(attr::DELEGATED_IPV6_PREFIX), Some(&[0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0][..]));
        assert!(!start.attributes.contains(attr::ACCT_SESSION_TIME) && !start.attributes.contains(attr::ACCT_TERMINATE_CAUSE));
    }

    /// The registry keeps the whole session, the port and the last usage included.
    #[test]
    fn round_trips_through_toml() {
        let mut s = PppSession::example("ppp3", "bob", 42);
        s.last_usage = Some(Usage { seconds: 5, bytes_in: 1 << 40, ..Default::default() });
        s.delegated_ipv6_prefix = Some("2001:db8:100::/56".parse().unwrap());
        s.avpairs = vec!["NAS-Port-Type=15".into()];
        let text = toml::to_string(&s).unwrap();
        assert_eq!(toml::from_str::<PppSession>(&text).unwrap(), s, "{text}");
    }

    /// Class hex round-trips.
    #[test]
    fn class_hex() {
        assert_eq!(unhex(&hex(b"gold")).as_deref(), Some(&b"gold"[..]));
        assert_eq!(unhex("6"), None);
        assert_eq!(unhex("zz"), None);
    }

    /// An Access-Request for a PPPoE peer says who and where.
    #[test]
    fn access_attributes() {
        let port = Port { nas_port: 3, nas_port_id: "eth1".into(), nas_port_type: 15, calling_station_id: "02:00:00:00:AA:01".into(), called_station_id: String::new() };
        let l = port.access_attributes();
        assert_eq!(l.types(), vec![attr::SERVICE_TYPE, attr::FRAMED_PROTOCOL, attr::NAS_PORT_TYPE, attr::NAS_PORT_ID, attr::CALLING_STATION_ID]);
        assert_eq!(l.get_integer(attr::NAS_PORT_TYPE), Some(15));
    }
}
