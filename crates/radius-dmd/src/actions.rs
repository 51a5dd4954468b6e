//! What a CoA does to the sessions in the registry (a Disconnect is
//! radius-host's `session_control`, shared with `radius-rs disconnect`).

use crate::hook::Hook;
use crate::plan::Changes;
use radius_core::log::{Level, Log};
use radius_core::packet::error_cause::ErrorCause;
use radius_host::session_control::{EndError, Matches};
use radius_host::sessions::{self, Control, PppSession, SessionDir};
use std::time::{Duration, Instant};

/// The Error-Cause of a Disconnect that ended nothing.
pub fn cause_of(e: EndError) -> ErrorCause {
    match e {
        EndError::NoSession => ErrorCause::SessionContextNotFound,
        EndError::NotRemovable => ErrorCause::SessionContextNotRemovable,
    }
}

/// Applies a CoA's changes to every live session of `m` (see `session_control::find`),
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
