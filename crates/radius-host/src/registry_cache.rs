//! The session registry as the daemon sees it: kept in memory and brought
//! up to date only when the directory changes, reading only the files that
//! changed, and indexed by every attribute a request may name sessions by.
//! With 10,000 sessions a request costs one read of an inotify queue (or a
//! `stat` of the directory where inotify cannot be had) and a hash lookup,
//! not 10,000 file reads or comparisons. inotify names the files that
//! changed, so a session starting or ending elsewhere costs a look at that
//! record alone; without it, any change of the directory costs a `stat` of
//! every record.

use crate::selector::Selector;
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::FileStat;
use std::os::fd::AsRawFd;
use radius_core::log::{Level, Log};
use crate::sessions::{self, PppSession, SessionDir};
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// A file's identity and version: inode, mtime (ns).
type Stamp = (u64, i64, i64);

fn stamp(m: &FileStat) -> Stamp {
    (m.st_ino, m.st_mtime, m.st_mtime_nsec)
}

/// One value a session can be named by (RFC 5176 3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    SessionId(String),
    FramedIp(Ipv4Addr),
    NasPort(u32),
    NasPortId(String),
    /// Lowercased: it is matched without regard to case.
    CallingStationId(String),
}

/// Every key of a record.
fn keys_of(r: &PppSession) -> Vec<Key> {
    let mut k = vec![
        Key::User(r.user.clone()),
        Key::SessionId(r.acct_session_id.clone()),
        Key::NasPort(r.port.nas_port),
        Key::NasPortId(r.port.nas_port_id.clone()),
        Key::CallingStationId(r.port.calling_station_id.to_ascii_lowercase()),
    ];
    if let Some(ip) = r.framed_ip_address {
        k.push(Key::FramedIp(ip));
    }
    k
}

/// The most selective key a selector gives (every selector the daemon
/// acts on gives one).
fn lookup_key(s: &Selector) -> Option<Key> {
    if let Some(v) = &s.acct_session_id {
        return Some(Key::SessionId(v.clone()));
    }
    if let Some(ip) = s.framed_ip_address {
        return Some(Key::FramedIp(ip));
    }
    if let Some(v) = &s.calling_station_id {
        return Some(Key::CallingStationId(v.to_ascii_lowercase()));
    }
    if let Some(v) = &s.nas_port_id {
        return Some(Key::NasPortId(v.clone()));
    }
    if let Some(v) = &s.user {
        return Some(Key::User(v.clone()));
    }
    s.nas_port.map(Key::NasPort)
}

/// The registry, cached.
#[derive(Debug)]
pub struct RegistryCache {
    dir: Arc<SessionDir>,
    dir_stamp: Option<Stamp>,
    files: HashMap<String, (Stamp, PppSession)>,
    /// Which files hold a session with each key; kept in step with `files`.
    index: HashMap<Key, HashSet<String>>,
    /// Refreshed for a batch of requests all received before the refresh
    /// (see [`RegistryCache::hold`]): no look at the directory until released.
    held: bool,
    /// How changes of the directory are learnt.
    watch: Watch,
}

/// How the cache learns what changed.
#[derive(Debug)]
enum Watch {
    /// Nothing read yet: the first refresh sets up the watch, then looks at every record.
    NotYet,
    /// The queue of the directory's changes since the last look.
    Events(Inotify),
    /// No inotify (limits, or the directory itself was moved): the
    /// directory's stamp, and a look at every record when it changes.
    Stamp,
}

/// What the events since the last look ask for.
enum Changed {
    /// These record files (each to be read again, or forgotten if gone).
    Names(HashSet<String>),
    /// Everything (the queue overflowed, or the directory was replaced).
    All,
}

/// The record files named by the events waiting in `watch`.
fn drain(watch: &Inotify) -> Result<Changed, Errno> {
    let mut names = HashSet::new();
    loop {
        match watch.read_events() {
            Ok(events) => {
                for e in events {
                    if e.mask.intersects(AddWatchFlags::IN_Q_OVERFLOW | AddWatchFlags::IN_DELETE_SELF | AddWatchFlags::IN_MOVE_SELF | AddWatchFlags::IN_IGNORED) {
                        return Ok(Changed::All);
                    }
                    if let Some(name) = e.name.as_ref().and_then(|n| n.to_str()).filter(|n| sessions::is_record_file(n)) {
                        names.insert(name.to_string());
                    }
                }
            }
            Err(Errno::EAGAIN) => return Ok(Changed::Names(names)),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

impl RegistryCache {
    /// The registry in `dir` (read at first use).
    pub fn new(dir: Arc<SessionDir>) -> Self {
        RegistryCache { dir, dir_stamp: None, files: HashMap::new(), index: HashMap::new(), held: false, watch: Watch::NotYet }
    }

    /// The registry directory.
    pub fn dir(&self) -> &SessionDir {
        &self.dir
    }

    /// Watches the directory itself (the one opened and checked, through
    /// its descriptor, not its path again): every file created, renamed,
    /// written or removed in it.
    fn watch(&self, log: &dyn Log) -> Watch {
        let events = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::IN_ONLYDIR;
        let fd_path = format!("/proc/self/fd/{}", self.dir.dir().as_fd().as_raw_fd());
        match Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).and_then(|w| w.add_watch(fd_path.as_str(), events).map(|_| w)) {
            Ok(w) => Watch::Events(w),
            Err(e) => {
                log.log(Level::Warning, &format!(
                    "cannot watch the session registry {} ({e}): any change in it costs a look at every record",
                    self.dir.path().display()
                ));
                Watch::Stamp
            }
        }
    }

    /// Re-reads what changed since the last look.
    pub fn refresh(&mut self, log: &dyn Log) {
        if matches!(self.watch, Watch::NotYet) {
            // Set up before the first look: nothing that changes during it is missed.
            self.watch = self.watch(log);
            self.dir_stamp = None;
            return self.look_at_every_record(log);
        }
        let changed = match &self.watch {
            Watch::Events(w) => drain(w),
            _ => return self.look_at_every_record(log),
        };
        match changed {
            Ok(Changed::Names(names)) => {
                for name in names {
                    self.look_at(&name, log);
                }
            }
            Ok(Changed::All) => {
                // Watched anew: the directory may have been replaced.
                self.watch = Watch::NotYet;
                self.refresh(log);
            }
            Err(e) => {
                log.log(Level::Warning, &format!("session registry watch: {e}; looking at the directory instead"));
                self.watch = Watch::Stamp;
                self.dir_stamp = None;
                self.look_at_every_record(log);
            }
        }
    }

    /// Reads record file `name` again if it changed, or forgets it if it is gone.
    fn look_at(&mut self, name: &str, log: &dyn Log) {
        let Ok(meta) = self.dir.dir().stat_entry(name) else {
            if let Some((_, old)) = self.files.remove(name) {
                self.unindex(name, &old);
            }
            return;
        };
        let st = stamp(&meta);
        if self.files.get(name).is_some_and(|(old, _)| *old == st) {
            return;
        }
        if let Some((_, old)) = self.files.remove(name) {
            self.unindex(name, &old);
        }
        match self.dir.read_file(name) {
            Ok(Some(record)) => {
                self.reindex(name, &record);
                self.files.insert(name.to_string(), (st, record));
            }
            Ok(None) => {}
            Err(err) => log.log(Level::Warning, &format!("skipping an unreadable session record: {err}")),
        }
    }

    /// Lists the directory (when its stamp changed) and reads every record
    /// that is new or changed.
    fn look_at_every_record(&mut self, log: &dyn Log) {
        let now = match self.dir.dir().stat() {
            Ok(m) => stamp(&m),
            Err(e) => {
                log.log(Level::Error, &format!("cannot read the session registry {}: {e}", self.dir.path().display()));
                return;
            }
        };
        if Some(now) == self.dir_stamp {
            return;
        }
        self.dir_stamp = Some(now);
        let names: HashSet<String> = match self.dir.record_files() {
            Ok(n) => n.into_iter().collect(),
            Err(e) => {
                log.log(Level::Error, &format!("cannot list the session registry {}: {e}", self.dir.path().display()));
                self.files.clear();
                self.index.clear();
                return;
            }
        };
        // What is not listed was removed from the directory.
        let gone: Vec<String> = self.files.keys().filter(|n| !names.contains(*n)).cloned().collect();
        for name in gone.iter().chain(&names) {
            self.look_at(name, log);
        }
    }

    fn reindex(&mut self, name: &str, record: &PppSession) {
        for key in keys_of(record) {
            self.index.entry(key).or_default().insert(name.to_string());
        }
    }

    fn unindex(&mut self, name: &str, record: &PppSession) {
        for key in keys_of(record) {
            if let Some(names) = self.index.get_mut(&key) {
                names.remove(name);
                if names.is_empty() {
                    self.index.remove(&key);
                }
            }
        }
    }

    /// Refreshes now and answers from that view until [`RegistryCache::release`]:
    /// for a batch of requests that were all received before this call
    /// (a session recorded before a request was sent is seen), one look at
    /// the directory instead of one per request.
    pub fn hold(&mut self, log: &dyn Log) {
        self.held = false;
        self.refresh(log);
        self.held = true;
    }

    /// Ends a [`RegistryCache::hold`]: every lookup looks at the directory again.
    pub fn release(&mut self) {
        self.held = false;
    }

    /// The sessions `selector` names, as of now (or of the [`RegistryCache::hold`]).
    pub fn matching(&mut self, selector: &Selector, log: &dyn Log) -> Vec<PppSession> {
        if !self.held {
            self.refresh(log);
        }
        let mut out: Vec<PppSession> = match lookup_key(selector) {
            Some(key) => self
                .index
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|name| self.files.get(name))
                .filter(|(_, r)| selector.matches(r))
                .map(|(_, r)| r.clone())
                .collect(),
            None => self.files.values().filter(|(_, r)| selector.matches(r)).map(|(_, r)| r.clone()).collect(),
        };
        out.sort_by(|a, b| a.ifname.cmp(&b.ifname));
        out
    }

    /// How many sessions are recorded.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::log::NullLog;

    fn record(ifname: &str, user: &str) -> PppSession {
        PppSession::example(ifname, user, 1)
    }

    /// Added, changed and removed records are seen at the next look.
    #[test]
    fn follows_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Arc::new(SessionDir::open(dir.path(), &dir.path().join(".state")).unwrap());
        let mut cache = RegistryCache::new(reg.clone());
        let alice = Selector { user: Some("alice".into()), ..Default::default() };
        assert!(cache.matching(&alice, &NullLog).is_empty());
        reg.write(&record("ppp0", "alice")).unwrap();
        reg.write(&record("ppp1", "bob")).unwrap();
        assert_eq!(cache.matching(&alice, &NullLog).len(), 1);
        assert_eq!(cache.len(), 2);
        reg.write(&record("ppp0", "carol")).unwrap();
        assert!(cache.matching(&alice, &NullLog).is_empty());
        reg.remove("ppp1", 1).unwrap();
        cache.refresh(&NullLog);
        assert_eq!(cache.len(), 1);
    }

    /// Every identifying attribute finds its session through the index, a
    /// changed record under its new values only, a removed one not at all;
    /// several attributes must all match.
    #[test]
    fn the_index_follows_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Arc::new(SessionDir::open(dir.path(), &dir.path().join(".state")).unwrap());
        let mut cache = RegistryCache::new(reg.clone());
        let mut a = record("ppp0", "alice");
        a.acct_session_id = "S-A".into();
        a.framed_ip_address = Some([10, 0, 0, 1].into());
        a.port.nas_port = 7;
        a.port.nas_port_id = "eth1".into();
        a.port.calling_station_id = "AA:BB:CC:00:00:01".into();
        reg.write(&a).unwrap();
        reg.write(&record("ppp1", "bob")).unwrap();
        let found = |cache: &mut RegistryCache, s: Selector| cache.matching(&s, &NullLog).iter().map(|r| r.ifname.clone()).collect::<Vec<_>>();
        let by = [
            Selector { user: Some("alice".into()), ..Default::default() },
            Selector { acct_session_id: Some("S-A".into()), ..Default::default() },
            Selector { framed_ip_address: Some([10, 0, 0, 1].into()), ..Default::default() },
            Selector { nas_port: Some(7), ..Default::default() },
            Selector { nas_port_id: Some("eth1".into()), ..Default::default() },
            Selector { calling_station_id: Some("aa:bb:cc:00:00:01".into()), ..Default::default() },
        ];
        for s in &by {
            assert_eq!(found(&mut cache, s.clone()), vec!["ppp0"], "{s:?}");
        }
        let both = Selector { user: Some("bob".into()), acct_session_id: Some("S-A".into()), ..Default::default() };
        assert!(found(&mut cache, both).is_empty(), "all given must match");
        a.user = "carol".into();
        reg.write(&a).unwrap();
        assert!(found(&mut cache, by[0].clone()).is_empty(), "the old user name is gone from the index");
        assert_eq!(found(&mut cache, Selector { user: Some("carol".into()), ..Default::default() }), vec!["ppp0"]);
        reg.remove("ppp0", 1).unwrap();
        assert!(found(&mut cache, by[1].clone()).is_empty());
        assert!(cache.index.keys().all(|k| !matches!(k, Key::SessionId(s) if s == "S-A")), "no key of a removed record stays");
    }

    /// The directory's events name what changed: a record edited in place
    /// (the directory itself unchanged) is read again, and a session that
    /// ended and started again under the same name between two looks is
    /// seen with its new values.
    #[test]
    fn changes_are_followed_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Arc::new(SessionDir::open(dir.path(), &dir.path().join(".state")).unwrap());
        let mut cache = RegistryCache::new(reg.clone());
        reg.write(&record("ppp0", "alice")).unwrap();
        cache.refresh(&NullLog);
        assert!(matches!(cache.watch, Watch::Events(_)), "inotify is used where it can be");
        let by = |user: &str| Selector { user: Some(user.into()), ..Default::default() };
        assert_eq!(cache.matching(&by("alice"), &NullLog).len(), 1);
        let path = dir.path().join("ppp0.toml");
        let text = std::fs::read_to_string(&path).unwrap().replace("\"alice\"", "\"dave\"");
        std::fs::write(&path, text).unwrap();
        assert_eq!(cache.matching(&by("dave"), &NullLog).len(), 1, "an edit in place is seen");
        assert!(cache.matching(&by("alice"), &NullLog).is_empty());
        reg.remove("ppp0", 1).unwrap();
        reg.write(&record("ppp0", "erin")).unwrap();
        assert_eq!(cache.matching(&by("erin"), &NullLog).len(), 1);
        assert!(cache.matching(&by("dave"), &NullLog).is_empty());
        assert_eq!(cache.len(), 1);
    }
}
