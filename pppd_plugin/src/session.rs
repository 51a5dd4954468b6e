//! One pppd's session, from authentication to exit: who decides the peer
//! (local secrets or RADIUS, in `[ppp] order`), what the Access-Accept
//! grants, accounting, the radattr file and the session registry.
//!
//! pppd runs one session per process on one thread, so the state is a
//! thread-local; a hook re-entered while it is borrowed would panic into
//! the boundary and fail closed, never share it.

use crate::accounting::{self, SessionFacts};
use crate::grant::{self, Grant, PeerAddress};
use crate::link::Link;
use crate::settings::{self, Settings};
use crate::{local, radattr, RadiusRs};
use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::auth::{mppe, Credentials, Method};
use radius_core::client::NoChallenge;
use radius_core::config::SecretSource;
use radius_core::log::Level;
use radius_core::packet::attr::{self, framed_protocol, ms, service_type};
use radius_core::packet::Reply;
use radius_core::{nas, ppp_secrets, sessions, AuthOutcome, AuthRequest, Client, ClientError, Secret, Service};
use radius_ffi::pppd::{plugin, ChapDigest, ChapResponse, ChapVerdict, Host, PapVerdict, PppdLog};
use std::net::Ipv4Addr;
use std::cell::RefCell;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The interim accounting timer.
pub const INTERIM_TIMER: usize = 1;
/// The timer that looks for a change radius-rs-dmd left (CoA).
pub const CONTROL_TIMER: usize = 2;
/// Session-Timeout.
pub const SESSION_TIMER: usize = 3;
/// Idle-Timeout.
pub const IDLE_TIMER: usize = 4;

/// pppd's `EXIT_IDLE_TIMEOUT`.
const EXIT_IDLE_TIMEOUT: i32 = 12;
/// pppd's `EXIT_CONNECT_TIME`.
const EXIT_CONNECT_TIME: i32 = 13;

/// Who decided the peer.
#[derive(Debug)]
enum Decider {
    /// Local secrets; for CHAP the entry's address list (PAP: pppd keeps it).
    Local { addresses: Option<Vec<String>> },
    /// RADIUS, and what it granted.
    Radius { grant: Grant },
}

#[derive(Debug)]
struct Authenticated {
    user: String,
    by: Decider,
}

#[derive(Debug)]
struct Running {
    facts: SessionFacts,
    started: Instant,
    interim: Option<u32>,
    /// Idle-Timeout in force (seconds).
    idle_timeout: Option<u32>,
    /// How often the control file is looked for (seconds).
    control_poll: u32,
    /// Acct-Terminate-Cause radius-rs-dmd asked for (Admin-Reset).
    terminate_cause: Option<u32>,
    /// The record in the session registry.
    record: sessions::SessionRecord,
}

#[derive(Default)]
struct State {
    setup: Option<Result<(Client, Settings), String>>,
    auth: Option<Authenticated>,
    running: Option<Running>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    STATE.with_borrow_mut(f)
}

impl State {
    /// The client and settings, loaded at first use.
    fn setup(&mut self, host: &Host) -> Option<&mut (Client, Settings)> {
        let setup = self.setup.get_or_insert_with(|| {
            let path = radius_ffi::pppd::options::config_path();
            settings::load(path, &radius_ffi::pppd::options::avpairs()).map(|mut s| {
                for w in &s.config.warnings {
                    host.log(Level::Warning, &w.0);
                }
                // As radiusclient: NAS-IP-Address from this host's name unless configured.
                let own = nas::address_attributes(&s.config, None, Default::default());
                if let Some((_, ip)) = own.iter().find(|(t, _)| *t == attr::NAS_IP_ADDRESS) {
                    if let Ok(ip) = <[u8; 4]>::try_from(ip) {
                        s.config.client.nas_ip_address = Some(Ipv4Addr::from(ip).into());
                    }
                }
                (Client::new(s.config.clone(), Box::new(PppdLog)), s)
            })
        });
        match setup {
            Ok(s) => Some(s),
            Err(e) => {
                host.log(Level::Error, &format!("{e}; refusing every peer until it is fixed"));
                None
            }
        }
    }
}

/// What a RADIUS attempt came to.
enum RadiusResult {
    /// Accepted, with the reply and the answering server.
    Accept(Reply, usize),
    /// Rejected, with the server's Reply-Message.
    Reject(Reply),
    /// No server answered: the next source may decide.
    Unreachable,
    /// Something else failed: the peer is refused.
    Failed,
}

fn ask_radius(client: &mut Client, settings: &Settings, host: &Host, user: &str, credentials: Credentials) -> RadiusResult {
    let link = Link::read(host);
    let mut request = AuthRequest::new(user, credentials, Service::Ppp);
    request.nas_port = Some(link.nas_port());
    request
        .attributes
        .integer(attr::SERVICE_TYPE, service_type::FRAMED)
        .integer(attr::FRAMED_PROTOCOL, framed_protocol::PPP)
        .integer(attr::NAS_PORT_TYPE, link.nas_port_type())
        .text(attr::NAS_PORT_ID, &link.nas_port_id());
    if !link.calling_station_id.is_empty() {
        request.attributes.text(attr::CALLING_STATION_ID, &link.calling_station_id);
    }
    request.attributes.extend(&settings.avpairs);
    request.max_challenge_rounds = 0;
    match client.authenticate(&request, &mut NoChallenge) {
        Ok(AuthOutcome::Accept { reply, server_index }) => RadiusResult::Accept(reply, server_index),
        Ok(AuthOutcome::Reject { reply, .. }) => RadiusResult::Reject(reply),
        Err(e @ (ClientError::Unreachable(_) | ClientError::NoServer(_))) => {
            host.log(Level::Error, &format!("{user}: {e}"));
            RadiusResult::Unreachable
        }
        Err(e) => {
            host.log(Level::Error, &format!("{user}: {e}; refusing the peer"));
            RadiusResult::Failed
        }
    }
}

fn reply_message(reply: &Reply, fallback: &str) -> String {
    let m = reply.reply_messages().join(" ");
    if m.is_empty() {
        fallback.to_string()
    } else {
        m
    }
}

/// Applies what RADIUS granted to pppd (once per session).
fn apply(host: &Host, settings: &Settings, g: &Grant) {
    if let Some(mask) = g.netmask {
        host.set_netmask(mask);
    }
    if let Some(mtu) = g.mtu {
        host.limit_mtu(mtu);
    }
    match g.dns {
        (Some(a), b) => host.set_dns_servers(a, b.unwrap_or(a)),
        (None, Some(b)) => host.set_dns_servers(b, b),
        (None, None) => {}
    }
    if let Some(id) = g.interface_id {
        host.set_peer_interface_id(id);
    }
    if let Some((policy, types)) = g.mppe_policy {
        host.set_mppe_policy(policy, types);
    }
    for (name, value) in &g.script_env {
        host.script_setenv(name, value);
    }
    let dir = &settings.config.ppp.radattr_dir;
    if let Err(e) = radattr::write(dir, &host.ifname(), &g.radattr) {
        host.log(Level::Warning, &format!("cannot write {}: {e}", radattr::path(dir, &host.ifname()).display()));
    }
}

/// Accepts `user` as RADIUS granted: checks and applies the grant.
fn granted(st: &mut State, host: &Host, user: String, reply: &Reply) -> Result<(), String> {
    let g = grant::from_attributes(&reply.attributes).map_err(|e| format!("{user}: {e}"))?;
    if st.auth.is_none() {
        if let Some((_, settings)) = st.setup.as_ref().and_then(|s| s.as_ref().ok()) {
            apply(host, settings, &g);
        }
        st.auth = Some(Authenticated { user, by: Decider::Radius { grant: g } });
    }
    Ok(())
}

/// A PAP Authenticate-Request.
pub fn pap_auth(host: &Host, user: &str, password: Secret) -> PapVerdict {
    with_state(|st| pap_auth_in(st, host, user, password))
}

fn pap_auth_in(st: &mut State, host: &Host, user: &str, password: Secret) -> PapVerdict {
    let Some((client, settings)) = st.setup(host) else { return PapVerdict::Reject("Service unavailable".into()) };
    let order = settings.config.ppp.order.clone();
    for source in order {
        match source {
            SecretSource::Local => match ppp_secrets::load(&settings.config.ppp.pap_secrets) {
                Err(e) => {
                    host.log(Level::Error, &format!("{e}; refusing {user}"));
                    return PapVerdict::Reject("Service unavailable".into());
                }
                Ok(entries) => {
                    if ppp_secrets::find_user(&entries, user, &host.our_name()).is_some() {
                        host.log(Level::Info, &format!("{user} has a local PAP record: pppd checks it, RADIUS is not asked"));
                        st.auth = Some(Authenticated { user: user.to_string(), by: Decider::Local { addresses: None } });
                        return PapVerdict::LetPppdCheck;
                    }
                }
            },
            SecretSource::Radius => {
                let name = client.user_name(user, Method::Pap);
                match ask_radius(client, settings, host, user, Credentials::pap(password.clone())) {
                    RadiusResult::Accept(reply, _) => {
                        return match granted(st, host, name, &reply) {
                            Ok(()) => {
                                host.log(Level::Info, &format!("{user} accepted by RADIUS (PAP)"));
                                PapVerdict::Accept
                            }
                            Err(e) => {
                                host.log(Level::Error, &e);
                                PapVerdict::Reject("Service not permitted".into())
                            }
                        }
                    }
                    RadiusResult::Reject(reply) => {
                        host.log(Level::Info, &format!("{user} rejected by RADIUS (PAP)"));
                        return PapVerdict::Reject(reply_message(&reply, "Authentication failed"));
                    }
                    RadiusResult::Failed => return PapVerdict::Reject("Service unavailable".into()),
                    RadiusResult::Unreachable => continue,
                }
            }
        }
    }
    host.log(Level::Error, &format!("{user}: no source in [ppp] order could decide; refusing"));
    PapVerdict::Reject("Service unavailable".into())
}

fn arr<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    s.try_into().ok()
}

fn credentials(r: &ChapResponse<'_>) -> Option<Credentials> {
    match r.digest {
        ChapDigest::Md5 => Some(Credentials::Chap { id: r.id, challenge: r.challenge.to_vec(), response: arr(r.response)? }),
        ChapDigest::MsChapV1 if r.response.len() == 49 => Some(Credentials::MsChapV1 {
            id: r.id,
            challenge: arr(r.challenge)?,
            lm_response: arr(&r.response[..24])?,
            nt_response: arr(&r.response[24..48])?,
            flags: r.response[48],
        }),
        ChapDigest::MsChapV2 if r.response.len() == 49 => Some(Credentials::MsChapV2 {
            id: r.id,
            auth_challenge: arr(r.challenge)?,
            peer_challenge: arr(&r.response[..16])?,
            nt_response: arr(&r.response[24..48])?,
            flags: r.response[48],
        }),
        _ => None,
    }
}

fn refuse(r: &ChapResponse<'_>, message: Option<String>) -> ChapVerdict {
    let message = match r.digest {
        ChapDigest::MsChapV1 | ChapDigest::MsChapV2 => message.unwrap_or_else(|| local::mschap_failure(r.challenge)),
        _ => message.unwrap_or_else(|| "Access denied".into()),
    };
    ChapVerdict { accepted: false, message }
}

/// The MPPE keys of an MS-CHAP Access-Accept, handed to pppd.
fn radius_keys(client: &Client, host: &Host, r: &ChapResponse<'_>, reply: &Reply, server: usize) -> Result<(), String> {
    match r.digest {
        ChapDigest::MsChapV2 => match client.mppe_keys(reply, server) {
            Ok(Some(k)) => host.set_mppe_keys(&k.send, &k.recv),
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        },
        ChapDigest::MsChapV1 => match client.mschap_v1_keys(reply, server) {
            Ok(Some(keys)) => {
                let challenge: [u8; 8] = r.challenge.try_into().map_err(|_| "bad MS-CHAP challenge".to_string())?;
                let key = mppe::v1_start_key(&keys.nt, &challenge);
                host.set_mppe_keys(&key, &key);
            }
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        },
        _ => {}
    }
    Ok(())
}

/// A CHAP / MS-CHAP response.
pub fn chap_verify(host: &Host, r: &ChapResponse<'_>) -> ChapVerdict {
    with_state(|st| chap_verify_in(st, host, r))
}

fn chap_verify_in(st: &mut State, host: &Host, r: &ChapResponse<'_>) -> ChapVerdict {
    let Some((client, settings)) = st.setup(host) else { return refuse(r, None) };
    let order = settings.config.ppp.order.clone();
    let user = r.user;
    for source in order {
        match source {
            SecretSource::Local => {
                let entries = match ppp_secrets::load(&settings.config.ppp.chap_secrets) {
                    Ok(e) => e,
                    Err(e) => {
                        host.log(Level::Error, &format!("{e}; refusing {user}"));
                        return refuse(r, None);
                    }
                };
                let Some(entry) = ppp_secrets::find_user(&entries, user, r.our_name) else { continue };
                let checked = local::check(r.digest, r.id, user, r.challenge, r.response, entry.secret.expose());
                host.log(
                    Level::Info,
                    &format!(
                        "{user} has a local CHAP record (line {}): {} without RADIUS",
                        entry.line,
                        if checked.accepted { "accepted" } else { "rejected" }
                    ),
                );
                if checked.accepted {
                    if let Some(k) = &checked.keys {
                        host.set_mppe_keys(&k.send, &k.recv);
                    }
                    if st.auth.is_none() {
                        st.auth = Some(Authenticated {
                            user: user.to_string(),
                            by: Decider::Local { addresses: Some(entry.addresses.clone()) },
                        });
                    }
                }
                return ChapVerdict { accepted: checked.accepted, message: checked.message };
            }
            SecretSource::Radius => {
                let Some(creds) = credentials(r) else {
                    host.log(Level::Error, &format!("{user}: malformed {:?} response ({} bytes); refusing", r.digest, r.response.len()));
                    return refuse(r, None);
                };
                let name = client.user_name(user, creds.method());
                match ask_radius(client, settings, host, user, creds) {
                    RadiusResult::Accept(reply, server) => {
                        let success = reply.vendor(ms::VENDOR, ms::CHAP2_SUCCESS);
                        let message = match (r.digest, &success) {
                            (ChapDigest::MsChapV2, Some(s)) if s.len() > 1 && s[1..].starts_with(b"S=") => {
                                String::from_utf8_lossy(&s[1..]).into_owned()
                            }
                            (ChapDigest::MsChapV2, _) => {
                                host.log(Level::Error, &format!("{user}: the Access-Accept has no valid MS-CHAP2-Success; refusing"));
                                return refuse(r, None);
                            }
                            _ => "Access granted".into(),
                        };
                        if let Err(e) = radius_keys(client, host, r, &reply, server) {
                            host.log(Level::Error, &format!("{user}: MPPE keys in the Access-Accept: {e}; refusing"));
                            return refuse(r, None);
                        }
                        if let Err(e) = granted(st, host, name, &reply) {
                            host.log(Level::Error, &e);
                            return refuse(r, None);
                        }
                        host.log(Level::Info, &format!("{user} accepted by RADIUS ({:?})", r.digest));
                        return ChapVerdict { accepted: true, message };
                    }
                    RadiusResult::Reject(reply) => {
                        host.log(Level::Info, &format!("{user} rejected by RADIUS ({:?})", r.digest));
                        let error = reply.vendor(ms::VENDOR, ms::CHAP_ERROR).filter(|e| e.len() > 1);
                        return refuse(r, error.map(|e| String::from_utf8_lossy(&e[1..]).into_owned()));
                    }
                    RadiusResult::Failed => return refuse(r, None),
                    RadiusResult::Unreachable => continue,
                }
            }
        }
    }
    host.log(Level::Error, &format!("{user}: no source in [ppp] order could decide; refusing"));
    refuse(r, None)
}

/// The address RADIUS fixed for the peer.
pub fn choose_ip() -> Option<Ipv4Addr> {
    with_state(|st| match &st.auth {
        Some(Authenticated { by: Decider::Radius { grant }, .. }) => match grant.address {
            PeerAddress::Fixed(ip) => Some(ip),
            _ => None,
        },
        _ => None,
    })
}

/// May the peer use `addr`?
pub fn allowed_address(host: &Host, addr: Ipv4Addr) -> Option<bool> {
    with_state(|st| match &st.auth {
        Some(Authenticated { by: Decider::Radius { grant }, .. }) => Some(match grant.address {
            PeerAddress::Fixed(ip) => ip == addr,
            PeerAddress::PeerChooses => true,
            PeerAddress::NasChooses => host.configured_peer_address() == Some(addr),
        }),
        Some(Authenticated { by: Decider::Local { addresses: Some(list) }, .. }) => ppp_secrets::address_allowed(list, addr),
        _ => None,
    })
}

fn send(client: &mut Client, host: &Host, record: &AccountingRecord, what: &str, user: &str) {
    if let Err(e) = client.account(record) {
        host.log(Level::Warning, &format!("accounting {what} for {user}: {e}"));
    }
}

/// IPCP is up: Start, the interim timer, the session record.
pub fn ip_up(host: &Host) {
    with_state(|st| ip_up_in(st, host))
}

fn ip_up_in(st: &mut State, host: &Host) {
    let Some(auth) = &st.auth else { return };
    let user = auth.user.clone();
    let (classes, interim, local, session_timeout, idle_timeout) = match &auth.by {
        Decider::Radius { grant } => (grant.classes.clone(), grant.interim_interval, false, grant.session_timeout, grant.idle_timeout),
        Decider::Local { .. } => (Vec::new(), None, true, None, None),
    };
    let Some((client, settings)) = st.setup(host) else { return };
    let floor = u32::try_from(settings.config.ppp.interim_floor.as_secs()).unwrap_or(60);
    let facts = SessionFacts {
        session_id: new_session_id(),
        user: user.clone(),
        classes,
        local,
        link: Link::read(host),
        address: host.peer_address(),
        called_station_id: settings.config.client.called_id.clone(),
        avpairs: settings.avpairs.clone(),
    };
    send(client, host, &accounting::record(&facts, AcctStatus::Start, None, None), "Start", &user);
    let interim = interim.map(|i| i.max(floor).max(1));
    if let Some(i) = interim {
        plugin::schedule::<RadiusRs>(INTERIM_TIMER, i);
    }
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let record = sessions::SessionRecord {
        pid: std::process::id(),
        ifname: facts.link.ifname.clone(),
        unit: facts.link.unit,
        user,
        acct_session_id: facts.session_id.clone(),
        framed_ip_address: facts.address,
        nas_port: facts.link.nas_port(),
        nas_port_id: facts.link.nas_port_id(),
        calling_station_id: facts.link.calling_station_id.clone(),
        start_time: started_at,
        class: facts.classes.first().map(|c| sessions::hex(c)),
        authenticated_by: if local { "local" } else { "radius" }.into(),
        process_start: sessions::process_identity(std::process::id()).map(|(_, start)| start),
    };
    let dir = &settings.config.sessions.dir;
    // A control left for an earlier pppd on this interface is not ours.
    let _ = sessions::remove_control(dir, &record.ifname);
    if let Err(e) = sessions::write(dir, &record) {
        host.log(Level::Warning, &format!("cannot record the session under {}: {e}", dir.display()));
    }
    if let Some(t) = session_timeout {
        plugin::schedule::<RadiusRs>(SESSION_TIMER, t);
    }
    if let Some(t) = idle_timeout {
        plugin::schedule::<RadiusRs>(IDLE_TIMER, t);
    }
    let control_poll = u32::try_from(settings.config.ppp.control_poll.as_secs()).unwrap_or(1).max(1);
    plugin::schedule::<RadiusRs>(CONTROL_TIMER, control_poll);
    st.running = Some(Running { facts, started: Instant::now(), interim, idle_timeout, control_poll, terminate_cause: None, record });
}

/// Session-Timeout reached: pppd ends as for its own `maxconnect`.
pub fn session_expired(host: &Host) {
    host.log(Level::Info, "Session-Timeout reached: ending the session");
    host.end_session(EXIT_CONNECT_TIME, "Session timeout");
}

/// The idle timer fired: end the session if the link was idle long enough.
pub fn idle_check(host: &Host) {
    let Some(limit) = with_state(|st| st.running.as_ref().and_then(|r| r.idle_timeout)) else { return };
    let idle = host.idle_seconds().unwrap_or(0);
    if idle >= u64::from(limit) {
        host.log(Level::Info, &format!("no traffic for {idle}s (Idle-Timeout {limit}s): ending the session"));
        host.end_session(EXIT_IDLE_TIMEOUT, "Link inactive");
    } else {
        plugin::schedule::<RadiusRs>(IDLE_TIMER, limit - u32::try_from(idle).unwrap_or(0));
    }
}

/// The control timer fired: apply what radius-rs-dmd left (CoA), if anything.
pub fn control(host: &Host) {
    with_state(|st| control_in(st, host))
}

fn control_in(st: &mut State, host: &Host) {
    let State { setup, running, .. } = st;
    let (Some(run), Some(Ok((_, settings)))) = (running.as_mut(), setup.as_ref()) else { return };
    let dir = &settings.config.sessions.dir;
    let ifname = run.record.ifname.clone();
    match sessions::read_control(dir, &ifname) {
        Ok(Some(c)) if c.pid == std::process::id() => apply_control(run, host, dir, &c),
        Ok(Some(_)) => {}
        Ok(None) => {}
        Err(e) => host.log(Level::Warning, &format!("{}: {e}; ignored", sessions::control_path(dir, &ifname).display())),
    }
    if let Err(e) = sessions::remove_control(dir, &ifname) {
        host.log(Level::Warning, &format!("cannot remove {}: {e}", sessions::control_path(dir, &ifname).display()));
    }
    plugin::schedule::<RadiusRs>(CONTROL_TIMER, run.control_poll);
}

fn apply_control(run: &mut Running, host: &Host, dir: &std::path::Path, c: &sessions::Control) {
    if let Some(cause) = c.terminate_cause {
        run.terminate_cause = Some(cause);
    }
    if let Some(t) = c.session_timeout {
        plugin::cancel::<RadiusRs>(SESSION_TIMER);
        if t > 0 {
            plugin::schedule::<RadiusRs>(SESSION_TIMER, t);
        }
        host.log(Level::Info, &format!("CoA: Session-Timeout {t}s from now"));
    }
    if let Some(t) = c.idle_timeout {
        plugin::cancel::<RadiusRs>(IDLE_TIMER);
        run.idle_timeout = (t > 0).then_some(t);
        if t > 0 {
            plugin::schedule::<RadiusRs>(IDLE_TIMER, t);
        }
        host.log(Level::Info, &format!("CoA: Idle-Timeout {t}s"));
    }
    if let Some(classes) = &c.class {
        run.facts.classes = classes.iter().filter_map(|h| sessions::unhex(h)).collect();
        run.record.class = classes.first().cloned();
        if let Err(e) = sessions::write(dir, &run.record) {
            host.log(Level::Warning, &format!("cannot update the session record: {e}"));
        }
        host.log(Level::Info, "CoA: Class updated for later accounting");
    }
}

/// The interim timer fired.
pub fn interim(host: &Host) {
    with_state(|st| interim_in(st, host))
}

fn interim_in(st: &mut State, host: &Host) {
    let State { setup, running, .. } = st;
    let (Some(run), Some(Ok((client, _)))) = (running.as_ref(), setup.as_mut()) else { return };
    let usage = (run.started.elapsed().as_secs() as u32, host.link_counters());
    send(client, host, &accounting::record(&run.facts, AcctStatus::InterimUpdate, Some(usage), None), "Interim-Update", &run.facts.user);
    if let Some(i) = run.interim {
        plugin::schedule::<RadiusRs>(INTERIM_TIMER, i);
    }
}

/// IPCP is down or pppd exits: Stop, and the session's files go.
pub fn end(host: &Host) {
    with_state(|st| end_in(st, host))
}

fn end_in(st: &mut State, host: &Host) {
    let State { setup, running, .. } = st;
    let Some(Ok((client, settings))) = setup.as_mut() else { return };
    if let Some(run) = running.take() {
        for timer in [INTERIM_TIMER, CONTROL_TIMER, SESSION_TIMER, IDLE_TIMER] {
            plugin::cancel::<RadiusRs>(timer);
        }
        let usage = (run.started.elapsed().as_secs() as u32, host.link_counters());
        let dir = &settings.config.sessions.dir;
        // radius-rs-dmd leaves the cause before it signals us (Disconnect-Request).
        let asked = match sessions::read_control(dir, &run.record.ifname) {
            Ok(Some(c)) if c.pid == std::process::id() => c.terminate_cause,
            _ => None,
        };
        let _ = sessions::remove_control(dir, &run.record.ifname);
        let cause = run.terminate_cause.or(asked).unwrap_or_else(|| accounting::terminate_cause(host.exit_status()));
        send(client, host, &accounting::record(&run.facts, AcctStatus::Stop, Some(usage), Some(cause)), "Stop", &run.facts.user);
        if let Err(e) = sessions::remove(&settings.config.sessions.dir, &run.facts.link.ifname, std::process::id()) {
            host.log(Level::Warning, &format!("cannot remove the session record: {e}"));
        }
    }
    let ifname = host.ifname();
    if !ifname.is_empty() {
        if let Err(e) = radattr::remove(&settings.config.ppp.radattr_dir, &ifname) {
            host.log(Level::Warning, &format!("cannot remove {}: {e}", radattr::path(&settings.config.ppp.radattr_dir, &ifname).display()));
        }
    }
}
