//! The plugin's accounting records: Start at IP up, Interim-Update on a
//! timer, Stop at IP down — with every attribute pppd's radius.so sends,
//! plus Called-Station-Id, NAS-Port-Id, Event-Timestamp, Gigawords and
//! Acct-Terminate-Cause mapped from pppd's exit status.

use crate::link::Link;
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::packet::attr::{self, acct_authentic, framed_protocol, service_type, terminate_cause};
use radius_core::packet::AttributeList;
use radius_core::Service;
use radius_ffi::pppd::LinkCounters;
use std::net::Ipv4Addr;

/// What every record of one session carries.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    /// Acct-Session-Id.
    pub session_id: String,
    /// User-Name.
    pub user: String,
    /// Class values from the Access-Accept.
    pub classes: Vec<Vec<u8>>,
    /// True when the user was decided by local secrets (Acct-Authentic Local).
    pub local: bool,
    /// The link.
    pub link: Link,
    /// The peer's address.
    pub address: Option<Ipv4Addr>,
    /// Called-Station-Id, if any.
    pub called_station_id: String,
    /// `radius-rs-avpair` attributes.
    pub avpairs: AttributeList,
}

/// Acct-Terminate-Cause for pppd's exit status (`EXIT_*` in pppd.h), as
/// radius.so maps it.
pub fn terminate_cause(exit_status: i32) -> u32 {
    match exit_status {
        0 | 5 => terminate_cause::USER_REQUEST,              // OK, USER_REQUEST
        8 | 15 | 16 => terminate_cause::LOST_CARRIER,        // CONNECT_FAILED, PEER_DEAD, HANGUP
        6 | 7 | 9 | 18 => terminate_cause::PORT_ERROR,       // LOCK/OPEN/PTYCMD/INIT failed
        10 | 11 | 19 | 21 => terminate_cause::SERVICE_UNAVAILABLE, // negotiation / auth failed
        12 => terminate_cause::IDLE_TIMEOUT,
        13 => terminate_cause::SESSION_TIMEOUT,              // CONNECT_TIME (maxconnect)
        14 => terminate_cause::CALLBACK,
        20 => terminate_cause::NAS_REQUEST,                  // TRAFFIC_LIMIT
        _ => terminate_cause::NAS_ERROR,
    }
}

/// One record of `status` for the session, with the counters for
/// Interim/Stop and the cause for Stop.
pub fn record(facts: &SessionFacts, status: AcctStatus, usage: Option<(u32, LinkCounters)>, cause: Option<u32>) -> AccountingRecord {
    let mut r = AccountingRecord::new(status, Service::Ppp)
        .text(attr::ACCT_SESSION_ID, &facts.session_id)
        .text(attr::USER_NAME, &facts.user);
    for class in &facts.classes {
        r = r.bytes(attr::CLASS, class);
    }
    r = r
        .integer(attr::SERVICE_TYPE, service_type::FRAMED)
        .integer(attr::FRAMED_PROTOCOL, framed_protocol::PPP)
        .integer(attr::ACCT_AUTHENTIC, if facts.local { acct_authentic::LOCAL } else { acct_authentic::RADIUS })
        .integer(attr::NAS_PORT_TYPE, facts.link.nas_port_type())
        .integer(attr::NAS_PORT, facts.link.nas_port())
        .text(attr::NAS_PORT_ID, &facts.link.nas_port_id());
    if !facts.link.calling_station_id.is_empty() {
        r = r.text(attr::CALLING_STATION_ID, &facts.link.calling_station_id);
    }
    if !facts.called_station_id.is_empty() {
        r = r.text(attr::CALLED_STATION_ID, &facts.called_station_id);
    }
    if let Some(ip) = facts.address {
        r = r.bytes(attr::FRAMED_IP_ADDRESS, &ip.octets());
    }
    if let Some((seconds, c)) = usage {
        r = r
            .integer(attr::ACCT_SESSION_TIME, seconds)
            .integer(attr::ACCT_INPUT_OCTETS, c.bytes_in as u32)
            .integer(attr::ACCT_INPUT_GIGAWORDS, (c.bytes_in >> 32) as u32)
            .integer(attr::ACCT_OUTPUT_OCTETS, c.bytes_out as u32)
            .integer(attr::ACCT_OUTPUT_GIGAWORDS, (c.bytes_out >> 32) as u32)
            .integer(attr::ACCT_INPUT_PACKETS, c.packets_in as u32)
            .integer(attr::ACCT_OUTPUT_PACKETS, c.packets_out as u32);
    }
    if let Some(cause) = cause {
        r = r.integer(attr::ACCT_TERMINATE_CAUSE, cause);
    }
    r.attributes.extend(&facts.avpairs);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_ffi::pppd::LinkKind;

    fn facts() -> SessionFacts {
        SessionFacts {
            session_id: "ABC".into(),
            user: "alice".into(),
            classes: vec![b"gold".to_vec()],
            local: false,
            link: Link {
                ifname: "ppp0".into(),
                unit: 0,
                devnam: "veth1".into(),
                kind: LinkKind::Pppoe,
                calling_station_id: "02:00:00:00:00:01".into(),
                our_name: "nas".into(),
                map_to_ttyname: false,
            },
            address: Some(Ipv4Addr::new(10, 64, 0, 7)),
            called_station_id: String::new(),
            avpairs: [(32, b"bras".to_vec())].into_iter().collect(),
        }
    }

    #[test]
    fn stop_carries_usage_gigawords_and_cause() {
        let c = LinkCounters { bytes_in: (5 << 32) + 7, bytes_out: 9, packets_in: 2, packets_out: 3 };
        let r = record(&facts(), AcctStatus::Stop, Some((61, c)), Some(terminate_cause(13)));
        let get = |t: u8| r.attributes.get(t).map(<[u8]>::to_vec);
        let int = |t: u8| get(t).map(|v| u32::from_be_bytes(v.try_into().unwrap()));
        assert_eq!(int(attr::ACCT_INPUT_OCTETS), Some(7));
        assert_eq!(int(attr::ACCT_INPUT_GIGAWORDS), Some(5));
        assert_eq!(int(attr::ACCT_SESSION_TIME), Some(61));
        assert_eq!(int(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::SESSION_TIMEOUT));
        assert_eq!(int(attr::NAS_PORT_TYPE), Some(15));
        assert_eq!(get(attr::CLASS), Some(b"gold".to_vec()));
        assert_eq!(get(attr::NAS_PORT_ID), Some(b"veth1".to_vec()));
        assert_eq!(get(attr::FRAMED_IP_ADDRESS), Some(vec![10, 64, 0, 7]));
        assert_eq!(get(32), Some(b"bras".to_vec()));
        let start = record(&facts(), AcctStatus::Start, None, None);
        assert!(!start.attributes.contains(attr::ACCT_SESSION_TIME) && !start.attributes.contains(attr::ACCT_TERMINATE_CAUSE));
    }

    #[test]
    fn causes() {
        assert_eq!(terminate_cause(5), terminate_cause::USER_REQUEST);
        assert_eq!(terminate_cause(12), terminate_cause::IDLE_TIMEOUT);
        assert_eq!(terminate_cause(16), terminate_cause::LOST_CARRIER);
        assert_eq!(terminate_cause(99), terminate_cause::NAS_ERROR);
    }
}
