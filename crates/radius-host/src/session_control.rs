//! Ending the registry's sessions: what a Disconnect-Request to
//! radius-rs-dmd and `radius-rs disconnect` both do.
//!
//! A session's pppd is signalled only after checking that the recorded
//! pid is still that pppd (name and start time), so a reused pid is never
//! hit. Before SIGTERM the cause (Admin-Reset) is left in the session's
//! control file, where the plugin reads it for the Stop.

use crate::registry_cache::RegistryCache;
use crate::selector::Selector;
use crate::sessions::{self, Control, Liveness, PppSession};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use radius_core::log::{Level, Log};
use radius_core::packet::attr::terminate_cause;

/// The registry's sessions that match a selector.
#[derive(Debug, Default)]
pub struct Matches {
    /// Their pppd runs.
    pub live: Vec<PppSession>,
    /// Their pppd is gone (the stale sweep sends their Stop).
    pub stale: Vec<PppSession>,
}

/// Why no session was ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndError {
    /// No live session matches (Error-Cause 503).
    #[error("no live session matches (Session-Context-Not-Found)")]
    NoSession,
    /// A matching pppd could not be signalled (Error-Cause 504).
    #[error("a matching session's pppd could not be signalled (Session-Context-Not-Removable)")]
    NotRemovable,
}

/// Splits the sessions `selector` names into live and stale.
pub fn find(registry: &mut RegistryCache, selector: &Selector, log: &dyn Log) -> Matches {
    let mut m = Matches::default();
    for r in registry.matching(selector, log) {
        match sessions::liveness(&r) {
            Liveness::Live => m.live.push(r),
            Liveness::Gone | Liveness::Reused => m.stale.push(r),
        }
    }
    m
}

/// Ends every live session `selector` names: Admin-Reset, then SIGTERM.
/// The ended sessions, or why none could be.
pub fn disconnect(registry: &mut RegistryCache, selector: &Selector, log: &dyn Log) -> Result<Vec<PppSession>, EndError> {
    let m = find(registry, selector, log);
    let dir = registry.dir();
    if m.live.is_empty() {
        return Err(EndError::NoSession);
    }
    let mut failed = false;
    for s in &m.live {
        let control = Control { pid: s.pid, terminate_cause: Some(terminate_cause::ADMIN_RESET), ..Default::default() };
        if let Err(e) = dir.write_control(&s.ifname, &control) {
            log.log(Level::Warning, &format!("{}: cannot leave the Admin-Reset cause: {e}", s.ifname));
        }
        // The check right before the signal: the pid must still be this session's pppd.
        if sessions::liveness(s) != Liveness::Live {
            continue;
        }
        match kill(Pid::from_raw(s.pid as i32), Signal::SIGTERM) {
            Ok(()) => log.log(Level::Info, &format!("{} ({}, pppd {}): disconnected (Admin-Reset)", s.ifname, s.user, s.pid)),
            Err(e) => {
                failed = true;
                log.log(Level::Error, &format!("{}: cannot signal pppd {}: {e}", s.ifname, s.pid));
            }
        }
    }
    if failed {
        Err(EndError::NotRemovable)
    } else {
        Ok(m.live)
    }
}
