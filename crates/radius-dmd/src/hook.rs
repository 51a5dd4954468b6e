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
use radius_core::sessions::SessionRecord;
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
    pub fn environment(session: &SessionRecord, attributes: &[Attribute]) -> Vec<(String, String)> {
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
    pub fn run(&self, session: &SessionRecord, attributes: &[Attribute]) -> Result<(), HookError> {
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
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                return Err(HookError::Failed(path.to_path_buf(), status.to_string(), err.trim().to_string()));
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HookError::Timeout(path.to_path_buf(), timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(HookError::Spawn(path.to_path_buf(), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn session() -> SessionRecord {
        SessionRecord {
            pid: 42,
            ifname: "ppp3".into(),
            unit: 3,
            user: "alice".into(),
            acct_session_id: "S1".into(),
            framed_ip_address: Some([10, 0, 0, 2].into()),
            nas_port: 3,
            nas_port_id: "ppp3".into(),
            calling_station_id: String::new(),
            start_time: 0,
            class: None,
            authenticated_by: "radius".into(),
            process_start: None,
        }
    }

    /// The script sees the interface and the vendor attribute by name; a
    /// failing or slow script is an error.
    #[test]
    fn runs_with_the_attributes() {
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
        let slow = Hook { timeout: Duration::from_millis(200), ..hook };
        assert!(matches!(slow.run(&session(), &[]), Err(HookError::Timeout(..))));
    }
}
