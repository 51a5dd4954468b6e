//! Delivering a record: straight to a server when one answers (the fast
//! path costs nothing of the spool), into the spool when none does or when
//! the session already has records waiting there; and the drain that
//! later sends the spool's records, oldest first, stopping a session (and
//! its service) at the first record no server takes.

use super::{Put, Spool, SpoolError};
use crate::accounting::AccountingRecord;
use crate::client::ClientError;
use crate::config::{AccountingSection, Service};
use crate::log::{Level, Log};
use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::TryLockError;

/// The spool of a configuration, opened on first use: a process whose
/// records all reach a server never touches the disk.
#[derive(Debug)]
pub struct LazySpool {
    section: AccountingSection,
    opened: OnceCell<Result<Spool, SpoolError>>,
}

impl LazySpool {
    /// The spool `[accounting]` describes, not opened yet.
    pub fn new(section: &AccountingSection) -> Self {
        LazySpool { section: section.clone(), opened: OnceCell::new() }
    }

    /// The spool, opened (and checked) once.
    pub fn get(&self) -> Result<&Spool, &SpoolError> {
        self.opened.get_or_init(|| Spool::open(&self.section)).as_ref()
    }
}

/// Whether a session has records waiting in the spool, so that its next
/// record queues behind them rather than overtaking them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held(pub bool);

/// Where a record went.
#[derive(Debug)]
pub enum Delivery {
    /// A server took it: its configuration index.
    Sent {
        /// The server.
        server: usize,
    },
    /// Safely in the spool, as this file; `why` is the send that failed
    /// (None: it queued behind the session's earlier records).
    Spooled {
        /// The file.
        name: String,
        /// The failed send.
        why: Option<ClientError>,
    },
    /// An Interim-Update neither sent nor kept: the spool is full of Starts and Stops.
    Dropped {
        /// The failed send.
        why: Option<ClientError>,
    },
}

/// A record that is neither with a server nor in the spool: lost.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// No server took it and the spool is off.
    #[error("{0} (the spool is off: the record is lost)")]
    NotSpooled(ClientError),
    /// No server took it and writing the spool failed.
    #[error("{}; and it could not be spooled: {spool}", send.as_ref().map(|e| e.to_string()).unwrap_or_else(|| "queued behind spooled records".into()))]
    Lost {
        /// The failed send, if one was made.
        send: Option<ClientError>,
        /// Why the spool did not take it.
        spool: String,
    },
}

/// Delivers `record` of a session whose spool state is `held`: sent with
/// `send` unless the session has records waiting (then spooled behind
/// them), spooled when the send fails. Lines about a full spool go to `log`.
pub fn deliver(
    spool: &LazySpool,
    held: &mut Held,
    record: &AccountingRecord,
    send: &mut dyn FnMut(&AccountingRecord) -> Result<usize, ClientError>,
    log: &dyn Log,
) -> Result<Delivery, DeliveryError> {
    if held.0 {
        // Still waiting there? Once the drain has sent them, send directly again.
        match spool.get().map(|s| s.holds(super::session_key(record))) {
            Ok(Ok(true)) => {}
            _ => held.0 = false,
        }
    }
    let why = if held.0 {
        None
    } else {
        match send(record) {
            Ok(server) => return Ok(Delivery::Sent { server }),
            Err(e) => Some(e),
        }
    };
    keep(spool, held, record, why, send, log)
}

/// [`deliver`]'s way when the record is not sent now: into the spool.
/// Never inlined: while the servers answer, a pppd does not run it, and
/// only the code a process runs is mapped.
#[inline(never)]
fn keep(
    spool: &LazySpool,
    held: &mut Held,
    record: &AccountingRecord,
    why: Option<ClientError>,
    send: &mut dyn FnMut(&AccountingRecord) -> Result<usize, ClientError>,
    log: &dyn Log,
) -> Result<Delivery, DeliveryError> {
    let stored = match spool.get() {
        Err(SpoolError::Off) => {
            return match why {
                Some(e) => Err(DeliveryError::NotSpooled(e)),
                None => unreachable_held(send, record),
            }
        }
        Err(e) => Err(e.to_string()),
        Ok(s) => s.put(record).map_err(|e| e.to_string()),
    };
    match stored {
        Ok((put, note)) => {
            if let Some(n) = note {
                log.log(Level::Error, &n);
            }
            match put {
                Put::Stored(name) => {
                    held.0 = true;
                    Ok(Delivery::Spooled { name, why })
                }
                Put::Dropped => Ok(Delivery::Dropped { why }),
            }
        }
        // Queued behind spooled records but the spool fails now: sending
        // out of order beats losing the record.
        Err(spool_error) if why.is_none() => match send(record) {
            Ok(server) => Ok(Delivery::Sent { server }),
            Err(e) => Err(DeliveryError::Lost { send: Some(e), spool: spool_error }),
        },
        Err(spool_error) => Err(DeliveryError::Lost { send: why, spool: spool_error }),
    }
}

/// A held session whose spool is now off (cannot happen: held is only set
/// by a spool that opened); send it.
fn unreachable_held(
    send: &mut dyn FnMut(&AccountingRecord) -> Result<usize, ClientError>,
    record: &AccountingRecord,
) -> Result<Delivery, DeliveryError> {
    send(record).map(|server| Delivery::Sent { server }).map_err(DeliveryError::NotSpooled)
}

/// What one drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drained {
    /// Records a server took (removed from the spool).
    pub sent: usize,
    /// Records left for the next drain (their service's servers failed).
    pub left: usize,
    /// Unreadable files set aside.
    pub quarantined: usize,
    /// Another drain held the spool: this one did nothing.
    pub busy: bool,
    /// The first record no server took, and why (logged by the caller,
    /// once per outage rather than once per drain).
    pub failure: Option<String>,
}

/// Sends the spool's records oldest first with `send`. A record no server
/// takes stops its session and its service for this drain (the rest of
/// them wait, in order); other services go on. Acct-Delay-Time is set by
/// the send, from the record's event time, with a new Identifier. One drain
/// at a time: a second one finds the spool busy and does nothing.
pub fn drain(spool: &Spool, send: &mut dyn FnMut(&AccountingRecord) -> Result<usize, ClientError>, log: &dyn Log) -> Drained {
    let mut out = Drained::default();
    let lock = match spool.dir.open_record("drain.lock", super::FILE_MODE) {
        Ok(f) => f,
        Err(e) => {
            log.log(Level::Error, &format!("accounting spool {}: cannot open drain.lock: {e}", spool.path().display()));
            return out;
        }
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            out.busy = true;
            return out;
        }
        Err(TryLockError::Error(e)) => {
            log.log(Level::Error, &format!("accounting spool {}: cannot lock drain.lock: {e}", spool.path().display()));
            return out;
        }
    }
    let removed = spool.clean_temporaries();
    if removed > 0 {
        log.log(Level::Info, &format!("accounting spool {}: removed {removed} temporary file(s) a writer left when it died (never records)", spool.path().display()));
    }
    let entries = match spool.entries() {
        Ok(e) => e,
        Err(e) => {
            log.log(Level::Error, &format!("accounting spool: {e}"));
            return out;
        }
    };
    let (mut blocked_sessions, mut blocked_services) = (HashSet::new(), HashSet::<Service>::new());
    for entry in entries {
        if blocked_sessions.contains(&entry.session) && entry.session != 0 {
            out.left += 1;
            continue;
        }
        let record = match spool.load(&entry) {
            Ok(r) => r,
            Err(SpoolError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                match spool.quarantine(&entry) {
                    Ok(to) => log.log(Level::Error, &format!("{e}: set aside as {to}, not sent")),
                    Err(q) => log.log(Level::Error, &format!("{e}; and it could not be set aside: {q}")),
                }
                out.quarantined += 1;
                continue;
            }
        };
        if blocked_services.contains(&record.service) {
            blocked_sessions.insert(entry.session);
            out.left += 1;
            continue;
        }
        match send(&record) {
            Ok(_) => {
                if let Err(e) = spool.remove(&entry) {
                    log.log(Level::Error, &format!("accounting spool: {} was delivered but not removed ({e}): it may be sent again", entry.name));
                }
                out.sent += 1;
            }
            Err(e) => {
                let line = format!("{} not delivered ({e}); it and later {} records wait for the next drain", entry.name, record.service.as_str());
                log.log(Level::Debug, &format!("accounting spool: {line}"));
                out.failure.get_or_insert(line);
                blocked_sessions.insert(entry.session);
                blocked_services.insert(record.service);
                out.left += 1;
            }
        }
    }
    let _ = spool.resync_depth();
    if out.sent > 0 {
        log.log(Level::Info, &format!("accounting spool: {} record(s) delivered, {} waiting", out.sent, out.left));
    }
    out
}
