//! Shared state in files under `[client] state_dir`, in a
//! [`TrustedDir`](crate::trusted_dir::TrustedDir): records are files of
//! [`SLOTS`](super::SLOTS) u64s (mode 0600) changed under a `flock` that
//! is tried, never waited on; marks are small files replaced by rename.

use super::{decode, encode, MarkKind, Record, SharedState, StateError};
use crate::trusted_dir::TrustedDir;
use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a record's lock is tried for before the update is skipped.
pub const LOCK_WAIT: Duration = Duration::from_millis(5);

/// Mode of the state directories we make: root only.
const DIR_MODE: u32 = 0o700;
/// Mode of every state file: root only, so no one else can open (or lock) it.
const FILE_MODE: u32 = 0o600;

/// The store under one state directory.
#[derive(Debug)]
pub struct FileState {
    root: Result<TrustedDir, String>,
    counters: OnceLock<Result<TrustedDir, String>>,
    dead: OnceLock<Result<TrustedDir, String>>,
    signs: OnceLock<Result<TrustedDir, String>>,
    /// Records opened so far, kept open: a request's second update (its
    /// answer) costs a lock, a read and a write, not an open and a close.
    records: Mutex<HashMap<String, OpenRecord>>,
}

/// A record file held open, with the device and inode it had.
#[derive(Debug)]
struct OpenRecord {
    file: File,
    identity: (u64, u64),
    /// Checked (or opened) by [`SharedState::prepare`] while a request was
    /// out; the next update, its answer's, need not check it again.
    checked: bool,
}

/// What a record's descriptor is now.
enum RecordNow {
    /// Still the file, still linked.
    Same,
    /// The file, removed since (counters cleared by hand): ours to close.
    Removed,
    /// Another file, or no file: the number was closed behind our back
    /// (and maybe reused by the host); not ours to close.
    NotOurs,
}

impl OpenRecord {
    fn now(&self) -> RecordNow {
        use std::os::unix::fs::MetadataExt;
        match self.file.metadata() {
            Ok(m) if (m.dev(), m.ino()) != self.identity => RecordNow::NotOurs,
            Ok(m) if m.nlink() == 0 => RecordNow::Removed,
            Ok(_) => RecordNow::Same,
            Err(_) => RecordNow::NotOurs,
        }
    }
}

/// Whether a store kept from an earlier call can be used again
/// (see [`super::kept`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holding {
    /// Its descriptors are its directories, which pass the checks, and
    /// `state_dir` still leads to it.
    Good,
    /// A descriptor is no longer its directory: closed behind our back
    /// (and maybe reused by the host), or the directory changed mode or
    /// owner.
    Lost,
    /// Its descriptors are its own, but `state_dir` now leads elsewhere
    /// (removed and made anew), or a part of it was not usable.
    Stale,
}

fn busy_wait<T>(name: &str, mut attempt: impl FnMut() -> Result<T, TryLockError>) -> Result<T, StateError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match attempt() {
            Ok(v) => return Ok(v),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(Duration::from_micros(200)),
            Err(TryLockError::WouldBlock) => return Err(StateError::Busy(name.to_string())),
            Err(TryLockError::Error(source)) => return Err(StateError::Io { name: name.to_string(), source }),
        }
    }
}

impl FileState {
    /// The store under `state_dir` (made, mode 0700, when missing). A
    /// directory that fails the checks leaves the store unavailable;
    /// [`FileState::problem`] says why.
    pub fn open(state_dir: &Path) -> FileState {
        FileState {
            root: TrustedDir::open(state_dir, Some(DIR_MODE)).map_err(|e| e.to_string()),
            counters: OnceLock::new(),
            dead: OnceLock::new(),
            signs: OnceLock::new(),
            records: Mutex::new(HashMap::new()),
        }
    }

    /// Why the store is not in use, if it is not.
    pub fn problem(&self) -> Option<&str> {
        self.root.as_ref().err().map(String::as_str)
    }

    /// Whether this store, kept from an earlier call, can serve another:
    /// an `fstat` of each directory held and an `lstat` of `state_dir`.
    /// Asked before each reuse, it also drops the record checks
    /// [`SharedState::prepare`] made for the earlier call.
    pub(crate) fn holding(&self) -> Holding {
        // A record checked for an earlier call is checked again in this one.
        for record in self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values_mut() {
            record.checked = false;
        }
        let Ok(root) = &self.root else { return Holding::Stale };
        let subdirs = [&self.counters, &self.dead, &self.signs];
        if !root.still_held() || subdirs.iter().any(|cell| matches!(cell.get(), Some(Ok(dir)) if !dir.still_held())) {
            return Holding::Lost;
        }
        if subdirs.iter().any(|cell| matches!(cell.get(), Some(Err(_)))) || !root.still_at_path() {
            return Holding::Stale;
        }
        Holding::Good
    }

    /// Lets go of a store that will not be used again: closes each
    /// descriptor that is still the directory or record it was opened on,
    /// and leaves the others unclosed, as the host may have closed them
    /// behind our back and given their numbers to files of its own.
    pub(crate) fn let_go(self) {
        let FileState { root, counters, dead, signs, records } = self;
        for dir in [Some(root), counters.into_inner(), dead.into_inner(), signs.into_inner()].into_iter().flatten().flatten() {
            dir.close_if_its_own();
        }
        for (_, record) in records.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            if matches!(record.now(), RecordNow::NotOurs) {
                std::mem::forget(record);
            }
        }
    }

    fn subdir<'a>(&'a self, cell: &'a OnceLock<Result<TrustedDir, String>>, name: &str) -> Result<&'a TrustedDir, StateError> {
        let root = self.root.as_ref().map_err(|e| StateError::Unavailable(e.clone()))?;
        cell.get_or_init(|| root.subdir(name, Some(DIR_MODE)).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| StateError::Unavailable(e.clone()))
    }

    fn marks(&self, kind: MarkKind) -> Result<&TrustedDir, StateError> {
        match kind {
            MarkKind::Dead => self.subdir(&self.dead, kind.dir_name()),
            MarkKind::Signs => self.subdir(&self.signs, kind.dir_name()),
        }
    }

    fn counters_dir(&self) -> Result<&TrustedDir, StateError> {
        self.subdir(&self.counters, "counters")
    }
}

/// Lets the record `name` go if its descriptor changed: a file removed
/// since (counters cleared by hand) is closed, to be opened anew so that
/// updates land where `monitor` reads them; a descriptor that is no longer
/// the file is let go, never closed.
fn let_go_if_changed(records: &mut HashMap<String, OpenRecord>, name: &str) {
    match records.get(name).map(OpenRecord::now) {
        Some(RecordNow::Removed) => drop(records.remove(name)),
        Some(RecordNow::NotOurs) => std::mem::forget(records.remove(name)),
        Some(RecordNow::Same) | None => {}
    }
}

/// The record `name` held open, opened (and held) now if it is not.
fn held<'r>(records: &'r mut HashMap<String, OpenRecord>, dir: &TrustedDir, name: &str) -> Result<&'r mut OpenRecord, StateError> {
    match records.entry(name.to_string()) {
        std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(e) => {
            let (file, identity) = dir.open_record_identified(name, FILE_MODE).map_err(io(name))?;
            Ok(e.insert(OpenRecord { file, identity, checked: false }))
        }
    }
}

fn io(name: &str) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { name: name.to_string(), source }
}

/// The record in `file` (its fixed size at most; a shorter file is zeros
/// after its end), with one `pread` in the usual case.
fn read_record(file: &File, name: &str) -> Result<Record, StateError> {
    let mut bytes = [0u8; super::SLOTS * 8];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read_at(&mut bytes[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(name)(e)),
        }
    }
    Ok(decode(&bytes[..filled]))
}

impl SharedState for FileState {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        let dir = self.counters_dir()?;
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Checked while its request was out, or now.
        let checked = records.get_mut(name).is_some_and(|record| std::mem::take(&mut record.checked));
        if !checked {
            let_go_if_changed(&mut records, name);
        }
        let file = &held(&mut records, dir, name)?.file;
        busy_wait(name, || file.try_lock())?;
        let updated = read_record(file, name).and_then(|mut record| {
            change(&mut record);
            file.write_all_at(&encode(&record), 0).map_err(io(name))?;
            Ok(record)
        });
        // Released at once; the file stays open for the next update.
        let _ = file.unlock();
        updated
    }

    fn read(&self, name: &str) -> Result<Record, StateError> {
        let dir = self.counters_dir()?;
        let Some(file) = dir.open_read(name).map_err(io(name))? else { return Ok([0; super::SLOTS]) };
        busy_wait(name, || file.try_lock_shared())?;
        read_record(&file, name)
    }

    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        let bytes = self.marks(kind).ok()?.read(key).ok()??;
        std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
    }

    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        self.marks(kind)?.write(key, value.to_string().as_bytes(), FILE_MODE, false).map_err(io(key))
    }

    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        self.marks(kind)?.remove(key).map_err(io(key))
    }

    /// Checks the record held open, or opens `counters/` and the record
    /// (the store's first request). Why the store is not in use was said
    /// when it was opened.
    fn prepare(&self, record: &str) -> Option<String> {
        let Ok(dir) = self.counters_dir() else { return None };
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let_go_if_changed(&mut records, record);
        // One that cannot be opened now is tried again, and said, at its update.
        if let Ok(held) = held(&mut records, dir, record) {
            held.checked = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// Concurrent updaters never lose an increment.
    #[test]
    fn concurrent_increments_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || {
                    let s = FileState::open(&p);
                    let mut done = 0;
                    while done < 200 {
                        // Contention among ourselves may skip an update; retry it here to count exactly.
                        if s.update("x", &mut |r| r[3] += 1).is_ok() {
                            done += 1;
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(FileState::open(&path).read("x").unwrap()[3], 1600);
        let mode = std::fs::metadata(path.join("counters/x")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    /// The host closed the store's descriptors and gave their numbers to
    /// files of its own (`closefrom` after a fork): no update is written
    /// into the host's file, the store no longer holds, and letting it go
    /// closes none of the host's files.
    #[test]
    fn descriptors_taken_over_by_the_host_are_not_used() {
        use std::os::fd::AsFd;
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::create_dir(&hosts).unwrap();
        let mut s = FileState::open(&dir.path().join("state"));
        s.update("x", &mut |r| r[0] += 1).unwrap();
        assert_eq!(s.holding(), Holding::Good);

        // The record's number now names a file of the host's.
        let host_file = File::create(hosts.join("log")).unwrap();
        give_record_number_to(&s, "x", &host_file);
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 2);
        assert_eq!(std::fs::metadata(hosts.join("log")).unwrap().len(), 0, "wrote in the host's file");

        // The state directory's number now names a directory of the host's.
        let host_dir = File::open(&hosts).unwrap();
        nix::unistd::dup2(host_dir.as_fd(), s.root.as_mut().unwrap().fd_mut()).unwrap();
        assert_eq!(s.holding(), Holding::Lost);

        // The record opened anew is taken over too; let go, the store
        // leaves both numbers to the host.
        let host_file_number = give_record_number_to(&s, "x", &host_file);
        let host_dir_number = s.root.as_mut().unwrap().fd_mut().as_raw_fd();
        s.let_go();
        assert_eq!(file_at(host_dir_number), Some(identity_of(&hosts)), "closed the host's directory");
        assert_eq!(file_at(host_file_number), Some(identity_of(&hosts.join("log"))), "closed the host's file");
    }

    /// Makes the number of the record `name` held open name `host_file`
    /// instead, as a host's `closefrom` and `open` would; the number.
    fn give_record_number_to(s: &FileState, name: &str, host_file: &File) -> std::os::fd::RawFd {
        use std::os::fd::{AsFd, OwnedFd};
        let mut records = s.records.lock().unwrap();
        let kept = records.remove(name).unwrap();
        let mut fd = OwnedFd::from(kept.file);
        nix::unistd::dup2(host_file.as_fd(), &mut fd).unwrap();
        let number = fd.as_raw_fd();
        records.insert(name.into(), OpenRecord { file: File::from(fd), identity: kept.identity, checked: false });
        number
    }

    /// Device and inode of what descriptor `fd` of this process is, if open.
    fn file_at(fd: std::os::fd::RawFd) -> Option<(u64, u64)> {
        std::fs::metadata(format!("/proc/self/fd/{fd}")).ok().map(|m| (m.dev(), m.ino()))
    }

    fn identity_of(path: &Path) -> (u64, u64) {
        let m = std::fs::metadata(path).unwrap();
        (m.dev(), m.ino())
    }

    /// A store let go closes its directories and records: state_dir made
    /// anew or changed in the configuration costs a long-lived host no
    /// descriptors.
    #[test]
    fn a_store_let_go_closes_its_own_descriptors() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let mut s = FileState::open(&state_dir);
        s.update("x", &mut |r| r[0] += 1).unwrap();
        let held = [
            (s.root.as_mut().unwrap().fd_mut().as_raw_fd(), identity_of(&state_dir)),
            (s.counters.get_mut().unwrap().as_mut().unwrap().fd_mut().as_raw_fd(), identity_of(&state_dir.join("counters"))),
            (s.records.lock().unwrap()["x"].file.as_raw_fd(), identity_of(&state_dir.join("counters").join("x"))),
        ];
        // Removed, so that nothing else can open them again meanwhile.
        std::fs::remove_dir_all(&state_dir).unwrap();
        for (fd, identity) in held {
            assert_eq!(file_at(fd), Some(identity), "descriptor {fd} is not the store's");
        }
        s.let_go();
        for (fd, identity) in held {
            assert_ne!(file_at(fd), Some(identity), "descriptor {fd} was left open");
        }
    }

    /// `prepare` opens the record before any update (a store's first
    /// request), and checks one held open: a record removed since is
    /// counted in anew, where `monitor` reads.
    #[test]
    fn prepare_opens_or_checks_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let s = FileState::open(&state_dir);
        assert_eq!(s.prepare("x"), None);
        let record = state_dir.join("counters").join("x");
        assert!(record.exists(), "prepare did not open the record");
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 1);
        std::fs::remove_file(&record).unwrap();
        assert_eq!(s.prepare("x"), None);
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 1);
        assert_eq!(FileState::open(&state_dir).read("x").unwrap()[0], 1);
    }

    /// A check `prepare` made for one call does not stand for the next:
    /// once the store is asked whether it still holds, the record is
    /// checked again at its update.
    #[test]
    fn a_check_made_for_an_earlier_call_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let s = FileState::open(&state_dir);
        s.update("x", &mut |r| r[0] += 1).unwrap();
        s.prepare("x");
        std::fs::remove_file(state_dir.join("counters").join("x")).unwrap();
        assert_eq!(s.holding(), Holding::Good);
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 1);
        assert_eq!(FileState::open(&state_dir).read("x").unwrap()[0], 1, "counted in the removed file");
    }

    /// state_dir removed and made anew: a store opened before is stale.
    #[test]
    fn a_state_dir_made_anew_makes_the_store_stale() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let s = FileState::open(&state_dir);
        s.update("x", &mut |r| r[0] += 1).unwrap();
        assert_eq!(s.holding(), Holding::Good);
        std::fs::remove_dir_all(&state_dir).unwrap();
        std::fs::create_dir(&state_dir).unwrap();
        assert_eq!(s.holding(), Holding::Stale);
    }

    /// A lock held elsewhere makes the update give up within a few milliseconds.
    #[test]
    fn a_held_lock_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileState::open(dir.path());
        s.update("x", &mut |r| r[0] = 1).unwrap();
        let holder = File::open(dir.path().join("counters/x")).unwrap();
        holder.lock().unwrap();
        let started = Instant::now();
        assert!(matches!(s.update("x", &mut |r| r[0] += 1), Err(StateError::Busy(_))));
        assert!(started.elapsed() < Duration::from_millis(100), "waited {:?}", started.elapsed());
        drop(holder);
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 2);
    }

    /// A record removed by hand while its file is kept open is made anew
    /// by the next update, not written into the removed file.
    #[test]
    fn a_removed_record_is_made_anew() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileState::open(dir.path());
        s.update("x", &mut |r| r[0] = 5).unwrap();
        std::fs::remove_file(dir.path().join("counters/x")).unwrap();
        assert_eq!(s.update("x", &mut |r| r[0] += 1).unwrap()[0], 1);
        assert_eq!(FileState::open(dir.path()).read("x").unwrap()[0], 1);
    }

    /// Marks are replaced whole and removable.
    #[test]
    fn marks() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileState::open(dir.path());
        assert_eq!(s.mark(MarkKind::Dead, "m"), None);
        s.set_mark(MarkKind::Dead, "m", 123).unwrap();
        s.set_mark(MarkKind::Dead, "m", 456).unwrap();
        assert_eq!(s.mark(MarkKind::Dead, "m"), Some(456));
        assert_eq!(s.mark(MarkKind::Signs, "m"), None, "kinds are separate");
        s.clear_mark(MarkKind::Dead, "m").unwrap();
        s.clear_mark(MarkKind::Dead, "m").unwrap();
        assert_eq!(s.mark(MarkKind::Dead, "m"), None);
    }

    /// A state directory others may write to is not used, and says why.
    #[test]
    fn an_open_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let s = FileState::open(dir.path());
        assert!(s.problem().is_some_and(|p| p.contains("writable by group or others")), "{:?}", s.problem());
        assert!(matches!(s.update("x", &mut |_| {}), Err(StateError::Unavailable(_))));
    }
}
