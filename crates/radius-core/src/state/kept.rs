//! The store a process keeps from one call to the next, for a PAM module
//! in a long-lived host (saslauthd, an OpenVPN or Dovecot authentication
//! worker, Apache, FreeRADIUS's rlm_pam), which is asked to log someone in
//! again and again and makes a new client each time.
//!
//! A store opened anew checks every directory on the way to `state_dir`,
//! then opens `counters/` and the server's record: thirteen system calls
//! before the record's lock, read and write, each login. A kept store has
//! its directories and records open already; before it serves another
//! call it is asked ([`FileState::holding`]) whether each descriptor is
//! still its directory and still passes the checks, and whether
//! `state_dir` still leads to it: an `fstat` per directory and one
//! `lstat`.
//!
//! A store is kept only by the process that opened it: a child forked
//! after it was kept shares its open files, and `flock` does not keep two
//! holders of one open file apart, so the child opens its own. A store
//! that is not used again (`state_dir` made anew, changed in the
//! configuration, or taken from under us; a forked child) is let go
//! ([`FileState::let_go`]): each descriptor that is still the directory
//! or record it was opened on is closed; one that is not is left alone,
//! as the host may have closed it (`closefrom` after a fork) and given
//! its number to something of its own. A store another thread still
//! uses is left to it, unclosed.
//!
//! The lock on the kept store is only tried, never waited for: two threads
//! at once, or a child forked while another thread held it, simply open a
//! store of their own.
//!
//! A client is given a [`KeptState`], which checks the kept store out at
//! its first use: in an exchange, once the request is out
//! ([`SharedState::prepare`]), so those checks cost the login no time of
//! its own; the server is working on the answer meanwhile.

use super::files::{FileState, Holding};
use super::{MarkKind, Record, SharedState, StateError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, TryLockError};

/// The store kept, with what it was kept for.
struct Kept {
    state_dir: PathBuf,
    pid: u32,
    store: Arc<FileState>,
}

static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

/// The store under `state_dir` for one client, checked out of the kept
/// one at its first use ([`file_state`]).
#[derive(Debug)]
pub struct KeptState {
    state_dir: PathBuf,
    store: OnceLock<Arc<FileState>>,
    problem_told: AtomicBool,
}

impl KeptState {
    /// The store under `state_dir`; nothing is opened or checked yet.
    pub fn new(state_dir: &Path) -> KeptState {
        KeptState { state_dir: state_dir.to_path_buf(), store: OnceLock::new(), problem_told: AtomicBool::new(false) }
    }

    fn store(&self) -> &FileState {
        self.store.get_or_init(|| file_state(&self.state_dir))
    }
}

impl SharedState for KeptState {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        self.store().update(name, change)
    }
    fn read(&self, name: &str) -> Result<Record, StateError> {
        self.store().read(name)
    }
    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        self.store().mark(kind, key)
    }
    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        self.store().set_mark(kind, key, value)
    }
    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        self.store().clear_mark(kind, key)
    }
    /// Checks the kept store out (or opens one), then lets it prepare.
    fn prepare(&self, record: &str) -> Option<String> {
        let store = self.store();
        store.prepare(record);
        let problem = store.problem()?;
        (!self.problem_told.swap(true, Ordering::Relaxed)).then(|| problem.to_string())
    }
}

/// The store under `state_dir`: the one kept from an earlier call when it
/// still holds, else one opened now (and kept when it is usable).
pub fn file_state(state_dir: &Path) -> Arc<FileState> {
    // A relative state_dir is kept (and opened) as the directory it names
    // from where the process is now: the host may change its working
    // directory between calls.
    if state_dir.is_relative() {
        return match std::env::current_dir() {
            Ok(cwd) => checkout(&KEPT, &cwd.join(state_dir), std::process::id()),
            Err(_) => Arc::new(FileState::open(state_dir)),
        };
    }
    checkout(&KEPT, state_dir, std::process::id())
}

fn checkout(kept: &Mutex<Option<Kept>>, state_dir: &Path, pid: u32) -> Arc<FileState> {
    let mut slot = match kept.try_lock() {
        Ok(slot) => slot,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return Arc::new(FileState::open(state_dir)),
    };
    if let Some(k) = slot.as_ref() {
        if k.pid == pid && k.state_dir == state_dir && k.store.holding() == Holding::Good {
            return Arc::clone(&k.store);
        }
    }
    // See the module documentation.
    if let Some(old) = slot.take() {
        match Arc::try_unwrap(old.store) {
            Ok(store) => store.let_go(),
            Err(in_use) => std::mem::forget(in_use),
        }
    }
    let store = Arc::new(FileState::open(state_dir));
    if store.problem().is_none() {
        *slot = Some(Kept { state_dir: state_dir.to_path_buf(), pid, store: Arc::clone(&store) });
    }
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::SharedState;

    fn count(store: &FileState) -> u64 {
        store.update("server", &mut |r| r[1] += 1).unwrap()[1]
    }

    /// The second call gets the store the first kept, and its updates land
    /// in the same record.
    #[test]
    fn a_later_call_uses_the_kept_store() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let kept = Mutex::new(None);
        let first = checkout(&kept, &state_dir, 1);
        assert_eq!(count(&first), 1);
        let second = checkout(&kept, &state_dir, 1);
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(count(&second), 2);
        assert_eq!(FileState::open(&state_dir).read("server").unwrap()[1], 2);
    }

    /// Another process (a forked child), or another state_dir, gets a
    /// store of its own.
    #[test]
    fn another_pid_or_state_dir_opens_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let kept = Mutex::new(None);
        let first = checkout(&kept, &a, 1);
        assert!(!Arc::ptr_eq(&first, &checkout(&kept, &a, 2)), "a forked child shares the parent's open files");
        let other = checkout(&kept, &b, 2);
        assert_eq!(count(&other), 1);
        assert_eq!(FileState::open(&b).read("server").unwrap()[1], 1);
        assert_eq!(FileState::open(&a).read("server").unwrap()[1], 0);
    }

    /// state_dir removed and made anew: the next call writes in the new
    /// one, where other processes read, and the old one's descriptors are
    /// closed.
    #[test]
    fn a_state_dir_made_anew_is_opened_anew() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let kept = Mutex::new(None);
        assert_eq!(count(&checkout(&kept, &state_dir, 1)), 1);
        std::fs::remove_dir_all(&state_dir).unwrap();
        assert_eq!(count(&checkout(&kept, &state_dir, 1)), 1);
        assert_eq!(FileState::open(&state_dir).read("server").unwrap()[1], 1);
        let removed_but_open = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| target.starts_with(dir.path()) && target.to_string_lossy().ends_with(" (deleted)"))
            .count();
        assert_eq!(removed_but_open, 0, "the old state_dir's descriptors are still open");
    }

    /// A client's store is checked out at its first use, not when it is
    /// made; a state directory that fails the checks is said once.
    #[test]
    fn a_kept_state_is_checked_out_at_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let state = KeptState::new(&state_dir);
        assert!(!state_dir.exists(), "opened before its first use");
        assert_eq!(state.prepare("server"), None);
        assert!(state_dir.join("counters").join("server").exists());
        assert_eq!(state.update("server", &mut |r| r[1] += 1).unwrap()[1], 1);

        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let refused = KeptState::new(&open);
        assert!(refused.prepare("server").is_some_and(|why| why.contains("writable")), "a world-writable state_dir was not said");
        assert_eq!(refused.prepare("server"), None, "said twice");
        assert!(matches!(refused.update("server", &mut |r| r[1] += 1), Err(crate::state::StateError::Unavailable(_))));
    }

    /// A directory that became writable by others is not written in again.
    #[test]
    fn a_state_dir_opened_up_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let kept = Mutex::new(None);
        count(&checkout(&kept, &state_dir, 1));
        std::fs::set_permissions(&state_dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let again = checkout(&kept, &state_dir, 1);
        assert!(again.problem().is_some(), "a world-writable state_dir was used");
        assert!(matches!(again.update("server", &mut |r| r[1] += 1), Err(crate::state::StateError::Unavailable(_))));
    }
}
