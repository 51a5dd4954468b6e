//! `radattr.<ifname>`: the reply attributes as radattr.so writes them
//! (`Name value` lines, mode 0600), for existing ip-up/ip-down scripts.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file for `ifname` under `dir` (`/var/run/radattr.ppp0`).
pub fn path(dir: &Path, ifname: &str) -> PathBuf {
    dir.join(format!("radattr.{ifname}"))
}

/// Writes `lines` to the file, replacing it, readable by root only.
pub fn write(dir: &Path, ifname: &str, lines: &[String]) -> io::Result<PathBuf> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let p = path(dir, ifname);
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&p)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    for line in lines {
        writeln!(f, "{line}")?;
    }
    Ok(p)
}

/// Removes the file (gone already is fine).
pub fn remove(dir: &Path, ifname: &str) -> io::Result<()> {
    match std::fs::remove_file(path(dir, ifname)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_private_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "ppp3", &["Framed-IP-Address 10.0.0.7".into(), "Filter-Id std".into()]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "Framed-IP-Address 10.0.0.7\nFilter-Id std\n");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        remove(dir.path(), "ppp3").unwrap();
        assert!(!p.exists());
        remove(dir.path(), "ppp3").unwrap();
    }
}
