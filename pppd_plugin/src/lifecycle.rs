//! The session's life and its accounting: IP up (Start, the registry
//! record, the timers), Interim-Updates (which also keep the last counters
//! in the registry, for the Stop of a pppd that vanishes), IP down or exit
//! (Stop, the session's files removed), and a new link in the same pppd.

use crate::accounting::terminate_cause;
use crate::grant::Grant;
use crate::link::Link;
use crate::radattr;
use crate::state::{Authenticated, Decider, Running, Setup, State};
use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::log::{Level, Log};
use radius_core::spool::{deliver, Delivery, DeliveryError, Held};
use radius_core::ppp_session::{hex, AuthenticatedBy, PppSession, Usage};
use radius_host::sessions;
use radius_ffi::pppd::{LinkCounters, PppdHost};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The interim accounting timer.
pub const INTERIM_TIMER: usize = 1;
/// The timer that looks for a change radius-rs-dmd left (CoA).
pub const CONTROL_TIMER: usize = 2;
/// Session-Timeout.
pub const SESSION_TIMER: usize = 3;
/// Idle-Timeout.
pub const IDLE_TIMER: usize = 4;

/// pppd's phase while a new link is negotiated.
pub const PHASE_ESTABLISH: i32 = radius_ffi::pppd::plugin::PHASE_ESTABLISH;

/// pppd's log as a [`Log`].
struct HostLog<'a, H: PppdHost>(&'a H);

impl<H: PppdHost> Log for HostLog<'_, H> {
    fn log(&self, level: Level, message: &str) {
        self.0.log(level, message);
    }
}

/// Delivers a record: to a server, or into the spool (radius-rs-dmd sends
/// it later). False when it is lost (no server, and no spool to keep it).
fn send(setup: &mut Setup, host: &impl PppdHost, record: &AccountingRecord, what: &str, user: &str, held: &mut Held) -> bool {
    let Setup { radius, spool, .. } = setup;
    match deliver(spool, held, record, &mut |r| radius.account(r), &HostLog(host)) {
        Ok(Delivery::Sent { .. }) => true,
        other => not_sent(host, other, what, user),
    }
}

/// Logs a record no server took now (spooled, dropped from a full spool,
/// or lost); whether it is kept. Never inlined: while the servers answer,
/// a pppd does not run it, and only the code a process runs is mapped.
#[inline(never)]
fn not_sent(host: &impl PppdHost, outcome: Result<Delivery, DeliveryError>, what: &str, user: &str) -> bool {
    match outcome {
        Ok(Delivery::Sent { .. }) => true,
        Ok(Delivery::Spooled { name, why }) => {
            let why = why.map(|e| e.to_string()).unwrap_or_else(|| "earlier records of the session wait in the spool".into());
            host.log(Level::Warning, &format!("accounting {what} for {user}: {why}; spooled as {name} for radius-rs-dmd to deliver"));
            true
        }
        Ok(Delivery::Dropped { why }) => {
            let why = why.map(|e| e.to_string()).unwrap_or_default();
            host.log(Level::Error, &format!("accounting {what} for {user} dropped: {why}; the spool is full"));
            true
        }
        Err(e) => {
            host.log(Level::Error, &format!("accounting {what} for {user} lost: {e}"));
            false
        }
    }
}

fn usage(run: &Running, c: LinkCounters) -> Usage {
    Usage {
        seconds: u32::try_from(run.started.elapsed().as_secs()).unwrap_or(u32::MAX),
        bytes_in: c.bytes_in,
        bytes_out: c.bytes_out,
        packets_in: c.packets_in,
        packets_out: c.packets_out,
    }
}

/// pppd entered `phase`: a new link starts with nothing of the last one's
/// peer, and with the configuration loaded (once a process) while LCP is
/// negotiated, so that the peer's credentials do not wait on it.
pub fn phase_changed(st: &mut State, host: &impl PppdHost, phase: i32) {
    if phase == PHASE_ESTABLISH {
        st.new_link();
        let _ = st.setup(host);
    }
}

/// IPCP is up: Start, the interim timer, the session record, the timers.
pub fn ip_up(st: &mut State, host: &impl PppdHost) {
    let Some(auth) = st.auth.clone() else { return };
    let Some(setup) = st.setup(host) else { return };
    let no_grant = Grant::default();
    let (grant, by) = match &auth.by {
        Decider::Radius { grant } => (grant, AuthenticatedBy::Radius),
        Decider::Local { .. } => (&no_grant, AuthenticatedBy::Local),
    };
    let (classes, interim, session_timeout, idle_timeout) = (grant.classes.clone(), grant.interim_interval, grant.session_timeout, grant.idle_timeout);
    let (framed_ipv6_prefix, delegated_ipv6_prefix) = (grant.framed_ipv6_prefix, grant.delegated_ipv6_prefix);
    let config = &setup.settings.config;
    let link = Link::read(host);
    let pid = host.pid();
    let session = PppSession {
        pid,
        process_start: sessions::process_identity(pid).map(|(_, start)| start),
        ifname: link.ifname.clone(),
        unit: link.unit,
        user: auth.user.clone(),
        acct_session_id: new_session_id(),
        framed_ip_address: host.peer_address(),
        start_time: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        authenticated_by: by,
        classes: classes.iter().map(|c| hex(c)).collect(),
        avpairs: setup.settings.avpair_words.clone(),
        port: link.port(&config.client.called_id),
        last_usage: None,
        framed_ipv6_prefix,
        delegated_ipv6_prefix,
    };
    let floor = u32::try_from(config.ppp.interim_floor.as_secs()).unwrap_or(60);
    let interim = interim.map(|i| i.max(floor).max(1));
    let control_poll = u32::try_from(config.ppp.control_poll.as_secs()).unwrap_or(1).max(1);
    let mut spool_held = Held::default();
    send(setup, host, &session.record(AcctStatus::Start, None, None), "Start", &session.user, &mut spool_held);
    match setup.sessions() {
        Ok(dir) => {
            // A control left for an earlier pppd on this interface is not ours.
            let _ = dir.remove_control(&session.ifname);
            if let Err(e) = dir.write(&session) {
                host.log(Level::Warning, &format!("cannot record the session under {}: {e}", dir.path().display()));
            }
        }
        Err(e) => host.log(Level::Warning, &format!("cannot record the session: {e}")),
    }
    if let Some(i) = interim {
        host.schedule(INTERIM_TIMER, i);
    }
    if let Some(t) = session_timeout {
        host.schedule(SESSION_TIMER, t);
    }
    if let Some(t) = idle_timeout {
        host.schedule(IDLE_TIMER, t);
    }
    host.schedule(CONTROL_TIMER, control_poll);
    st.running = Some(Running { session, started: Instant::now(), interim, idle_timeout, control_poll, terminate_cause: None, spool_held });
}

/// IPV6CP is up: the granted prefixes and Framed-IPv6-Routes are routed
/// through the link (as accel-ppp does; pppd itself routes none).
pub fn ipv6_up(st: &mut State, host: &impl PppdHost) {
    let Some(Authenticated { by: Decider::Radius { grant }, user }) = &st.auth else { return };
    for route in grant.ipv6_routes() {
        if st.routes6.contains(&route) {
            continue;
        }
        match host.add_ipv6_route(&route) {
            Ok(()) => {
                host.log(Level::Info, &format!("{user}: route {route} through {}", host.ifname()));
                st.routes6.push(route);
            }
            Err(e) => host.log(Level::Warning, &format!("{user}: cannot route {route} through {}: {e}", host.ifname())),
        }
    }
}

/// IPV6CP is down (or the link ends): the routes the plugin added go.
pub fn ipv6_down(st: &mut State, host: &impl PppdHost) {
    for route in std::mem::take(&mut st.routes6) {
        // Gone with the interface already is as good as removed.
        if let Err(e) = host.delete_ipv6_route(&route) {
            host.log(Level::Debug, &format!("route {route}: {e}"));
        }
    }
}

/// The interim timer fired: an Interim-Update, and the counters kept in the registry.
pub fn interim(st: &mut State, host: &impl PppdHost) {
    let (Some(setup), Some(run)) = st.parts() else { return };
    let used = usage(run, host.link_counters());
    run.session.last_usage = Some(used);
    let record = run.session.record(AcctStatus::InterimUpdate, Some(&used), None);
    send(setup, host, &record, "Interim-Update", &run.session.user, &mut run.spool_held);
    if let Ok(dir) = setup.sessions() {
        if let Err(e) = dir.write(&run.session) {
            host.log(Level::Warning, &format!("cannot update the session record: {e}"));
        }
    }
    if let Some(i) = run.interim {
        host.schedule(INTERIM_TIMER, i);
    }
}

/// IPCP is down or pppd exits: Stop, and the session's files go.
pub fn end(st: &mut State, host: &impl PppdHost) {
    let (Some(setup), running) = st.parts() else { return };
    if let Some(mut run) = running.take() {
        for timer in [INTERIM_TIMER, CONTROL_TIMER, SESSION_TIMER, IDLE_TIMER] {
            host.cancel(timer);
        }
        let used = usage(&run, host.link_counters());
        // radius-rs-dmd leaves the cause before it signals us (Disconnect-Request).
        let asked = setup.sessions().ok().and_then(|d| d.read_control(&run.session.ifname).ok().flatten());
        let asked = asked.filter(|c| c.pid == host.pid()).and_then(|c| c.terminate_cause);
        let cause = run.terminate_cause.or(asked).unwrap_or_else(|| terminate_cause(host.exit_status()));
        let record = run.session.record(AcctStatus::Stop, Some(&used), Some(cause));
        let kept = send(setup, host, &record, "Stop", &run.session.user, &mut run.spool_held);
        run.session.last_usage = Some(used);
        if !kept {
            // Neither sent nor spooled: the registry record stays, with these
            // counters, for radius-rs-dmd to send the Stop of a pppd that is gone.
            if let Ok(dir) = setup.sessions() {
                let _ = dir.write(&run.session);
            }
        } else if let Ok(dir) = setup.sessions() {
            let _ = dir.remove_control(&run.session.ifname);
            if let Err(e) = dir.remove(&run.session.ifname, host.pid()) {
                host.log(Level::Warning, &format!("cannot remove the session record: {e}"));
            }
        }
    }
    let ifname = host.ifname();
    if !ifname.is_empty() {
        let radattr_dir = &setup.settings.config.ppp.radattr_dir;
        if let Err(e) = radattr::remove(radattr_dir, &ifname) {
            host.log(Level::Warning, &format!("cannot remove {}: {e}", radattr::path(radattr_dir, &ifname).display()));
        }
    }
}
