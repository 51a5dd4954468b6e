//! The registry of live PPP sessions: one small TOML file per session under
//! `[sessions] dir`, written atomically by the pppd plugin at IP up and
//! removed when the session ends. radius-rs-dmd finds the session a
//! Disconnect-Request names here; `radius-rs sessions` lists them.

use crate::accounting::{AccountingRecord, AcctStatus};
use crate::config::Service;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// One live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The pppd serving it.
    pub pid: u32,
    /// Its interface (`ppp0`).
    pub ifname: String,
    /// Its unit number.
    pub unit: i32,
    /// The User-Name sent to RADIUS.
    pub user: String,
    /// Acct-Session-Id.
    pub acct_session_id: String,
    /// The peer's address.
    pub framed_ip_address: Option<Ipv4Addr>,
    /// NAS-Port.
    pub nas_port: u32,
    /// NAS-Port-Id.
    pub nas_port_id: String,
    /// Calling-Station-Id.
    pub calling_station_id: String,
    /// Seconds since the Unix epoch when the session started.
    pub start_time: u64,
    /// The Class from the Access-Accept, hex.
    pub class: Option<String>,
    /// Who authenticated the peer: `radius` or `local`.
    pub authenticated_by: String,
    /// The pppd's start time (`/proc/PID/stat` field 22), so a reused pid
    /// is never taken for this session's pppd.
    #[serde(default)]
    pub process_start: Option<u64>,
}

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
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    // After ") ": field 3 (state) is index 0, so field 22 (starttime) is index 19.
    let start = stat.get(close + 2..)?.split_whitespace().nth(19)?.parse().ok()?;
    Some((comm, start))
}

/// Is `record`'s pppd still running it?
pub fn liveness(record: &SessionRecord) -> Liveness {
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
/// (`<dir>/control/<ifname>.control`); the plugin applies and removes it.
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

/// Where the control of `ifname` lives: a subdirectory, so writing one
/// does not change the registry directory itself (readers cache it by its mtime).
pub fn control_path(dir: &Path, ifname: &str) -> PathBuf {
    dir.join("control").join(format!("{ifname}.control"))
}

/// Writes a control atomically (mode 0600).
pub fn write_control(dir: &Path, ifname: &str, control: &Control) -> io::Result<()> {
    let path = control_path(dir, ifname);
    let tmp_name = format!(".{ifname}.control.{}.tmp", std::process::id());
    write_private(&path, &tmp_name, control, false)
}

/// Reads the control of `ifname`, if any.
pub fn read_control(dir: &Path, ifname: &str) -> io::Result<Option<Control>> {
    match std::fs::read_to_string(control_path(dir, ifname)) {
        Ok(text) => toml::from_str(&text).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes the control of `ifname`; absent is fine.
pub fn remove_control(dir: &Path, ifname: &str) -> io::Result<()> {
    match std::fs::remove_file(control_path(dir, ifname)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Hex of a Class value, as records keep it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex Class value.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The Stop for a session whose pppd is gone, from what its record kept.
pub fn stop_for_lost(record: &SessionRecord, cause: u32, now: std::time::SystemTime) -> AccountingRecord {
    use crate::packet::attr::{self, acct_authentic, framed_protocol, service_type};
    let now_secs = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut r = AccountingRecord::new(AcctStatus::Stop, Service::Ppp)
        .text(attr::ACCT_SESSION_ID, &record.acct_session_id)
        .text(attr::USER_NAME, &record.user);
    if let Some(class) = record.class.as_deref().and_then(unhex) {
        r = r.bytes(attr::CLASS, &class);
    }
    let local = record.authenticated_by == "local";
    r = r
        .integer(attr::SERVICE_TYPE, service_type::FRAMED)
        .integer(attr::FRAMED_PROTOCOL, framed_protocol::PPP)
        .integer(attr::ACCT_AUTHENTIC, if local { acct_authentic::LOCAL } else { acct_authentic::RADIUS })
        .integer(attr::NAS_PORT, record.nas_port)
        .text(attr::NAS_PORT_ID, &record.nas_port_id);
    if !record.calling_station_id.is_empty() {
        r = r.text(attr::CALLING_STATION_ID, &record.calling_station_id);
    }
    if let Some(ip) = record.framed_ip_address {
        r = r.bytes(attr::FRAMED_IP_ADDRESS, &ip.octets());
    }
    r.integer(attr::ACCT_SESSION_TIME, u32::try_from(now_secs.saturating_sub(record.start_time)).unwrap_or(u32::MAX))
        .integer(attr::ACCT_TERMINATE_CAUSE, cause)
}

fn file_for(dir: &Path, ifname: &str) -> PathBuf {
    dir.join(format!("{ifname}.toml"))
}

/// Writes `record` as `<dir>/<ifname>.toml` (mode 0600), atomically: a
/// reader sees the old file, the new one, or none, never half of one.
pub fn write(dir: &Path, record: &SessionRecord) -> io::Result<PathBuf> {
    let path = file_for(dir, &record.ifname);
    write_private(&path, &format!(".{}.{}.tmp", record.ifname, record.pid), record, true)?;
    Ok(path)
}

/// Writes `value` as TOML to `path` (mode 0600) through a temporary file
/// named `tmp_name` beside it and a rename; `sync` flushes it to disk first.
fn write_private(path: &Path, tmp_name: &str, value: &impl Serialize, sync: bool) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let text = toml::to_string(value).map_err(io::Error::other)?;
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(tmp_name);
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(text.as_bytes())?;
    if sync {
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Removes the record of `ifname` if it belongs to `pid` (a new pppd may
/// already have reused the interface name).
pub fn remove(dir: &Path, ifname: &str, pid: u32) -> io::Result<()> {
    let path = file_for(dir, ifname);
    match read(&path) {
        Ok(r) if r.pid != pid => Ok(()),
        _ => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// Reads one record.
pub fn read(path: &Path) -> io::Result<SessionRecord> {
    let text = std::fs::read_to_string(path)?;
    toml::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
}

/// Every record in `dir`, sorted by interface; files that cannot be read
/// are returned as errors beside the good ones.
pub fn list(dir: &Path) -> io::Result<Vec<io::Result<SessionRecord>>> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    paths.sort();
    Ok(paths.iter().map(|p| read(p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ifname: &str, pid: u32) -> SessionRecord {
        SessionRecord {
            pid,
            ifname: ifname.into(),
            unit: 0,
            user: "alice".into(),
            acct_session_id: "6740A1B2-9F3C2D4E5A6B7C8D".into(),
            framed_ip_address: Some(Ipv4Addr::new(10, 64, 0, 7)),
            nas_port: 0,
            nas_port_id: "ppp0".into(),
            calling_station_id: "02:00:00:00:00:01".into(),
            start_time: 1_700_000_000,
            class: Some("6c6f67696e".into()),
            authenticated_by: "radius".into(),
            process_start: None,
        }
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

    /// Controls round-trip; Class hex round-trips; the lost-session Stop carries the cause.
    #[test]
    fn control_and_lost_stop() {
        let dir = tempfile::tempdir().unwrap();
        let c = Control { pid: 5, session_timeout: Some(30), class: Some(vec![hex(b"gold")]), ..Default::default() };
        assert_eq!(read_control(dir.path(), "ppp3").unwrap(), None);
        write_control(dir.path(), "ppp3", &c).unwrap();
        assert_eq!(read_control(dir.path(), "ppp3").unwrap(), Some(c));
        remove_control(dir.path(), "ppp3").unwrap();
        assert_eq!(unhex("676f6c64").as_deref(), Some(&b"gold"[..]));
        assert_eq!(unhex("6"), None);
        let r = record("ppp0", 1);
        let stop = stop_for_lost(&r, 3, std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_100));
        let get = |t: u8| stop.attributes.get(t);
        assert_eq!(get(49), Some(&3u32.to_be_bytes()[..]));
        assert_eq!(get(46), Some(&100u32.to_be_bytes()[..]));
        assert_eq!(get(25), Some(&b"login"[..]));
    }

    #[test]
    fn write_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sessions");
        write(&d, &record("ppp1", 11)).unwrap();
        write(&d, &record("ppp0", 10)).unwrap();
        std::fs::write(d.join("broken.toml"), "pid = \"x\"").unwrap();
        let all = list(&d).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].is_err());
        assert_eq!(all[1].as_ref().unwrap(), &record("ppp0", 10));
        remove(&d, "ppp0", 99).unwrap();
        assert!(d.join("ppp0.toml").exists(), "another pid's record stays");
        remove(&d, "ppp0", 10).unwrap();
        assert!(!d.join("ppp0.toml").exists());
        remove(&d, "ppp0", 10).unwrap();
        assert!(list(&dir.path().join("none")).unwrap().is_empty());
    }
}
