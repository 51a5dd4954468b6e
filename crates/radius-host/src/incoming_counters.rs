//! radius-rs-dmd's counters, like RouterOS `/radius incoming monitor`:
//! requests, ACKs, NAKs by Error-Cause and drops by reason. Kept in the
//! daemon's memory and written to `state_dir/counters/incoming*`, where
//! `radius-rs monitor` reads them.

use radius_core::packet::error_cause::{self, ErrorCause};
use radius_core::state::{FileState, SharedState, StateError, SLOTS};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// One counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Requests received (before any check).
    Requests = 0,
    /// Disconnect-Requests admitted.
    DisconnectRequests,
    /// CoA-Requests admitted.
    CoaRequests,
    /// Disconnect-ACKs sent.
    DisconnectAcks,
    /// Disconnect-NAKs sent.
    DisconnectNaks,
    /// CoA-ACKs sent.
    CoaAcks,
    /// CoA-NAKs sent.
    CoaNaks,
    /// Duplicates (answered again or dropped while in progress).
    Duplicates,
    /// Dropped: unlisted source.
    DroppedUnknownClient,
    /// Dropped: malformed.
    DroppedMalformed,
    /// Dropped: wrong Request Authenticator (wrong secret, forged).
    DroppedBadAuthenticator,
    /// Dropped: no Message-Authenticator.
    DroppedMissingMessageAuthenticator,
    /// Dropped: invalid Message-Authenticator.
    DroppedBadMessageAuthenticator,
    /// Dropped: Event-Timestamp outside the window.
    DroppedStaleTimestamp,
    /// Dropped: no Event-Timestamp.
    DroppedMissingTimestamp,
    /// Dropped: not a Disconnect-/CoA-Request.
    DroppedUnexpectedCode,
}

/// Every counter with its name, in display order.
pub const ALL: [(Counter, &str); 16] = [
    (Counter::Requests, "requests"),
    (Counter::DisconnectRequests, "disconnect-requests"),
    (Counter::CoaRequests, "coa-requests"),
    (Counter::DisconnectAcks, "disconnect-acks"),
    (Counter::DisconnectNaks, "disconnect-naks"),
    (Counter::CoaAcks, "coa-acks"),
    (Counter::CoaNaks, "coa-naks"),
    (Counter::Duplicates, "duplicates"),
    (Counter::DroppedUnknownClient, "dropped-unknown-client"),
    (Counter::DroppedMalformed, "dropped-malformed"),
    (Counter::DroppedBadAuthenticator, "dropped-bad-authenticator"),
    (Counter::DroppedMissingMessageAuthenticator, "dropped-missing-message-authenticator"),
    (Counter::DroppedBadMessageAuthenticator, "dropped-bad-message-authenticator"),
    (Counter::DroppedStaleTimestamp, "dropped-stale-timestamp"),
    (Counter::DroppedMissingTimestamp, "dropped-missing-timestamp"),
    (Counter::DroppedUnexpectedCode, "dropped-unexpected-code"),
];

const REQUESTS_FILE: &str = "incoming";
const CAUSES_FILE: &str = "incoming-naks";

/// The live counters of a running daemon (shared by its threads).
#[derive(Debug)]
pub struct Counters {
    store: FileState,
    requests: [AtomicU64; SLOTS],
    causes: [AtomicU64; SLOTS],
}

fn cause_slot(c: ErrorCause) -> usize {
    error_cause::ALL.iter().position(|x| *x == c).unwrap_or(SLOTS - 1)
}

impl Counters {
    /// Counters written under `state_dir`; they start from the values
    /// already there (a restarted daemon keeps counting).
    pub fn new(state_dir: &Path) -> Self {
        let store = FileState::open(state_dir);
        let load = |name: &str| store.read(name).unwrap_or([0; SLOTS]).map(AtomicU64::new);
        Counters { requests: load(REQUESTS_FILE), causes: load(CAUSES_FILE), store }
    }

    /// Why the counters cannot be written, if they cannot.
    pub fn problem(&self) -> Option<&str> {
        self.store.problem()
    }

    /// Adds one to `c`.
    pub fn bump(&self, c: Counter) {
        if let Some(slot) = self.requests.get(c as usize) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Adds one NAK with `cause`.
    pub fn nak(&self, cause: ErrorCause) {
        if let Some(slot) = self.causes.get(cause_slot(cause)) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The current value of `c`.
    pub fn get(&self, c: Counter) -> u64 {
        self.requests.get(c as usize).map(|a| a.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Writes the counters for `radius-rs monitor`.
    pub fn flush(&self) -> Result<(), StateError> {
        for (name, values) in [(REQUESTS_FILE, &self.requests), (CAUSES_FILE, &self.causes)] {
            self.store.update(name, &mut |r| {
                for (slot, v) in r.iter_mut().zip(values.iter()) {
                    *slot = v.load(Ordering::Relaxed);
                }
            })?;
        }
        Ok(())
    }
}

/// The counters as last written: each counter by name, each NAK cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Request, answer and drop counters.
    pub counters: Vec<(&'static str, u64)>,
    /// NAKs by Error-Cause.
    pub naks: Vec<(ErrorCause, u64)>,
}

/// The counters as last written, for `radius-rs monitor`.
pub fn snapshot(state_dir: &Path) -> Result<Snapshot, StateError> {
    let store = FileState::open(state_dir);
    let requests = store.read(REQUESTS_FILE)?;
    let causes = store.read(CAUSES_FILE)?;
    Ok(Snapshot {
        counters: ALL.iter().map(|(c, name)| (*name, requests.get(*c as usize).copied().unwrap_or(0))).collect(),
        naks: error_cause::ALL.iter().map(|c| (*c, causes.get(cause_slot(*c)).copied().unwrap_or(0))).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the daemon counts is what the monitor reads, and survives a restart.
    #[test]
    fn flush_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Counters::new(dir.path());
        c.bump(Counter::Requests);
        c.bump(Counter::DroppedStaleTimestamp);
        c.nak(ErrorCause::SessionContextNotFound);
        c.flush().unwrap();
        let Snapshot { counters: reqs, naks: causes } = snapshot(dir.path()).unwrap();
        assert!(reqs.contains(&("requests", 1)));
        assert!(reqs.contains(&("dropped-stale-timestamp", 1)));
        assert!(causes.contains(&(ErrorCause::SessionContextNotFound, 1)));
        let again = Counters::new(dir.path());
        assert_eq!(again.get(Counter::Requests), 1);
    }
}
