//! Dead-server marks shared across processes: `state_dir/dead/<endpoint>`
//! holds the Unix time in milliseconds until which the endpoint is skipped.

use crate::state_file;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The dead marks under one state directory.
#[derive(Debug, Clone)]
pub struct DeadMarks {
    dir: PathBuf,
}

fn now_millis() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

fn name(addr: SocketAddr) -> String {
    state_file::file_name(&addr.to_string())
}

impl DeadMarks {
    /// Marks kept under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        DeadMarks { dir: state_dir.join("dead") }
    }

    /// True while `addr` is marked dead.
    pub fn is_dead(&self, addr: SocketAddr) -> bool {
        self.dead_until(addr).is_some_and(|until| until > now_millis())
    }

    /// The Unix time (ms) until which `addr` is dead, if marked.
    pub fn dead_until(&self, addr: SocketAddr) -> Option<u128> {
        state_file::read_mark(&self.dir, &name(addr)).and_then(|t| t.trim().parse().ok())
    }

    /// Marks `addr` dead for `time` (best effort: an unwritable state
    /// directory only loses the optimisation).
    pub fn mark(&self, addr: SocketAddr, time: Duration) {
        if time.is_zero() {
            return;
        }
        let until = now_millis() + time.as_millis();
        let _ = state_file::write_mark(&self.dir, &name(addr), &until.to_string());
    }

    /// Clears the mark of `addr`.
    pub fn clear(&self, addr: SocketAddr) {
        let _ = state_file::remove_mark(&self.dir, &name(addr));
    }
}
