//! The session registry as the daemon sees it: kept in memory and brought
//! up to date only when the directory changes, reading only the files that
//! changed, and indexed by every attribute a request may name sessions by.
//! With 10,000 sessions a request costs a `stat` and a hash lookup, not
//! 10,000 file reads or comparisons.

use crate::selector::Selector;
use nix::sys::stat::FileStat;
use radius_core::log::{Level, Log};
use crate::sessions::{PppSession, SessionDir};
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
}

impl RegistryCache {
    /// The registry in `dir` (read at first use).
    pub fn new(dir: Arc<SessionDir>) -> Self {
        RegistryCache { dir, dir_stamp: None, files: HashMap::new(), index: HashMap::new(), held: false }
    }

    /// The registry directory.
    pub fn dir(&self) -> &SessionDir {
        &self.dir
    }

    /// Re-reads what changed since the last look.
    pub fn refresh(&mut self, log: &dyn Log) {
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
        let names = match self.dir.record_files() {
            Ok(n) => n,
            Err(e) => {
                log.log(Level::Error, &format!("cannot list the session registry {}: {e}", self.dir.path().display()));
                self.files.clear();
                self.index.clear();
                return;
            }
        };
        let mut fresh = HashMap::with_capacity(self.files.len());
        for name in names {
            let Ok(meta) = self.dir.dir().stat_entry(&name) else { continue };
            let st = stamp(&meta);
            match self.files.remove(&name) {
                Some((old, record)) if old == st => {
                    fresh.insert(name, (st, record));
                }
                previous => {
                    if let Some((_, old)) = previous {
                        self.unindex(&name, &old);
                    }
                    match self.dir.read_file(&name) {
                        Ok(Some(record)) => {
                            self.reindex(&name, &record);
                            fresh.insert(name, (st, record));
                        }
                        Ok(None) => {}
                        Err(err) => log.log(Level::Warning, &format!("skipping an unreadable session record: {err}")),
                    }
                }
            }
        }
        // What is left was removed from the directory.
        for (name, (_, old)) in std::mem::take(&mut self.files) {
            self.unindex(&name, &old);
        }
        self.files = fresh;
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
        let reg = Arc::new(SessionDir::open(dir.path()).unwrap());
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
        let reg = Arc::new(SessionDir::open(dir.path()).unwrap());
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
}
