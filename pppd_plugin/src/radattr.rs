//! The radattr.so-compatible file: `<radattr_dir>/radattr.<ifname>` (mode
//! 0600), one `Name value` line per attribute of the Access-Accept, for
//! ip-up scripts that read it as they read radattr.so's. Written in the
//! checked directory, atomically (see `radius_core::trusted_dir`): never
//! through a link someone planted, never half-written; removed at link down.

use radius_core::trusted_dir::TrustedDir;
use std::io;
use std::path::{Path, PathBuf};

fn name(ifname: &str) -> String {
    format!("radattr.{ifname}")
}

/// Where the file of `ifname` is.
pub fn path(dir: &Path, ifname: &str) -> PathBuf {
    dir.join(name(ifname))
}

fn dir(dir: &Path) -> io::Result<TrustedDir> {
    TrustedDir::open(dir, None).map_err(|e| io::Error::new(io::ErrorKind::PermissionDenied, e.to_string()))
}

/// Writes `lines` to the file, replacing it, readable by root only.
pub fn write(radattr_dir: &Path, ifname: &str, lines: &[String]) -> io::Result<PathBuf> {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    dir(radattr_dir)?.write(&name(ifname), text.as_bytes(), 0o600, false)?;
    Ok(path(radattr_dir, ifname))
}

/// Removes the file (gone already is fine).
pub fn remove(radattr_dir: &Path, ifname: &str) -> io::Result<()> {
    dir(radattr_dir)?.remove(&name(ifname))
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

    /// A link planted where the file goes (radattr.ppp0 -> /etc/ld.so.preload)
    /// is replaced, not written through; a directory others may write to is refused.
    #[test]
    fn never_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("ld.so.preload");
        std::fs::write(&victim, "").unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::os::unix::fs::symlink(&victim, run.join("radattr.ppp0")).unwrap();
        write(&run, "ppp0", &["Filter-Id /tmp/evil.so".into()]).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "", "the link's target was written");
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = write(&run, "ppp0", &[]).unwrap_err().to_string();
        assert!(e.contains("writable by group or others"), "{e}");
    }
}
