//! A real OpenSSH login through pam_radius_rs.so: the suite starts its own
//! sshd on a loopback port (UsePAM, keyboard-interactive only), whose PAM
//! service uses the module; a local user whose password lives only in
//! FreeRADIUS logs in with sshpass, runs a command, and the login's
//! Accounting Start/Stop land in FreeRADIUS's detail file. A wrong
//! password is refused.

mod pam_support;

use pam_support::{ConfFile, Module, PamService};
use radius_testbed::FreeRadius;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "rrs-ssh";
const PASSWORD: &str = "ssh-radius-password";

/// The local account: no usable local password (locked), a shell.
fn ensure_local_user() {
    if Command::new("id").arg(USER).output().is_ok_and(|o| o.status.success()) {
        return;
    }
    let status = Command::new("useradd").args(["--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", USER]).status();
    assert!(status.is_ok_and(|s| s.success()), "useradd {USER} failed (the suites run as root)");
}

struct Sshd {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// sshd under the name of `service`: OpenSSH uses its program name as
/// the PAM service, so a symlink named like the service selects it.
fn start_sshd(dir: &Path, service: &str) -> Sshd {
    let sshd = Path::new("/usr/sbin/sshd");
    assert!(sshd.exists(), "sshd missing: apt-get install openssh-server (scripts/setup.sh does)");
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let key = dir.join("host_ed25519");
    let ok = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status();
    assert!(ok.is_ok_and(|s| s.success()), "ssh-keygen");
    let port = radius_testbed::free_port("127.0.0.1");
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nUsePAM yes\n\
             KbdInteractiveAuthentication yes\nPasswordAuthentication no\nPubkeyAuthentication no\n\
             PermitRootLogin no\nStrictModes no\nAuthorizedKeysFile none\nLogLevel VERBOSE\n",
            key.display(),
            dir.join("sshd.pid").display()
        ),
    )
    .unwrap();
    let named = dir.join(service);
    std::os::unix::fs::symlink(sshd, &named).expect("symlink sshd");
    let log = dir.join("sshd.log");
    let child = Command::new(&named)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start sshd");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(50));
    }
    Sshd { child, port, log }
}

fn ssh(port: u16, password: &str, command: &str) -> std::process::Output {
    Command::new("sshpass")
        .args(["-p", password, "ssh", "-p", &port.to_string()])
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
        .args(["-o", "PreferredAuthentications=keyboard-interactive", "-o", "PubkeyAuthentication=no"])
        .args(["-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10"])
        .arg(format!("{USER}@127.0.0.1"))
        .arg(command)
        .stdin(Stdio::null())
        .output()
        .expect("sshpass (apt-get install sshpass openssh-client; scripts/setup.sh does)")
}

#[test]
fn ssh_login_through_radius_with_accounting() {
    ensure_local_user();
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let m = Module::Ours.path();
    let svc = PamService::new(&format!(
        "auth required {m} {c}\naccount required {m} {c}\nsession required {m} {c}\n",
        m = m.display(),
        c = conf.arg()
    ));
    let dir = tempfile::tempdir().unwrap();
    let sshd = start_sshd(dir.path(), &svc.name);
    let sshd_log = || std::fs::read_to_string(&sshd.log).unwrap_or_default();

    let ok = ssh(sshd.port, PASSWORD, "echo radius-login-ok:$(id -un)");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && out.contains("radius-login-ok:rrs-ssh"), "login failed: {ok:?}\nsshd:\n{}", sshd_log());

    let detail = fr.wait_detail("modern", "Acct-Status-Type = Stop");
    let records: Vec<&str> = detail.split("\n\n").filter(|r| r.contains("User-Name = \"rrs-ssh\"")).collect();
    assert!(records.iter().any(|r| r.contains("Acct-Status-Type = Start")), "no Start:\n{detail}\nsshd:\n{}", sshd_log());
    assert!(records.iter().any(|r| r.contains("Acct-Status-Type = Stop")), "no Stop:\n{detail}");
    assert!(records.iter().all(|r| r.contains("Calling-Station-Id = \"127.0.0.1\"")), "{detail}");

    let bad = ssh(sshd.port, "not-the-password", "echo should-not-run");
    assert!(!bad.status.success(), "a wrong password logged in: {bad:?}");
    assert!(!String::from_utf8_lossy(&bad.stdout).contains("should-not-run"));
    assert!(fr.debug_log().contains("Login incorrect"), "FreeRADIUS saw no rejected login");
}
