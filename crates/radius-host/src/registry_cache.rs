//! The session registry as the daemon sees it: kept in memory and brought
//! up to date only when the directory changes, reading only the files that
//! changed. With 10,000 sessions a request costs a `stat`, not 10,000
//! file reads.

use crate::selector::Selector;
use nix::sys::stat::FileStat;
use radius_core::log::{Level, Log};
use crate::sessions::{PppSession, SessionDir};
use std::collections::HashMap;
use std::sync::Arc;

/// A file's identity and version: inode, mtime (ns).
type Stamp = (u64, i64, i64);

fn stamp(m: &FileStat) -> Stamp {
    (m.st_ino, m.st_mtime, m.st_mtime_nsec)
}

/// The registry, cached.
#[derive(Debug)]
pub struct RegistryCache {
    dir: Arc<SessionDir>,
    dir_stamp: Option<Stamp>,
    files: HashMap<String, (Stamp, PppSession)>,
}

impl RegistryCache {
    /// The registry in `dir` (read at first use).
    pub fn new(dir: Arc<SessionDir>) -> Self {
        RegistryCache { dir, dir_stamp: None, files: HashMap::new() }
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
                _ => match self.dir.read_file(&name) {
                    Ok(Some(record)) => {
                        fresh.insert(name, (st, record));
                    }
                    Ok(None) => {}
                    Err(err) => log.log(Level::Warning, &format!("skipping an unreadable session record: {err}")),
                },
            }
        }
        self.files = fresh;
    }

    /// The sessions `selector` names, as of now.
    pub fn matching(&mut self, selector: &Selector, log: &dyn Log) -> Vec<PppSession> {
        self.refresh(log);
        let mut out: Vec<PppSession> = self.files.values().filter(|(_, r)| selector.matches(r)).map(|(_, r)| r.clone()).collect();
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
}
