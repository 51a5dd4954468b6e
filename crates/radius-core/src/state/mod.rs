//! What every process on the host shares about the servers: counters
//! (fixed-size records of u64 slots), dead-server marks and "this server
//! signs its replies" marks. The transport reads and updates them through
//! [`SharedState`], so its logic is tested against [`MemoryState`] with no
//! files; [`FileState`] is the real store under `[client] state_dir`.
//!
//! The store never makes a caller wait: a record whose lock is not had
//! within a few milliseconds is left alone ([`StateError::Busy`]), and a
//! state directory that fails the [`crate::trusted_dir`] checks is not
//! used at all ([`StateError::Unavailable`]). Either way the login goes on.

mod files;
pub mod kept;
mod memory;

pub use files::FileState;
pub use memory::MemoryState;

/// Number of u64 slots in a record.
pub const SLOTS: usize = 16;

/// One record: [`SLOTS`] counters.
pub type Record = [u64; SLOTS];

/// The kinds of mark, each its own namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    /// An endpoint that failed: the Unix time (ms) until which it is skipped.
    Dead,
    /// A server seen to sign its replies with Message-Authenticator: the
    /// Unix time (s) it was first seen to (unsigned replies are refused from then on).
    Signs,
}

impl MarkKind {
    /// The subdirectory of the state directory holding the marks.
    pub fn dir_name(self) -> &'static str {
        match self {
            MarkKind::Dead => "dead",
            MarkKind::Signs => "signs",
        }
    }
}

/// Why shared state was not read or changed. Never a reason to fail a login.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The state directory is not used (see the log line when it was refused).
    #[error("the state directory is not in use: {0}")]
    Unavailable(String),
    /// Another process held the record's lock for longer than we wait.
    #[error("{0} is locked by another process; the update is skipped rather than waited for")]
    Busy(String),
    /// A read or write failed.
    #[error("{name}: {source}")]
    Io {
        /// The record or mark.
        name: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The shared store.
pub trait SharedState {
    /// Changes record `name` under its lock and returns the new values.
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError>;
    /// Reads record `name` (zeros when absent).
    fn read(&self, name: &str) -> Result<Record, StateError>;
    /// The value of a mark, if set.
    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64>;
    /// Sets a mark.
    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError>;
    /// Clears a mark (absent is fine).
    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError>;
    /// Called once a request is out, while the server works on it: a store
    /// with descriptors to check or files to open does that now, so that
    /// the answer's update is only a lock, a read and a write. Returns why
    /// the store is not in use when this is the first the caller hears of
    /// it (to be logged once).
    fn prepare(&self, _record: &str) -> Option<String> {
        None
    }
}

/// A store shared by several clients of one process ([`kept`]).
impl<T: SharedState + ?Sized> SharedState for std::sync::Arc<T> {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        (**self).update(name, change)
    }
    fn read(&self, name: &str) -> Result<Record, StateError> {
        (**self).read(name)
    }
    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        (**self).mark(kind, key)
    }
    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        (**self).set_mark(kind, key, value)
    }
    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        (**self).clear_mark(kind, key)
    }
    fn prepare(&self, record: &str) -> Option<String> {
        (**self).prepare(record)
    }
}

/// The log line for a state directory that is not in use.
pub fn unshared(problem: &str) -> String {
    format!("state_dir: {problem}; counters and dead-server marks are not shared with other processes")
}

/// A file name for a key made of addresses and ports (`:` and `/` replaced).
pub fn file_name(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// Decodes a record from its bytes (little-endian u64s; missing slots are 0).
pub fn decode(bytes: &[u8]) -> Record {
    let mut out = [0u64; SLOTS];
    for (slot, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        *slot = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
    out
}

/// Encodes a record.
pub fn encode(record: &Record) -> Vec<u8> {
    record.iter().flat_map(|v| v.to_le_bytes()).collect()
}
