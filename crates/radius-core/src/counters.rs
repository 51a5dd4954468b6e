//! Per-server counters shared by every process using the core, like
//! RouterOS `/radius monitor`: one record file per server under
//! `state_dir/counters/`, updated under a lock.

use crate::config::Server;
use crate::state_file;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Requests waiting for an answer now.
    Pending = 0,
    /// Access/Status requests sent (first tries).
    Requests,
    /// Access-Accepts received.
    Accepts,
    /// Access-Rejects received.
    Rejects,
    /// Access-Challenges received.
    Challenges,
    /// Retransmissions.
    Resends,
    /// Tries that timed out.
    Timeouts,
    /// Replies dropped by a check (forged, malformed, wrong secret, no MA).
    BadReplies,
    /// Round-trip time of the last answered request, in microseconds.
    LastRequestRttMicros,
    /// Accounting-Requests sent (first tries).
    AcctRequests,
    /// Accounting-Responses received.
    AcctResponses,
}

/// Every counter, in display order, with its name.
pub const ALL: [(Counter, &str); 11] = [
    (Counter::Pending, "pending"),
    (Counter::Requests, "requests"),
    (Counter::Accepts, "accepts"),
    (Counter::Rejects, "rejects"),
    (Counter::Challenges, "challenges"),
    (Counter::Resends, "resends"),
    (Counter::Timeouts, "timeouts"),
    (Counter::BadReplies, "bad-replies"),
    (Counter::LastRequestRttMicros, "last-request-rtt"),
    (Counter::AcctRequests, "acct-requests"),
    (Counter::AcctResponses, "acct-responses"),
];

/// A snapshot of one server's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot(pub [u64; state_file::SLOTS]);

impl Snapshot {
    /// The value of one counter.
    pub fn get(&self, c: Counter) -> u64 {
        self.0.get(c as usize).copied().unwrap_or(0)
    }
}

/// The counters of every server, in `state_dir/counters/`.
#[derive(Debug, Clone)]
pub struct Counters {
    dir: PathBuf,
}

/// The key that names a server's counters.
pub fn server_key(server: &Server) -> String {
    let vrf = server.vrf.as_deref().map(|v| format!("@{v}")).unwrap_or_default();
    state_file::file_name(&format!("{}{vrf}-{}-{}", server.ip, server.auth_port, server.acct_port))
}

impl Counters {
    /// Counters kept under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Counters { dir: state_dir.join("counters") }
    }

    /// Adds `delta` to each listed counter (negative deltas saturate at 0).
    pub fn add(&self, server: &Server, deltas: &[(Counter, i64)]) -> io::Result<()> {
        state_file::update_record(&self.dir, &server_key(server), |r| {
            for (c, d) in deltas {
                if let Some(slot) = r.get_mut(*c as usize) {
                    *slot = slot.saturating_add_signed(*d);
                }
            }
        })
        .map(|_| ())
    }

    /// Records an answered request: one fewer pending, its kind of answer, the RTT.
    pub fn answered(&self, server: &Server, kind: Counter, rtt: Duration) -> io::Result<()> {
        let micros = i64::try_from(rtt.as_micros()).unwrap_or(i64::MAX);
        state_file::update_record(&self.dir, &server_key(server), |r| {
            let idx = |c: Counter| c as usize;
            if let Some(p) = r.get_mut(idx(Counter::Pending)) {
                *p = p.saturating_sub(1);
            }
            if let Some(k) = r.get_mut(idx(kind)) {
                *k += 1;
            }
            if let Some(t) = r.get_mut(idx(Counter::LastRequestRttMicros)) {
                *t = micros.max(0) as u64;
            }
        })
        .map(|_| ())
    }

    /// The current counters of `server`.
    pub fn snapshot(&self, server: &Server) -> io::Result<Snapshot> {
        state_file::read_record(&self.dir, &server_key(server)).map(Snapshot)
    }
}
