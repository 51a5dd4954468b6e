//! The .deb as an admin installs it (packaging/build.sh builds it into
//! target/packages/; the test command runs that first): into a throwaway
//! overlay of the Debian trixie root (scripts/setup.sh), `dpkg -i` +
//! `apt-get -f install`, the shipped /etc/radius_rs/radius.toml with only
//! the server's ports and secret filled in, `pam-auth-update --enable
//! radius_rs`, and pamtester logs a RADIUS-only user in against this
//! FreeRADIUS; `dpkg -r` keeps only the conffile and `dpkg -P` leaves
//! nothing behind. lintian reports no errors on either package. The .rpm
//! lists the EL9 paths with their modes (`rpm -qlpv`) and installs into a
//! scratch root (`rpm -i --root`).

use radius_testbed::{FreeRadius, SECRET};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRIXIE: &str = "/var/lib/radius_rs/trixie";

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/packages")
}

fn deb(name: &str) -> PathBuf {
    let p = packages().join(name);
    assert!(p.exists(), "{} is missing: bash packaging/build.sh builds it", p.display());
    p
}

#[test]
fn deb_installs_logs_in_and_purges_clean() {
    let fr = FreeRadius::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/install-test.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(TRIXIE)
        .arg(deb("radius-rs_trixie_amd64.deb"))
        .args([fr.modern_auth.to_string(), fr.modern_acct.to_string(), SECRET.to_string(), "alice".into(), "alice-password".into()])
        .output()
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = text.lines().filter(|l| l.starts_with("RESULT ")).collect();
    assert!(results.contains(&"RESULT done ok"), "the install test did not finish:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for step in ["install", "conffile-mode", "check-config", "pam-auth-update", "login", "wrong-password", "remove", "purge"] {
        assert!(results.contains(&format!("RESULT {step} ok").as_str()), "step {step}:\n{}", results.join("\n"));
    }
    eprintln!("{}", results.join("\n"));
    let failed: Vec<&&str> = results.iter().filter(|l| l.contains("FAIL")).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(fr.debug_log().contains("User-Name = \"alice\""), "the login did not reach FreeRADIUS");
}

#[test]
fn lintian_reports_no_errors() {
    for name in ["radius-rs_bookworm_amd64.deb", "radius-rs_trixie_amd64.deb"] {
        let out = Command::new("lintian").args(["--tag-display-limit", "0"]).arg(deb(name)).output().expect("lintian (scripts/setup.sh installs it)");
        let text = String::from_utf8_lossy(&out.stdout);
        let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("E: ")).collect();
        assert!(errors.is_empty(), "{name}: lintian errors:\n{}", errors.join("\n"));
    }
}

#[test]
fn rpm_lists_the_el9_layout_and_installs_into_a_scratch_root() {
    let rpm = deb("radius-rs.el9.x86_64.rpm");
    let out = Command::new("rpm").arg("-qlpv").arg(&rpm).output().expect("rpm (scripts/setup.sh installs it)");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{list}{}", String::from_utf8_lossy(&out.stderr));
    for (mode, path) in [
        ("-rwxr-xr-x", "/usr/bin/radius-rs"),
        ("-rwxr-xr-x", "/usr/sbin/radius-rs-dmd"),
        ("-rwxr-xr-x", "/usr/lib64/security/pam_radius_rs.so"),
        ("-rwxr-xr-x", "/usr/lib64/pppd/2.4.9/radius_rs.so"),
        ("-rw-------", "/etc/radius_rs/radius.toml"),
        ("-rw-r--r--", "/usr/lib/systemd/system/radius-rs-dmd.service"),
        ("-rw-r--r--", "/usr/lib/tmpfiles.d/radius_rs.conf"),
        ("-rw-r--r--", "/usr/share/man/man5/radius_rs.toml.5.gz"),
    ] {
        assert!(list.lines().any(|l| l.starts_with(mode) && l.ends_with(path)), "{mode} {path} not in:\n{list}");
    }
    let root = tempfile::tempdir().unwrap();
    let out = Command::new("rpm")
        .args(["-i", "--nodeps", "--noscripts", "--root"])
        .arg(root.path())
        .arg(&rpm)
        .output()
        .expect("rpm");
    assert!(out.status.success(), "rpm -i --root: {}", String::from_utf8_lossy(&out.stderr));
    let installed = root.path().join("usr/lib64/pppd/2.4.9/radius_rs.so");
    assert!(installed.exists(), "{} missing after rpm -i", installed.display());
    let conf = std::fs::metadata(root.path().join("etc/radius_rs/radius.toml")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&conf.permissions()) & 0o777, 0o600);
}

/// Every man page the packages ship renders (`man -l`) without a warning
/// and starts with its NAME.
#[test]
fn every_man_page_renders() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/man");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    assert_eq!(pages.len(), 5, "{pages:?}");
    for page in pages {
        let out = Command::new("man").args(["-l", "-Tutf8", "--warnings"]).arg(&page).env("MANWIDTH", "80").output().expect("man (man-db)");
        let warnings = String::from_utf8_lossy(&out.stderr);
        // Bold and underline come as overstrikes (`N\bN`): keep the last character of each.
        let mut text = String::new();
        for c in String::from_utf8_lossy(&out.stdout).chars() {
            if c == '\u{8}' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        assert!(out.status.success() && warnings.trim().is_empty(), "{}: {warnings}", page.display());
        assert!(text.contains("NAME") && text.contains("SEE ALSO"), "{}:\n{text}", page.display());
    }
}
