//! The registry of live PPP sessions: one small TOML file per session under
//! `[sessions] dir`, written atomically by the pppd plugin at IP up and
//! removed when the session ends. radius-rs-dmd finds the session a
//! Disconnect-Request names here; `radius-rs sessions` lists them.

pub use radius_core::ppp_session::{hex, unhex, PppSession};
use radius_core::trusted_dir::{DirError, TrustedDir};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The name of the process a live session's pid must have.
pub const PPPD_COMM: &str = "pppd";

/// Whether a record's pppd is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// The recorded pid is that session's pppd.
    Live,
    /// No such process: the pppd ended without removing its record (kill -9, crash, reboot).
    Gone,
    /// The pid now belongs to another process (or another pppd): never signal it.
    Reused,
}

/// A process's name and start time from `/proc/PID/stat`.
pub fn process_identity(pid: u32) -> Option<(String, u64)> {
    // One read: the line is a few hundred bytes (read_to_string would grow
    // its buffer from 32 bytes, six reads a look).
    let mut buf = [0u8; 1024];
    let n = std::io::Read::read(&mut std::fs::File::open(format!("/proc/{pid}/stat")).ok()?, &mut buf).ok()?;
    let stat = std::str::from_utf8(buf.get(..n)?).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    // After ") ": field 3 (state) is index 0, so field 22 (starttime) is index 19.
    let start = stat.get(close + 2..)?.split_whitespace().nth(19)?.parse().ok()?;
    Some((comm, start))
}

/// Is `record`'s pppd still running it?
pub fn liveness(record: &PppSession) -> Liveness {
    match process_identity(record.pid) {
        None => Liveness::Gone,
        Some((comm, start)) => {
            let same_start = record.process_start.is_none_or(|s| s == start);
            if comm == PPPD_COMM && same_start {
                Liveness::Live
            } else {
                Liveness::Reused
            }
        }
    }
}

/// A change radius-rs-dmd leaves for a live session's pppd
/// (`<state_dir>/control/<ifname>.control`); the plugin applies and removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// The pppd it is for (a control for another pid is ignored).
    pub pid: u32,
    /// Acct-Terminate-Cause for the Stop when the session ends (Admin-Reset).
    pub terminate_cause: Option<u32>,
    /// End the session this many seconds after the change is applied (0: no limit).
    pub session_timeout: Option<u32>,
    /// End the session after this many idle seconds (0: no limit).
    pub idle_timeout: Option<u32>,
    /// New Class values (hex) for later accounting.
    pub class: Option<Vec<String>>,
}

/// The registry directory, checked (see [`radius_core::trusted_dir`]): one
/// record file per live session, `<ifname>.toml` (mode 0600); and the
/// controls radius-rs-dmd leaves for a session's pppd, in `control/` of
/// `[client] state_dir` (/run/radius_rs: memory on a systemd host). A
/// control lives no longer than its pppd, so it has no business on the
/// disk the records persist on (a reboot must keep those): a Disconnect
/// then costs no journal write, however busy that disk, and writing one
/// does not change the registry directory (readers cache it by its mtime).
#[derive(Debug)]
pub struct SessionDir {
    dir: TrustedDir,
    state_dir: PathBuf,
    control: std::sync::OnceLock<Result<TrustedDir, String>>,
}

/// Mode of the registry's directories and files: root only.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
/// The subdirectory of `[client] state_dir` the controls live in.
const CONTROL_DIR: &str = "control";

fn record_name(ifname: &str) -> String {
    format!("{ifname}.toml")
}

/// Whether `name` in the registry directory is a record (`*.toml`, not a
/// temporary file of one being written).
pub fn is_record_file(name: &str) -> bool {
    name.ends_with(".toml") && !name.starts_with('.')
}

/// Whose a record is: its one field [`SessionDir::remove`] needs.
#[derive(Deserialize)]
struct Owner {
    pid: u32,
}

fn control_name(ifname: &str) -> String {
    format!("{ifname}.control")
}

fn to_toml(value: &impl Serialize) -> io::Result<Vec<u8>> {
    toml::to_string(value).map(String::into_bytes).map_err(io::Error::other)
}

fn from_toml<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &Path) -> io::Result<T> {
    let text = std::str::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", what.display())))?;
    toml::from_str(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", what.display())))
}

impl SessionDir {
    /// The registry under `dir` (made, mode 0700, when missing), its
    /// controls under `state_dir` (checked and made when first used). A
    /// directory that fails the checks is refused with an error naming it
    /// and what is wrong.
    pub fn open(dir: &Path, state_dir: &Path) -> Result<SessionDir, DirError> {
        Ok(SessionDir {
            dir: TrustedDir::open(dir, Some(DIR_MODE))?,
            state_dir: state_dir.to_path_buf(),
            control: std::sync::OnceLock::new(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The checked directory itself (its status tells whether it changed).
    pub fn dir(&self) -> &TrustedDir {
        &self.dir
    }

    fn controls(&self) -> io::Result<&TrustedDir> {
        self.control
            .get_or_init(|| {
                TrustedDir::open(&self.state_dir, Some(DIR_MODE))
                    .and_then(|d| d.subdir(CONTROL_DIR, Some(DIR_MODE)))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| io::Error::new(io::ErrorKind::PermissionDenied, e.clone()))
    }

    /// Makes (or checks) the control directory now. A daemon does this
    /// at start, so a directory it cannot use is reported then, not at the
    /// first Disconnect.
    pub fn prepare_controls(&self) -> io::Result<()> {
        self.controls().map(|_| ())
    }

    /// The directory the controls live in.
    pub fn control_dir(&self) -> PathBuf {
        self.state_dir.join(CONTROL_DIR)
    }

    /// Where the control of `ifname` lives (for messages).
    pub fn control_path(&self, ifname: &str) -> PathBuf {
        self.control_dir().join(control_name(ifname))
    }

    /// Writes `record` as `<ifname>.toml`, atomically and durably: a
    /// reader sees the old file, the new one, or none, never half of one.
    pub fn write(&self, record: &PppSession) -> io::Result<PathBuf> {
        let name = record_name(&record.ifname);
        self.dir.write(&name, &to_toml(record)?, FILE_MODE, true)?;
        Ok(self.path().join(name))
    }

    /// Removes the record of `ifname` if it belongs to `pid` (a new pppd
    /// may already have reused the interface name); one that cannot be
    /// read goes too. Only the record's pid is decoded: this runs in every
    /// pppd at hang-up, and decoding the whole record there would put the
    /// code for all of its fields among the pages each pppd maps.
    pub fn remove(&self, ifname: &str, pid: u32) -> io::Result<()> {
        let name = record_name(ifname);
        let owner = self.dir.read(&name).ok().flatten().and_then(|bytes| from_toml::<Owner>(&bytes, Path::new(&name)).ok());
        match owner {
            Some(o) if o.pid != pid => Ok(()),
            _ => self.dir.remove(&name),
        }
    }

    /// The record of `ifname`, if any.
    pub fn read(&self, ifname: &str) -> io::Result<Option<PppSession>> {
        self.read_file(&record_name(ifname))
    }

    /// The record in file `name` of the directory, if any.
    pub fn read_file(&self, name: &str) -> io::Result<Option<PppSession>> {
        match self.dir.read(name)? {
            Some(bytes) => from_toml(&bytes, &self.path().join(name)).map(Some),
            None => Ok(None),
        }
    }

    /// The names of the record files (`*.toml`, not temporary files).
    pub fn record_files(&self) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = self.dir.names()?.into_iter().filter(|n| is_record_file(n)).collect();
        names.sort();
        Ok(names)
    }

    /// Every record, sorted by interface; files that cannot be read are
    /// returned as errors beside the good ones.
    pub fn list(&self) -> io::Result<Vec<io::Result<PppSession>>> {
        Ok(self
            .record_files()?
            .iter()
            .filter_map(|n| self.read_file(n).transpose())
            .collect())
    }

    /// Writes a control for `ifname` atomically (mode 0600).
    pub fn write_control(&self, ifname: &str, control: &Control) -> io::Result<()> {
        self.controls()?.write(&control_name(ifname), &to_toml(control)?, FILE_MODE, false)
    }

    /// The control of `ifname`, if any.
    pub fn read_control(&self, ifname: &str) -> io::Result<Option<Control>> {
        match self.controls()?.read(&control_name(ifname))? {
            Some(bytes) => from_toml(&bytes, &self.control_path(ifname)).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a control for `ifname` waits to be taken.
    pub fn control_pending(&self, ifname: &str) -> bool {
        self.controls().is_ok_and(|c| c.exists(&control_name(ifname)))
    }

    /// Removes the control of `ifname`; absent is fine.
    pub fn remove_control(&self, ifname: &str) -> io::Result<()> {
        self.controls()?.remove(&control_name(ifname))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ifname: &str, pid: u32) -> PppSession {
        PppSession::example(ifname, "alice", pid)
    }

    /// Our own process is live under its start time and reused under another;
    /// a pid that does not exist is gone.
    #[test]
    fn liveness_checks_name_and_start() {
        let (comm, start) = process_identity(std::process::id()).unwrap();
        assert!(!comm.is_empty());
        let mut r = record("ppp0", std::process::id());
        r.process_start = Some(start);
        // We are not pppd: a record naming us is a reused pid.
        assert_eq!(liveness(&r), Liveness::Reused);
        r.pid = u32::MAX - 1;
        assert_eq!(liveness(&r), Liveness::Gone);
    }

    /// Controls round-trip, in `control/` of the state directory.
    #[test]
    fn controls() {
        let dir = tempfile::tempdir().unwrap();
        let reg = SessionDir::open(&dir.path().join("sessions"), &dir.path().join("state")).unwrap();
        let c = Control { pid: 5, session_timeout: Some(30), class: Some(vec![hex(b"gold")]), ..Default::default() };
        assert_eq!(reg.read_control("ppp3").unwrap(), None);
        assert!(!reg.control_pending("ppp3"));
        reg.write_control("ppp3", &c).unwrap();
        assert!(reg.control_pending("ppp3"));
        assert!(dir.path().join("state/control/ppp3.control").is_file());
        assert_eq!(reg.control_path("ppp3"), dir.path().join("state/control/ppp3.control"));
        assert_eq!(reg.read_control("ppp3").unwrap(), Some(c));
        reg.remove_control("ppp3").unwrap();
        assert!(!reg.control_pending("ppp3"));
    }

    /// A Disconnect's control leaves the registry directory as it was (a
    /// change of it is a full re-read), even the first one.
    #[test]
    fn controls_leave_the_registry_directory_alone() {
        let dir = tempfile::tempdir().unwrap();
        let reg = SessionDir::open(&dir.path().join("sessions"), &dir.path().join("state")).unwrap();
        let before = reg.dir().stat().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        reg.write_control("ppp3", &Control { pid: 5, ..Default::default() }).unwrap();
        let after = reg.dir().stat().unwrap();
        assert_eq!((before.st_mtime, before.st_mtime_nsec), (after.st_mtime, after.st_mtime_nsec));
    }

    #[test]
    fn write_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sessions");
        let reg = SessionDir::open(&d, &dir.path().join("state")).unwrap();
        reg.write(&record("ppp1", 11)).unwrap();
        reg.write(&record("ppp0", 10)).unwrap();
        std::fs::write(d.join("broken.toml"), "pid = \"x\"").unwrap();
        let all = reg.list().unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].is_err());
        assert_eq!(all[1].as_ref().unwrap(), &record("ppp0", 10));
        reg.remove("ppp0", 99).unwrap();
        assert!(d.join("ppp0.toml").exists(), "another pid's record stays");
        reg.remove("ppp0", 10).unwrap();
        assert!(!d.join("ppp0.toml").exists());
        reg.remove("ppp0", 10).unwrap();
        reg.remove("broken", 10).unwrap();
        assert!(!d.join("broken.toml").exists(), "a record that cannot be read goes");
        assert!(SessionDir::open(&dir.path().join("none"), &dir.path().join("state")).unwrap().list().unwrap().is_empty());
    }

    /// A registry directory another user owns is refused, naming it and why,
    /// and a link planted for a record is replaced, never written through.
    #[test]
    fn refuses_untrusted_directories_and_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = SessionDir::open(&open, &dir.path().join("state")).unwrap_err().to_string();
        assert!(e.contains("open") && e.contains("writable by group or others"), "{e}");
        // A state directory others may write to takes no control.
        let reg = SessionDir::open(&dir.path().join("s2"), &open).unwrap();
        let e = reg.write_control("ppp0", &Control { pid: 1, ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("open") && e.contains("writable by group or others"), "{e}");
        assert!(reg.prepare_controls().is_err());
        assert!(!open.join("control").exists());
        let d = dir.path().join("sessions");
        let reg = SessionDir::open(&d, &dir.path().join("state")).unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "untouched").unwrap();
        std::os::unix::fs::symlink(&target, d.join("ppp0.toml")).unwrap();
        assert!(reg.read("ppp0").is_err(), "a link is not read through");
        reg.write(&record("ppp0", 1)).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    }
}
