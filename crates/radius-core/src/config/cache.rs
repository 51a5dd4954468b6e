//! The configurations a process has loaded with [`Config::load_kept`],
//! used again while the files they were read from stay as they were.
//!
//! A PAM module in a long-lived host (saslauthd, an OpenVPN or Dovecot
//! authentication worker, Apache, FreeRADIUS's rlm_pam) is asked to log
//! someone in again and again in one process, and reads its configuration
//! for each transaction. Reading and parsing it anew costs more than
//! asking the file system whether it changed: one `stat` per file read.
//! A process that loads its configuration once (pppd, radius-rs-dmd, the
//! CLI) uses [`Config::load`] and keeps no second copy.
//!
//! A kept configuration is used only when every file it was read from (the
//! configuration itself, a `secret_file`, radiusclient's `servers`) still
//! has the identity it had: device, inode, size, mode, owner, modification
//! and change times. File times come from a coarse clock, so a file
//! rewritten in place within one tick keeps them; a configuration read
//! from a file changed less than [`SETTLE`] before is therefore not kept
//! (git's "racily clean" rule), and any later change to the file gives it
//! a change time past the one recorded. One that resolved a host name is
//! never kept: the name may point elsewhere by the next login.
//!
//! The lock is only tried, never waited for: two threads at once, or a
//! child forked while another thread held it, simply read the files.

use super::{Config, ConfigError, Families};
use crate::sources::{Sources, System};
use std::cell::{Cell, RefCell};
use std::fs::Metadata;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// How long a file must have been left alone before what was read from it
/// is kept.
pub const SETTLE: Duration = Duration::from_secs(2);

/// How many configurations a process keeps (a PAM stack names one or two).
const KEPT: usize = 4;

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the file was last changed at least [`SETTLE`] before `now`.
    fn settled(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(UNIX_EPOCH) else { return false };
        let changed = |(secs, nanos): (i64, i64)| u64::try_from(secs).ok().map(|s| Duration::new(s, u32::try_from(nanos).unwrap_or(0)));
        match (changed(self.ctime), changed(self.mtime)) {
            (Some(c), Some(m)) => c.max(m) + SETTLE <= now,
            _ => false,
        }
    }
}

/// Reads and resolves through [`System`], noting the files read and
/// whether a name was resolved.
#[derive(Debug, Default)]
pub struct Recorder {
    files: RefCell<Vec<(PathBuf, Identity)>>,
    resolved: Cell<bool>,
}

impl Recorder {
    /// As [`Sources::read`], with the file's permission bits.
    pub fn read_with_mode(&self, path: &Path) -> io::Result<(Zeroizing<String>, u32)> {
        let (text, meta) = System.read_with_metadata(path)?;
        self.files.borrow_mut().push((path.to_path_buf(), Identity::of(&meta)));
        Ok((text, meta.mode()))
    }
}

impl Sources for Recorder {
    fn read(&self, path: &Path) -> io::Result<Zeroizing<String>> {
        self.read_with_mode(path).map(|(text, _)| text)
    }

    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
        self.resolved.set(true);
        System.resolve(host, port)
    }
}

#[derive(Debug)]
struct Kept {
    path: PathBuf,
    families: Families,
    files: Vec<(PathBuf, Identity)>,
    config: Arc<Config>,
}

impl Kept {
    /// Whether every file still is what was read.
    fn current(&self) -> bool {
        self.files.iter().all(|(path, was)| std::fs::metadata(path).is_ok_and(|m| Identity::of(&m) == *was))
    }
}

static KEPT_CONFIGS: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

/// The configuration at `path`: a kept one whose files are unchanged (the
/// same one, not a copy), else the one `load` reads (through the
/// [`Recorder`] it is given), kept when its files had settled and it
/// resolved no name.
pub fn load(path: &Path, families: Families, load: impl FnOnce(&Recorder) -> Result<Config, ConfigError>) -> Result<Arc<Config>, ConfigError> {
    if let Ok(kept) = KEPT_CONFIGS.try_lock() {
        if let Some(k) = kept.iter().find(|k| k.path == path && k.families == families) {
            if k.current() {
                return Ok(Arc::clone(&k.config));
            }
        }
    }
    let recorder = Recorder::default();
    let config = Arc::new(load(&recorder)?);
    let files = recorder.files.into_inner();
    let now = SystemTime::now();
    if !recorder.resolved.get() && files.iter().all(|(_, id)| id.settled(now)) {
        if let Ok(mut kept) = KEPT_CONFIGS.try_lock() {
            kept.retain(|k| !(k.path == path && k.families == families));
            if kept.len() >= KEPT {
                kept.remove(0);
            }
            kept.push(Kept { path: path.to_path_buf(), families, files, config: Arc::clone(&config) });
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn toml(address: &str, port: u16) -> String {
        format!("[[server]]\naddress = \"{address}\"\nsecret = \"a-long-enough-secret\"\nauth_port = {port}\n")
    }

    fn port(path: &Path) -> u16 {
        Config::load_kept(path, Families::default()).unwrap().servers[0].auth_port
    }

    fn is_kept(path: &Path) -> bool {
        KEPT_CONFIGS.lock().unwrap().iter().any(|k| k.path == path)
    }

    fn settle() {
        std::thread::sleep(SETTLE + Duration::from_millis(200));
    }

    /// One test at a time: the kept configurations are the process's, and
    /// a load only tries their lock (another test holding it would make a
    /// load keep nothing, and `is_kept` fail).
    fn alone() -> std::sync::MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A file changed within the settle time is read every time; a settled
    /// one is kept, and a change to it, in place and of the same size, is
    /// read at the next load.
    #[test]
    fn a_changed_file_is_read_again() {
        let _alone = alone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("radius.toml");
        write(&path, &toml("127.0.0.1", 1812));
        assert_eq!(port(&path), 1812);
        assert!(!is_kept(&path), "a file changed just now was kept");
        write(&path, &toml("127.0.0.1", 1912));
        assert_eq!(port(&path), 1912);
        settle();
        assert_eq!(port(&path), 1912);
        assert!(is_kept(&path), "a settled file was not kept");
        assert_eq!(port(&path), 1912);
        write(&path, &toml("127.0.0.1", 2012));
        assert_eq!(port(&path), 2012, "a kept configuration outlived a change to its file");
    }

    /// A secret file is one of the files a configuration is read from.
    #[test]
    fn a_changed_secret_file_is_read_again() {
        let _alone = alone();
        let dir = tempfile::tempdir().unwrap();
        let (path, secret) = (dir.path().join("radius.toml"), dir.path().join("secret"));
        write(&secret, "first-secret-long-enough\n");
        write(&path, "[[server]]\naddress = \"127.0.0.1\"\nsecret_file = \"secret\"\n");
        settle();
        let secret_of = || Config::load_kept(&path, Families::default()).unwrap().servers[0].secret.expose().to_vec();
        assert_eq!(secret_of(), b"first-secret-long-enough");
        assert!(is_kept(&path));
        write(&secret, "other-secret-long-enough\n");
        assert_eq!(secret_of(), b"other-secret-long-enough", "a kept configuration outlived a change to its secret file");
    }

    /// A configuration that named a host is never kept: the name may
    /// point elsewhere by the next load.
    #[test]
    fn a_configuration_that_resolved_a_name_is_not_kept() {
        let _alone = alone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("radius.toml");
        write(&path, &toml("localhost", 1812));
        settle();
        assert_eq!(port(&path), 1812);
        assert!(!is_kept(&path));
    }

    /// Settled means changed at least SETTLE ago, by either time.
    #[test]
    fn settled_by_both_times() {
        let _alone = alone();
        let now = SystemTime::now();
        let at = |age: Duration| {
            let t = now.duration_since(UNIX_EPOCH).unwrap() - age;
            (i64::try_from(t.as_secs()).unwrap(), i64::from(t.subsec_nanos()))
        };
        let id = |mtime, ctime| Identity { dev: 1, ino: 2, size: 3, mode: 0o600, uid: 0, gid: 0, mtime, ctime };
        assert!(id(at(SETTLE), at(SETTLE)).settled(now));
        assert!(!id(at(SETTLE), at(SETTLE / 2)).settled(now));
        assert!(!id(at(SETTLE / 2), at(SETTLE)).settled(now));
    }
}
