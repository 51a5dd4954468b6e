//! The CoA hook: a script the operator provides for the CoA attributes
//! pppd itself cannot apply (shaping with Mikrotik-Rate-Limit, Filter-Id,
//! …), run once per session, as ip-up scripts apply them at login today.
//!
//! It is run as `HOOK coa IFNAME` with the session in its environment
//! (`IFNAME`, `PPPD_PID`, `USER_NAME`, `ACCT_SESSION_ID`, `PEER_IP`) and
//! the attributes as `RADIUS_*` variables named as in radattr
//! (`RADIUS_MIKROTIK_RATE_LIMIT=10M/20M`). Exit 0 means applied.

use radius_core::dictionary;
use radius_core::packet::wire::Attribute;
use radius_host::sessions::PppSession;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why the hook did not apply a change.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// It could not be started.
    #[error("cannot run {0}: {1}")]
    Spawn(PathBuf, std::io::Error),
    /// It exited with a failure.
    #[error("{0} exited with {1}: {2}")]
    Failed(PathBuf, String, String),
    /// It ran too long and was killed.
    #[error("{0} ran longer than {1:?} and was killed")]
    Timeout(PathBuf, Duration),
}

/// The configured hook.
#[derive(Debug, Clone)]
pub struct Hook {
    /// The script.
    pub path: PathBuf,
    /// How long it may run.
    pub timeout: Duration,
}

impl Hook {
    /// The variables the hook gets for `session` and `attributes`.
    pub fn environment(session: &PppSession, attributes: &[Attribute]) -> Vec<(String, String)> {
        let mut env = vec![
            ("IFNAME".to_string(), session.ifname.clone()),
            ("PPPD_PID".to_string(), session.pid.to_string()),
            ("USER_NAME".to_string(), session.user.clone()),
            ("ACCT_SESSION_ID".to_string(), session.acct_session_id.clone()),
            ("PEER_IP".to_string(), session.framed_ip_address.map(|ip| ip.to_string()).unwrap_or_default()),
        ];
        env.extend(dictionary::script_env(attributes));
        env
    }

    /// Runs the hook for one session; Ok when it exited 0 in time.
    pub fn run(&self, session: &PppSession, attributes: &[Attribute]) -> Result<(), HookError> {
        run_script(&self.path, self.timeout, &session.ifname, &Hook::environment(session, attributes))
    }
}

fn run_script(path: &Path, timeout: Duration, ifname: &str, env: &[(String, String)]) -> Result<(), HookError> {
    let mut child = Command::new(path)
        .args(["coa", ifname])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| HookError::Spawn(path.to_path_buf(), e))?;
    // Read stderr while the hook runs: a hook that writes more than a pipe
    // holds would otherwise block until it is killed.
    let stderr = child.stderr.take().map(|e| std::thread::spawn(move || keep_tail(e, STDERR_KEPT)));
    let deadline = Instant::now() + timeout;
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(HookError::Timeout(path.to_path_buf(), timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(HookError::Spawn(path.to_path_buf(), e)),
        }
    };
    let said = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    match outcome? {
        status if status.success() => Ok(()),
        status => Err(HookError::Failed(path.to_path_buf(), status.to_string(), said.trim().to_string())),
    }
}

/// How much of the hook's stderr is kept for the log line.
const STDERR_KEPT: usize = 4096;

/// Reads `from` to its end, keeping the last `keep` bytes as text.
fn keep_tail(mut from: impl std::io::Read, keep: usize) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        if tail.len() > keep {
            tail.drain(..tail.len() - keep);
        }
    }
    String::from_utf8_lossy(&tail).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// One test at a time writes and runs its script: a script written while
    /// another test forks its hook is held open for writing in that child
    /// until it execs, and running it then fails with ETXTBSY.
    static SCRIPTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn session() -> PppSession {
        let mut s = PppSession::example("ppp3", "alice", 42);
        s.acct_session_id = "S1".into();
        s.framed_ip_address = Some([10, 0, 0, 2].into());
        s
    }

    /// The script sees the interface and the vendor attribute by name; a
    /// failing or slow script is an error.
    #[test]
    fn runs_with_the_attributes() {
        let _one = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let script = dir.path().join("hook");
        std::fs::write(&script, format!("#!/bin/sh\necho \"$1 $2 $IFNAME $PEER_IP $RADIUS_MIKROTIK_RATE_LIMIT\" > {}\n", out.display())).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let rate = Attribute { typ: 26, value: vec![0, 0, 0x3a, 0x8c, 8, 7, b'1', b'M', b'/', b'2', b'M'], offset: 0 };
        let hook = Hook { path: script.clone(), timeout: Duration::from_secs(5) };
        hook.run(&session(), &[rate]).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "coa ppp3 ppp3 10.0.0.2 1M/2M");
        std::fs::write(&script, "#!/bin/sh\necho no >&2\nexit 3\n").unwrap();
        assert!(matches!(hook.run(&session(), &[]), Err(HookError::Failed(_, _, e)) if e == "no"));
        std::fs::write(&script, "#!/bin/sh\nsleep 5\n").unwrap();
        let slow = Hook { timeout: Duration::from_millis(200), ..hook.clone() };
        assert!(matches!(slow.run(&session(), &[]), Err(HookError::Timeout(..))));
    }

    /// A hook that writes a megabyte to stderr and succeeds is read while it
    /// runs: it succeeds at once (it used to fill the pipe and hang until killed).
    #[test]
    fn a_chatty_hook_does_not_hang() {
        let _one = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hook");
        std::fs::write(&script, "#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' x >&2\necho last words >&2\nexit 0\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let hook = Hook { path: script.clone(), timeout: Duration::from_secs(5) };
        let started = Instant::now();
        hook.run(&session(), &[]).unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        std::fs::write(&script, "#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' x >&2\necho last words >&2\nexit 4\n").unwrap();
        let Err(HookError::Failed(_, _, said)) = hook.run(&session(), &[]) else { panic!("a failing hook") };
        assert!(said.ends_with("last words") && said.len() <= STDERR_KEPT, "{} bytes", said.len());
    }
}
