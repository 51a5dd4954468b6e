//! Accounting records (RFC 2866). A record is plain data: built by a
//! service, sent by [`crate::Client::account`], and (in a later release)
//! spooled to disk when no server takes it, so none is ever dropped.

use crate::config::Service;
use crate::packet::attr;
use crate::packet::AttributeList;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Acct-Status-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctStatus {
    /// A session began.
    Start,
    /// A session ended.
    Stop,
    /// A session goes on (periodic update).
    InterimUpdate,
    /// The NAS started: every session it had is over.
    AccountingOn,
    /// The NAS is stopping cleanly.
    AccountingOff,
}

impl AcctStatus {
    /// The wire value.
    pub fn value(self) -> u32 {
        match self {
            AcctStatus::Start => attr::acct_status::START,
            AcctStatus::Stop => attr::acct_status::STOP,
            AcctStatus::InterimUpdate => attr::acct_status::INTERIM_UPDATE,
            AcctStatus::AccountingOn => attr::acct_status::ACCOUNTING_ON,
            AcctStatus::AccountingOff => attr::acct_status::ACCOUNTING_OFF,
        }
    }
}

/// One accounting record to deliver.
#[derive(Debug, Clone)]
pub struct AccountingRecord {
    /// Start, Stop, …
    pub status: AcctStatus,
    /// The service whose servers receive it.
    pub service: Service,
    /// Attributes (Acct-Session-Id, User-Name, counters, …), in order.
    pub attributes: AttributeList,
    /// When the event happened: sent as Event-Timestamp, and the base of Acct-Delay-Time.
    pub event_time: SystemTime,
}

impl AccountingRecord {
    /// A record of `status` for `service`, happening now.
    pub fn new(status: AcctStatus, service: Service) -> Self {
        AccountingRecord { status, service, attributes: AttributeList::new(), event_time: SystemTime::now() }
    }

    /// Adds a text attribute.
    pub fn text(mut self, typ: u8, value: &str) -> Self {
        self.attributes.text(typ, value);
        self
    }

    /// Adds a 32-bit integer attribute.
    pub fn integer(mut self, typ: u8, value: u32) -> Self {
        self.attributes.integer(typ, value);
        self
    }

    /// Adds raw bytes.
    pub fn bytes(mut self, typ: u8, value: &[u8]) -> Self {
        self.attributes.bytes(typ, value);
        self
    }

    /// Seconds since the Unix epoch of the event.
    pub fn event_timestamp(&self) -> u32 {
        self.event_time.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as u32).unwrap_or(0)
    }

    /// Acct-Delay-Time for a send at `now`: seconds since the event.
    pub fn delay_at(&self, now: SystemTime) -> u32 {
        now.duration_since(self.event_time).unwrap_or(Duration::ZERO).as_secs() as u32
    }
}

/// A new Acct-Session-Id, unique across hosts and reboots: the start time
/// (seconds, hex) and 64 random bits from the OS, e.g.
/// `6740A1B2-9F3C2D4E5A6B7C8D`.
pub fn new_session_id() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{:08X}-{:016X}", secs as u32, u64::from_le_bytes(crate::random::bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn session_ids_differ_and_have_the_documented_shape() {
        let a = super::new_session_id();
        let b = super::new_session_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 25);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "{a}");
    }
}
