//! What an unprivileged local user can do to the files root keeps for
//! radius_rs, tried for real as `nobody` (setpriv): hold locks on every
//! state file it can open, and plant links in a state or sessions
//! directory it owns. Logins go on at full speed, root writes nothing
//! through a link, and the log says which directory was refused and why.

mod pam_support;

use pam_support::{ConfFile, Module, PamService};
use radius_testbed::{FreeRadius, SECRET};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;

/// `cmd` as nobody, with no groups.
fn as_nobody(cmd: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).args(cmd);
    c
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A config directory others may walk into (as /etc is), with a TOML config pointing at `fr`.
fn config(fr: &FreeRadius, state_dir: Option<&Path>) -> ConfFile {
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    chmod(conf.dir.path(), 0o755);
    if let Some(state) = state_dir {
        let text = std::fs::read_to_string(&conf.path).unwrap();
        let text = text.replacen(
            &format!("state_dir = \"{}\"", conf.dir.path().join("state").display()),
            &format!("state_dir = \"{}\"", state.display()),
            1,
        );
        std::fs::write(&conf.path, text).unwrap();
    }
    conf
}

/// pamtester under a deadline: its output and how long it took.
fn login(svc: &PamService, password: &str) -> (Output, Duration) {
    let started = Instant::now();
    let mut c = Command::new("timeout");
    c.args(["20", "pamtester", "-v", &svc.name, "alice", "authenticate"]);
    let out = pam_support::run_with_input(&mut c, &format!("{password}\n"));
    (out, started.elapsed())
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

struct Holders(Vec<Child>);

impl Drop for Holders {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A fresh directory others may walk into (mode 0755) holding `victim/`
/// and `name/`, which `nobody` owns and where it has planted a link named
/// `control` to the victim.
struct PlantedControl {
    base: tempfile::TempDir,
    victim: PathBuf,
    dir: PathBuf,
}

fn planted_control(name: &str) -> PlantedControl {
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let victim = base.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let dir = base.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    let planted = as_nobody(&["ln", "-s", &victim.display().to_string(), &dir.join("control").display().to_string()]).status().unwrap();
    assert!(planted.success());
    PlantedControl { base, victim, dir }
}

/// `radius.toml` in `base` (mode 0600): one server, `state_dir` and
/// `[sessions] dir` as given.
fn sessions_config(base: &Path, state_dir: &Path, sessions_dir: &Path) -> PathBuf {
    let config = base.join("radius.toml");
    std::fs::write(
        &config,
        format!(
            "[client]\nstate_dir = \"{}\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\n[sessions]\ndir = \"{}\"\n",
            state_dir.display(),
            sessions_dir.display()
        ),
    )
    .unwrap();
    chmod(&config, 0o600);
    config
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `nobody` holds an exclusive lock on every state file it can open — the
/// counter files an older install left readable by all (0644, under 0755
/// directories) — and a login through pam_radius_rs is as fast as ever:
/// the module tries each lock for a few milliseconds, skips the update
/// with a log line, and authenticates. (It used to wait until killed.) A
/// fresh install keeps nobody out of the files entirely.
#[test]
fn locks_held_by_an_unprivileged_user_do_not_slow_a_login() {
    let fr = FreeRadius::start();
    let conf = config(&fr, None);
    let state = conf.dir.path().join("state");
    let svc = PamService::single(Module::Ours, &format!("{} log=stderr", conf.arg()));
    let (out, _) = login(&svc, "alice-password");
    assert!(out.status.success(), "{}", text(&out));
    let counters = files(&state.join("counters"));
    assert!(!counters.is_empty());
    for f in &counters {
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600, "state files are root's only");
        let peek = as_nobody(&["cat", &f.display().to_string()]).output().unwrap();
        assert!(!peek.status.success(), "nobody could read {}", f.display());
    }

    // The layout of an older install: directories 0755, files 0644.
    for d in [&state, &state.join("counters"), &state.join("dead")] {
        if d.exists() {
            chmod(d, 0o755);
        }
    }
    for f in &counters {
        chmod(f, 0o644);
    }
    let mut holders = Holders(Vec::new());
    for f in &counters {
        let c = as_nobody(&["flock", "-x", &f.display().to_string(), "sleep", "60"]).stdin(Stdio::null()).spawn().unwrap();
        holders.0.push(c);
    }
    // Wait until each lock is held (root cannot take it either).
    for f in &counters {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Command::new("flock").args(["-n", &f.display().to_string(), "true"]).status().unwrap().success() {
            assert!(Instant::now() < deadline, "nobody never got the lock on {}", f.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let (out, took) = login(&svc, "alice-password");
    assert!(out.status.success(), "the login failed or hung:\n{}", text(&out));
    assert!(took < Duration::from_secs(3), "the login took {took:?} with the locks held");
    assert!(text(&out).contains("is locked by another process; the update is skipped"), "{}", text(&out));
}

/// A state directory `nobody` owns, with links it planted to a directory
/// of root's: the login still works, root writes nothing through the
/// links, and the log names the directory and why it was refused.
#[test]
fn links_in_a_state_directory_nobody_owns_are_not_followed() {
    let fr = FreeRadius::start();
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let victim = base.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep"), "root's").unwrap();
    let state = base.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::os::unix::fs::chown(&state, Some(NOBODY), Some(NOBODY)).unwrap();
    for name in ["counters", "dead", "signs"] {
        let planted = as_nobody(&["ln", "-s", &victim.display().to_string(), &state.join(name).display().to_string()]).status().unwrap();
        assert!(planted.success());
    }
    let conf = config(&fr, Some(&state));
    let svc = PamService::single(Module::Ours, &format!("{} log=stderr", conf.arg()));
    let (out, _) = login(&svc, "alice-password");
    assert!(out.status.success(), "{}", text(&out));
    let expected = format!("state_dir: {} is owned by uid {NOBODY}, not root: refusing to write there", state.display());
    assert!(text(&out).contains(&expected), "{}", text(&out));
    let left: Vec<PathBuf> = files(&victim);
    assert_eq!(left, vec![victim.join("keep")], "root wrote through a planted link");
}

/// A sessions directory `nobody` owns, with a `control` link it planted:
/// radius-rs-dmd refuses to start and says why; `radius-rs sessions` too.
/// Nothing is written through the link.
#[test]
fn a_sessions_directory_nobody_owns_is_refused() {
    let PlantedControl { base, victim, dir: sessions } = planted_control("sessions");
    let config = sessions_config(base.path(), &base.path().join("state"), &sessions);
    let bin = |name: &str| pam_support::our_module().parent().unwrap().join(name);
    let dmd = Command::new("timeout").arg("10").arg(bin("radius-rs-dmd")).args(["--foreground", "--config"]).arg(&config).output().unwrap();
    assert_eq!(dmd.status.code(), Some(1), "radius-rs-dmd must refuse to run: {}", text(&dmd));
    let why = format!("{} is owned by uid {NOBODY}, not root: refusing to write there", sessions.display());
    assert!(text(&dmd).contains(&why), "{}", text(&dmd));
    let cli = Command::new(bin("radius-rs")).arg("--config").arg(&config).arg("sessions").output().unwrap();
    assert_eq!(cli.status.code(), Some(2));
    assert!(text(&cli).contains(&why), "{}", text(&cli));
    assert!(files(&victim).is_empty());
}

/// A state directory `nobody` owns, with a `control` link it planted
/// (where a Disconnect leaves the Admin-Reset cause for pppd): `radius-rs
/// disconnect` still ends the session, writes nothing through the link,
/// and says which directory it refused and why.
#[test]
fn a_control_link_in_a_state_directory_nobody_owns_is_not_followed() {
    use radius_host::sessions::{self, PppSession, SessionDir};
    let PlantedControl { base, victim, dir: state } = planted_control("state");
    let sessions_dir = base.path().join("sessions");
    let config = sessions_config(base.path(), &state, &sessions_dir);
    let pppd = base.path().join("pppd");
    // A link, not a copy: a copy's write descriptor, inherited by a test
    // forking on another thread, makes running it fail with ETXTBSY. The
    // kernel names the process after the link ("pppd").
    std::os::unix::fs::symlink("/bin/sleep", &pppd).unwrap();
    let mut alice = Command::new(&pppd).arg("60").spawn().unwrap();
    let record = PppSession {
        process_start: sessions::process_identity(alice.id()).map(|(_, t)| t),
        ..PppSession::example("ppp0", "alice", alice.id())
    };
    SessionDir::open(&sessions_dir, &state).unwrap().write(&record).unwrap();

    let bin = pam_support::our_module().parent().unwrap().join("radius-rs");
    let out = Command::new(bin).arg("--config").arg(&config).args(["disconnect", "--user", "alice"]).output().unwrap();
    let why = format!("{} is owned by uid {NOBODY}, not root: refusing to write there", state.display());
    assert!(text(&out).contains(&why), "{}", text(&out));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alice.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let ended = alice.try_wait().unwrap().is_some();
    let _ = alice.kill();
    let _ = alice.wait();
    assert!(ended, "the session was not ended: {}", text(&out));
    assert!(files(&victim).is_empty(), "root wrote through the planted link");
}
