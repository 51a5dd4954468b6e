//! What a Disconnect or CoA does to the sessions in the registry; also the
//! code path of `radius-rs disconnect`.
//!
//! A session's pppd is signalled only after checking that the recorded
//! pid is still that pppd (name and start time), so a reused pid is never
//! hit. Before SIGTERM the cause (Admin-Reset) is left in the session's
//! control file, where the plugin reads it for the Stop.

use crate::error_cause::ErrorCause;
use crate::hook::Hook;
use crate::plan::Changes;
use crate::registry_cache::RegistryCache;
use crate::selector::Selector;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use radius_core::log::{Level, Log};
use radius_core::packet::attr::terminate_cause;
use radius_core::sessions::{self, Control, Liveness, SessionDir, PppSession};
use std::time::{Duration, Instant};

/// The registry's sessions that match a selector.
#[derive(Debug, Default)]
pub struct Matches {
    /// Their pppd runs.
    pub live: Vec<PppSession>,
    /// Their pppd is gone (the stale sweep sends their Stop).
    pub stale: Vec<PppSession>,
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
pub fn disconnect(registry: &mut RegistryCache, selector: &Selector, log: &dyn Log) -> Result<Vec<PppSession>, ErrorCause> {
    let m = find(registry, selector, log);
    let dir = registry.dir();
    if m.live.is_empty() {
        return Err(ErrorCause::SessionContextNotFound);
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
        Err(ErrorCause::SessionContextNotRemovable)
    } else {
        Ok(m.live)
    }
}

/// Applies a CoA's changes to every live session of `m` (see [`find`]),
/// and waits up to `wait` for their pppd to take them.
pub fn change(
    dir: &SessionDir,
    m: Matches,
    changes: &Changes,
    hook: Option<&Hook>,
    wait: Duration,
    log: &dyn Log,
) -> Result<Vec<PppSession>, ErrorCause> {
    if !changes.for_hook.is_empty() && hook.is_none() {
        log.log(Level::Warning, "CoA carries attributes only a hook could apply, and [incoming] coa_hook is not set");
        return Err(ErrorCause::UnsupportedAttribute);
    }
    if m.live.is_empty() {
        return Err(ErrorCause::SessionContextNotFound);
    }
    let for_pppd = changes.session_timeout.is_some() || changes.idle_timeout.is_some() || !changes.classes.is_empty();
    let mut outcome = Ok(());
    for s in &m.live {
        if for_pppd {
            let previous = dir.read_control(&s.ifname).ok().flatten().filter(|c| c.pid == s.pid);
            let mut c = previous.unwrap_or(Control { pid: s.pid, ..Default::default() });
            c.session_timeout = changes.session_timeout.or(c.session_timeout);
            c.idle_timeout = changes.idle_timeout.or(c.idle_timeout);
            if !changes.classes.is_empty() {
                c.class = Some(changes.classes.iter().map(|v| sessions::hex(v)).collect());
            }
            if let Err(e) = dir.write_control(&s.ifname, &c) {
                log.log(Level::Error, &format!("{}: cannot hand the change to pppd: {e}", s.ifname));
                outcome = Err(ErrorCause::ResourcesUnavailable);
            }
        }
        if let (Some(hook), false) = (hook, changes.for_hook.is_empty()) {
            match hook.run(s, &changes.for_hook) {
                Ok(()) => log.log(Level::Info, &format!("{} ({}): CoA hook applied", s.ifname, s.user)),
                Err(e) => {
                    log.log(Level::Error, &format!("{} ({}): CoA hook: {e}", s.ifname, s.user));
                    outcome = Err(ErrorCause::ResourcesUnavailable);
                }
            }
        }
    }
    if for_pppd {
        let deadline = Instant::now() + wait;
        let pending = |s: &PppSession| dir.control_pending(&s.ifname);
        while m.live.iter().any(pending) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        for s in m.live.iter().filter(|s| pending(s)) {
            log.log(Level::Error, &format!("{} (pppd {}): the session did not take the change within {wait:?}", s.ifname, s.pid));
            let _ = dir.remove_control(&s.ifname);
            outcome = Err(ErrorCause::ResourcesUnavailable);
        }
    }
    outcome.map(|()| m.live)
}
