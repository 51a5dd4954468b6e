//! `radius-rs sessions`: the session registry, with whether each pppd still runs.

use crate::Verdict;
use radius_host::sessions::{self, Liveness, SessionDir};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `sessions`.
pub fn run(config: &Path) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let dir = &config.sessions.dir;
    let records = match SessionDir::open(dir, &config.client.state_dir).map_err(|e| e.to_string()).and_then(|d| d.list().map_err(|e| e.to_string())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("radius-rs: error: cannot read {}: {e}", dir.display());
            return Verdict::Error;
        }
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    println!("{:<8} {:<20} {:<15} {:<26} {:>7} {:>9}  state", "ifname", "user", "address", "acct-session-id", "pid", "uptime");
    for r in records {
        match r {
            Ok(r) => {
                let state = match sessions::liveness(&r) {
                    Liveness::Live => "live",
                    Liveness::Gone => "lost (pppd gone; radius-rs-dmd sends its Stop)",
                    Liveness::Reused => "lost (pid reused)",
                };
                let ip = r.framed_ip_address.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
                let up = now.saturating_sub(r.start_time);
                println!("{:<8} {:<20} {:<15} {:<26} {:>7} {:>8}s  {state}", r.ifname, r.user, ip, r.acct_session_id, r.pid, up);
            }
            Err(e) => eprintln!("radius-rs: warning: {e}"),
        }
    }
    Verdict::Ok
}
