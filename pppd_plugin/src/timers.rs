//! The session's own timers: Session-Timeout and Idle-Timeout (the
//! plugin's, not pppd's `maxconnect`/`idle`, so a CoA can change them),
//! and the poll for what radius-rs-dmd left in the session's control file.
//!
//! A timer that ends the session only decides it ([`EndSession`]): pppd's
//! `lcp_close` calls the plugin back at once (IP down, phase changes), so
//! it is called after the plugin's state is let go, never while it is held.
//! The Stop's cause is the timer's, whatever pppd's exit status becomes.

use crate::lifecycle::{CONTROL_TIMER, IDLE_TIMER};
use crate::state::{Running, State};
use radius_core::log::Level;
use radius_core::packet::attr::terminate_cause;
use radius_host::sessions::{self, Control, SessionDir};
use radius_ffi::pppd::PppdHost;
use std::ffi::CStr;

/// pppd's `EXIT_IDLE_TIMEOUT`.
pub const EXIT_IDLE_TIMEOUT: i32 = 12;
/// pppd's `EXIT_CONNECT_TIME`.
pub const EXIT_CONNECT_TIME: i32 = 13;

/// A session to end, as pppd's own timers end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndSession {
    /// pppd's exit status.
    pub exit_status: i32,
    /// The reason in the Terminate-Request (pppd keeps the pointer: 'static).
    pub reason: &'static CStr,
}

impl EndSession {
    /// Ends the session: call with the plugin's state let go.
    pub fn apply(self, host: &impl PppdHost) {
        host.end_session(self.exit_status, self.reason);
    }
}

/// Session-Timeout reached: the session ends as for pppd's own `maxconnect`.
pub fn session_expired(st: &mut State, host: &impl PppdHost) -> Option<EndSession> {
    let run = st.running.as_mut()?;
    run.terminate_cause = run.terminate_cause.or(Some(terminate_cause::SESSION_TIMEOUT));
    host.log(Level::Info, "Session-Timeout reached: ending the session");
    Some(EndSession { exit_status: EXIT_CONNECT_TIME, reason: c"Session timeout" })
}

/// The idle timer fired: the session ends if the link was idle long enough.
pub fn idle_check(st: &mut State, host: &impl PppdHost) -> Option<EndSession> {
    let run = st.running.as_mut()?;
    let limit = run.idle_timeout?;
    let idle = host.idle_seconds();
    host.log(Level::Debug, &format!("idle check: {idle:?}s without traffic, Idle-Timeout {limit}s"));
    let idle = idle.unwrap_or(0);
    if idle >= u64::from(limit) {
        host.log(Level::Info, &format!("no traffic for {idle}s (Idle-Timeout {limit}s): ending the session"));
        run.terminate_cause = run.terminate_cause.or(Some(terminate_cause::IDLE_TIMEOUT));
        Some(EndSession { exit_status: EXIT_IDLE_TIMEOUT, reason: c"Link inactive" })
    } else {
        host.schedule(IDLE_TIMER, limit - u32::try_from(idle).unwrap_or(0));
        None
    }
}

/// The control timer fired: apply what radius-rs-dmd left (CoA), if anything.
pub fn control(st: &mut State, host: &impl PppdHost) {
    let (Some(setup), running) = st.parts() else { return };
    let Some(run) = running.as_mut() else { return };
    let Ok(dir) = setup.sessions() else { return };
    let ifname = run.session.ifname.clone();
    match dir.read_control(&ifname) {
        Ok(Some(c)) if c.pid == host.pid() => apply_control(run, host, dir, &c),
        Ok(_) => {}
        Err(e) => host.log(Level::Warning, &format!("{}: {e}; ignored", dir.control_path(&ifname).display())),
    }
    if let Err(e) = dir.remove_control(&ifname) {
        host.log(Level::Warning, &format!("cannot remove {}: {e}", dir.control_path(&ifname).display()));
    }
    host.schedule(CONTROL_TIMER, run.control_poll);
}

fn apply_control(run: &mut Running, host: &impl PppdHost, dir: &SessionDir, c: &Control) {
    use crate::lifecycle::SESSION_TIMER;
    if let Some(cause) = c.terminate_cause {
        run.terminate_cause = Some(cause);
    }
    if let Some(t) = c.session_timeout {
        host.cancel(SESSION_TIMER);
        if t > 0 {
            host.schedule(SESSION_TIMER, t);
        }
        host.log(Level::Info, &format!("CoA: Session-Timeout {t}s from now"));
    }
    if let Some(t) = c.idle_timeout {
        host.cancel(IDLE_TIMER);
        run.idle_timeout = (t > 0).then_some(t);
        if t > 0 {
            host.schedule(IDLE_TIMER, t);
        }
        host.log(Level::Info, &format!("CoA: Idle-Timeout {t}s"));
    }
    if let Some(classes) = &c.class {
        run.session.classes = classes.iter().filter(|h| sessions::unhex(h).is_some()).cloned().collect();
        if let Err(e) = dir.write(&run.session) {
            host.log(Level::Warning, &format!("cannot update the session record: {e}"));
        }
        host.log(Level::Info, "CoA: Class updated for later accounting");
    }
}
