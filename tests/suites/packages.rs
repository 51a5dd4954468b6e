//! The .deb as an admin installs it (packaging/build.sh builds it into
//! target/packages/; the test command runs that first): the bookworm
//! package into a throwaway overlay of a clean debootstrap'd Debian
//! bookworm root, the trixie one into the trixie root (both built by
//! scripts/setup.sh, never changed), `dpkg -i` +
//! `apt-get -f install`, the shipped /etc/radius_rs/radius.toml with only
//! the server's ports and secret filled in, `pam-auth-update --enable
//! radius_rs`, and pamtester logs a RADIUS-only user in against this
//! FreeRADIUS; `dpkg -r` keeps only the conffile and `dpkg -P` leaves
//! nothing behind. lintian reports no errors on either package. The .rpms
//! (EL9, pppd 2.4.9; Fedora, pppd 2.5.2) list their paths with their modes
//! (`rpm -qlpv`), require their pppd, and install into a scratch root
//! (`rpm -i --root`).

use radius_testbed::{FreeRadius, SECRET};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRIXIE: &str = "/var/lib/radius_rs/trixie";
/// A clean Debian bookworm root (minbase, ppp and pamtester), built by scripts/setup.sh.
const BOOKWORM: &str = "/var/lib/radius_rs/bookworm";

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/packages")
}

fn deb(name: &str) -> PathBuf {
    let p = packages().join(name);
    assert!(p.exists(), "{} is missing: bash packaging/build.sh builds it", p.display());
    p
}

/// The bookworm .deb on a clean bookworm root.
#[test]
fn bookworm_deb_installs_logs_in_and_purges_clean() {
    install_test(BOOKWORM, "radius-rs_bookworm_amd64.deb");
}

/// The trixie .deb (pppd 2.5 plugin) on the trixie root.
#[test]
fn trixie_deb_installs_logs_in_and_purges_clean() {
    install_test(TRIXIE, "radius-rs_trixie_amd64.deb");
}

fn install_test(root: &str, package: &str) {
    assert!(Path::new(root).join("usr/bin/pamtester").exists(), "{root} is missing: scripts/setup.sh builds it");
    let fr = FreeRadius::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/install-test.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(root)
        .arg(deb(package))
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

/// EL9: pppd 2.4.9's plugin directory.
#[test]
fn rpm_lists_the_el9_layout_and_installs_into_a_scratch_root() {
    rpm_layout("radius-rs.el9.x86_64.rpm", "2.4.9", "ppp >= 2.4.9");
}

/// Fedora: the plugin for pppd 2.5.2, which loads a plugin only for its own version.
#[test]
fn rpm_lists_the_fedora_layout_and_installs_into_a_scratch_root() {
    rpm_layout("radius-rs.fc.x86_64.rpm", "2.5.2", "ppp = 2.5.2");
}

fn rpm_layout(name: &str, pppd: &str, requires: &str) {
    let rpm = deb(name);
    let plugin = format!("/usr/lib64/pppd/{pppd}/radius_rs.so");
    let out = Command::new("rpm").arg("-qlpv").arg(&rpm).output().expect("rpm (scripts/setup.sh installs it)");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{list}{}", String::from_utf8_lossy(&out.stderr));
    for (mode, path) in [
        ("-rwxr-xr-x", "/usr/bin/radius-rs"),
        ("-rwxr-xr-x", "/usr/sbin/radius-rs-dmd"),
        ("-rwxr-xr-x", "/usr/lib64/security/pam_radius_rs.so"),
        ("-rwxr-xr-x", plugin.as_str()),
        ("-rw-------", "/etc/radius_rs/radius.toml"),
        ("-rw-r--r--", "/usr/lib/systemd/system/radius-rs-dmd.service"),
        ("-rw-r--r--", "/usr/lib/tmpfiles.d/radius_rs.conf"),
        ("-rw-r--r--", "/usr/share/man/man5/radius_rs.toml.5.gz"),
    ] {
        assert!(list.lines().any(|l| l.starts_with(mode) && l.ends_with(path)), "{mode} {path} not in:\n{list}");
    }
    let reqs = Command::new("rpm").arg("-qpR").arg(&rpm).output().expect("rpm");
    let reqs = String::from_utf8_lossy(&reqs.stdout);
    assert!(reqs.lines().any(|l| l.trim() == requires), "{name} does not require `{requires}`:\n{reqs}");
    let root = tempfile::tempdir().unwrap();
    let out = Command::new("rpm")
        .args(["-i", "--nodeps", "--noscripts", "--root"])
        .arg(root.path())
        .arg(&rpm)
        .output()
        .expect("rpm");
    assert!(out.status.success(), "rpm -i --root: {}", String::from_utf8_lossy(&out.stderr));
    let installed = root.path().join(plugin.trim_start_matches('/'));
    assert!(installed.exists(), "{} missing after rpm -i", installed.display());
    // The plugin in it is built for that pppd (pppd refuses any other).
    let bytes = std::fs::read(&installed).unwrap();
    assert!(bytes.windows(pppd.len() + 2).any(|w| w[0] == 0 && &w[1..=pppd.len()] == pppd.as_bytes() && w[pppd.len() + 1] == 0), "{} is not built for pppd {pppd}", installed.display());
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
