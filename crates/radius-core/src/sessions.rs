//! The registry of live PPP sessions: one small TOML file per session under
//! `[sessions] dir`, written atomically by the pppd plugin at IP up and
//! removed when the session ends. radius-rs-dmd finds the session a
//! Disconnect-Request names here; `radius-rs sessions` lists them.

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
}

fn file_for(dir: &Path, ifname: &str) -> PathBuf {
    dir.join(format!("{ifname}.toml"))
}

/// Writes `record` as `<dir>/<ifname>.toml` (mode 0600), atomically: a
/// reader sees the old file, the new one, or none, never half of one.
pub fn write(dir: &Path, record: &SessionRecord) -> io::Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir)?;
    let text = toml::to_string(record).map_err(io::Error::other)?;
    let path = file_for(dir, &record.ifname);
    let tmp = dir.join(format!(".{}.{}.tmp", record.ifname, record.pid));
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
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
        }
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
