//! Per-server counters shared by every process using the core, like
//! RouterOS `/radius monitor`: one record per server in the
//! [`SharedState`](crate::state::SharedState) (`state_dir/counters/`).

use crate::config::Server;
use crate::state::{self, Record, SharedState, StateError};
use std::time::Duration;

/// One counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Requests waiting for an answer now.
    Pending = 0,
    /// Access requests sent (first tries).
    Requests,
    /// Access-Accepts received.
    Accepts,
    /// Access-Rejects received.
    Rejects,
    /// Access-Challenges received.
    Challenges,
    /// Retransmissions.
    Resends,
    /// Waits that ended with neither an answer nor a sign of life.
    Timeouts,
    /// Replies dropped by a check (forged, malformed, wrong secret, no MA).
    BadReplies,
    /// Round-trip time of the last answered request, in microseconds.
    LastRequestRttMicros,
    /// Accounting-Requests sent (first tries).
    AcctRequests,
    /// Accounting-Responses received.
    AcctResponses,
    /// Answers that came after a wait on a server that was working on them
    /// (it answered Status-Server meanwhile): slow, not dead.
    SlowAnswers,
    /// Status-Server probes sent to learn whether a server that is slow to answer is alive.
    Probes,
    /// RadSec connections refused: a failed TLS handshake (certificate,
    /// name, version), or closed by the server before any answer.
    TlsFailures,
}

/// Every counter, in display order, with its name.
pub const ALL: [(Counter, &str); 14] = [
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
    (Counter::SlowAnswers, "slow-answers"),
    (Counter::Probes, "status-probes"),
    (Counter::TlsFailures, "tls-failures"),
];

/// The slot after the counters: the Unix time (s) a reply without
/// Message-Authenticator from the server was last said in the log.
pub(crate) const UNSIGNED_SAID: usize = ALL.len();

/// How often a server that does not sign its replies is said to: once an
/// hour for the host, not at every login.
pub const UNSIGNED_SAID_EVERY: u64 = 3600;

/// A snapshot of one server's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot(pub Record);

impl Snapshot {
    /// The value of one counter.
    pub fn get(&self, c: Counter) -> u64 {
        self.0.get(c as usize).copied().unwrap_or(0)
    }
}

/// The key that names a server's counters.
pub fn server_key(server: &Server) -> String {
    let vrf = server.vrf.as_deref().map(|v| format!("@{v}")).unwrap_or_default();
    state::file_name(&format!("{}{vrf}-{}-{}", server.ip, server.auth_port, server.acct_port))
}

/// Adds `delta` to each listed counter (negative deltas saturate at 0).
pub fn add(state: &dyn SharedState, server: &Server, deltas: &[(Counter, i64)]) -> Result<(), StateError> {
    state
        .update(&server_key(server), &mut |r| {
            for (c, d) in deltas {
                if let Some(slot) = r.get_mut(*c as usize) {
                    *slot = slot.saturating_add_signed(*d);
                }
            }
        })
        .map(|_| ())
}

/// How a request's sending stands in the counters when its answer comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Counted as sent and pending: the answer takes it off `pending`.
    Pending,
    /// Not counted yet (it was answered at once): the answer counts it
    /// sent too, with this counter (`requests` or `acct-requests`).
    Uncounted(Counter),
}

/// What came with an answer, for [`answered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// How its request was counted so far.
    pub sent: Sent,
    /// Its kind (`accepts`, `rejects`, ...).
    pub kind: Counter,
    /// The round-trip time.
    pub rtt: Duration,
    /// It came after a wait on a server that was working on it.
    pub slow: bool,
    /// It carried no Message-Authenticator: the Unix time (s) now.
    pub unsigned_at: Option<u64>,
}

/// Records an answered request in one update: its sending (off `pending`,
/// or counted now), its kind of answer, the RTT, and whether it came after
/// a wait on a working server. Returns whether a missing
/// Message-Authenticator is to be said now (not said for this server by
/// any process in the last [`UNSIGNED_SAID_EVERY`] seconds).
pub fn answered(state: &dyn SharedState, server: &Server, answer: Answered) -> Result<bool, StateError> {
    let Answered { sent, kind, rtt, slow, unsigned_at } = answer;
    let micros = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX);
    let mut say_unsigned = false;
    state
        .update(&server_key(server), &mut |r| {
            if let (Some(now), Some(said)) = (unsigned_at, r.get_mut(UNSIGNED_SAID)) {
                // A clock set back says it again rather than never.
                say_unsigned = now < *said || now - *said >= UNSIGNED_SAID_EVERY;
                if say_unsigned {
                    *said = now;
                }
            }
            let mut bump = |c: Counter, f: &dyn Fn(u64) -> u64| {
                if let Some(slot) = r.get_mut(c as usize) {
                    *slot = f(*slot);
                }
            };
            match sent {
                Sent::Pending => bump(Counter::Pending, &|v| v.saturating_sub(1)),
                Sent::Uncounted(c) => bump(c, &|v| v.saturating_add(1)),
            }
            bump(kind, &|v| v.saturating_add(1));
            bump(Counter::LastRequestRttMicros, &|_| micros);
            if slow {
                bump(Counter::SlowAnswers, &|v| v.saturating_add(1));
            }
        })
        .map(|_| say_unsigned)
}

/// The current counters of `server`.
pub fn snapshot(state: &dyn SharedState, server: &Server) -> Result<Snapshot, StateError> {
    state.read(&server_key(server)).map(Snapshot)
}

/// A read-only view of the servers' counters in a store.
#[derive(Clone, Copy)]
pub struct Counters<'a> {
    state: &'a dyn SharedState,
}

impl std::fmt::Debug for Counters<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Counters")
    }
}

impl<'a> Counters<'a> {
    /// The counters kept in `state`.
    pub fn new(state: &'a dyn SharedState) -> Self {
        Counters { state }
    }

    /// The current counters of `server`.
    pub fn snapshot(&self, server: &Server) -> Result<Snapshot, StateError> {
        snapshot(self.state, server)
    }
}
