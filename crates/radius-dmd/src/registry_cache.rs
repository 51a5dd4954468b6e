//! The session registry as the daemon sees it: kept in memory and brought
//! up to date only when the directory changes, reading only the files that
//! changed. With 10,000 sessions a request costs a `stat`, not 10,000
//! file reads.

use crate::selector::Selector;
use radius_core::log::{Level, Log};
use radius_core::sessions::{self, SessionRecord};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's identity and version: inode, mtime (ns).
type Stamp = (u64, i64, i64);

fn stamp(m: &std::fs::Metadata) -> Stamp {
    (m.ino(), m.mtime(), m.mtime_nsec())
}

/// The registry, cached.
#[derive(Debug)]
pub struct RegistryCache {
    dir: PathBuf,
    dir_stamp: Option<Stamp>,
    files: HashMap<OsString, (Stamp, SessionRecord)>,
}

impl RegistryCache {
    /// The registry under `dir` (read at first use).
    pub fn new(dir: &Path) -> Self {
        RegistryCache { dir: dir.to_path_buf(), dir_stamp: None, files: HashMap::new() }
    }

    /// Re-reads what changed since the last look.
    pub fn refresh(&mut self, log: &dyn Log) {
        let now = match std::fs::metadata(&self.dir) {
            Ok(m) => Some(stamp(&m)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                log.log(Level::Error, &format!("cannot read the session registry {}: {e}", self.dir.display()));
                return;
            }
        };
        if now.is_some() && now == self.dir_stamp {
            return;
        }
        self.dir_stamp = now;
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(_) => {
                self.files.clear();
                return;
            }
        };
        let mut fresh = HashMap::with_capacity(self.files.len());
        for e in entries.flatten() {
            let name = e.file_name();
            if Path::new(&name).extension().is_none_or(|x| x != "toml") || name.to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            let st = stamp(&meta);
            match self.files.remove(&name) {
                Some((old, record)) if old == st => {
                    fresh.insert(name, (st, record));
                }
                _ => match sessions::read(&e.path()) {
                    Ok(record) => {
                        fresh.insert(name, (st, record));
                    }
                    Err(err) => log.log(Level::Warning, &format!("skipping an unreadable session record: {err}")),
                },
            }
        }
        self.files = fresh;
    }

    /// The sessions `selector` names, as of now.
    pub fn matching(&mut self, selector: &Selector, log: &dyn Log) -> Vec<SessionRecord> {
        self.refresh(log);
        let mut out: Vec<SessionRecord> = self.files.values().filter(|(_, r)| selector.matches(r)).map(|(_, r)| r.clone()).collect();
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

    fn record(ifname: &str, user: &str) -> SessionRecord {
        SessionRecord {
            pid: 1,
            ifname: ifname.into(),
            unit: 0,
            user: user.into(),
            acct_session_id: format!("S-{ifname}"),
            framed_ip_address: None,
            nas_port: 0,
            nas_port_id: ifname.into(),
            calling_station_id: String::new(),
            start_time: 0,
            class: None,
            authenticated_by: "radius".into(),
            process_start: None,
        }
    }

    /// Added, changed and removed records are seen at the next look.
    #[test]
    fn follows_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = RegistryCache::new(dir.path());
        let alice = Selector { user: Some("alice".into()), ..Default::default() };
        assert!(cache.matching(&alice, &NullLog).is_empty());
        sessions::write(dir.path(), &record("ppp0", "alice")).unwrap();
        sessions::write(dir.path(), &record("ppp1", "bob")).unwrap();
        assert_eq!(cache.matching(&alice, &NullLog).len(), 1);
        assert_eq!(cache.len(), 2);
        sessions::write(dir.path(), &record("ppp0", "carol")).unwrap();
        assert!(cache.matching(&alice, &NullLog).is_empty());
        sessions::remove(dir.path(), "ppp1", 1).unwrap();
        cache.refresh(&NullLog);
        assert_eq!(cache.len(), 1);
    }
}
