//! The session's own timers: Session-Timeout and Idle-Timeout (the
//! plugin's, not pppd's `maxconnect`/`idle`, so a CoA can change them),
//! and the poll for what radius-rs-dmd left in the session's control file.
//! A session ends as pppd's own timers end it (the same exit status).

use crate::lifecycle::{CONTROL_TIMER, IDLE_TIMER, SESSION_TIMER};
use crate::state::{Running, State};
use radius_core::log::Level;
use radius_core::sessions::{self, Control, SessionDir};
use radius_ffi::pppd::PppdHost;

/// pppd's `EXIT_IDLE_TIMEOUT`.
pub const EXIT_IDLE_TIMEOUT: i32 = 12;
/// pppd's `EXIT_CONNECT_TIME`.
pub const EXIT_CONNECT_TIME: i32 = 13;

/// Session-Timeout reached: pppd ends as for its own `maxconnect`.
pub fn session_expired(host: &impl PppdHost) {
    host.log(Level::Info, "Session-Timeout reached: ending the session");
    host.end_session(EXIT_CONNECT_TIME, c"Session timeout");
}

/// The idle timer fired: end the session if the link was idle long enough.
pub fn idle_check(st: &State, host: &impl PppdHost) {
    let Some(limit) = st.running.as_ref().and_then(|r| r.idle_timeout) else { return };
    let idle = host.idle_seconds().unwrap_or(0);
    if idle >= u64::from(limit) {
        host.log(Level::Info, &format!("no traffic for {idle}s (Idle-Timeout {limit}s): ending the session"));
        host.end_session(EXIT_IDLE_TIMEOUT, c"Link inactive");
    } else {
        host.schedule(IDLE_TIMER, limit - u32::try_from(idle).unwrap_or(0));
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
