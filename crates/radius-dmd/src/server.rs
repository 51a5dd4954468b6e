//! The daemon's loop: UDP sockets on `[incoming] listen`, requests taken
//! and answered in batches (`datagrams`), each through admission,
//! duplicate detection, NAS identification and the plan, then the action
//! and the answer. CoA waits for pppd to take
//! the change, so each CoA runs on its own thread; Disconnects are
//! answered inline. A background thread sends Stops for lost sessions.

use crate::actions;
use crate::admission;
use crate::datagrams::{Direct, Inbox, Outbox, Outgoing};
use crate::dedup::{Dedup, RequestKey, Seen};
use radius_core::packet::error_cause::ErrorCause;
use crate::hook::Hook;
use crate::nas_identity::NasIdentity;
use crate::plan::{self, Changes, Plan};
use crate::respond;
use crate::stale;
use radius_core::spool::{self, LazySpool};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
use radius_core::config::{unmapped, Incoming, IncomingClient};
use radius_core::packet::dynauth::CheckedRequest;
use radius_host::incoming_counters::{Counter, Counters};
use radius_host::registry_cache::RegistryCache;
use radius_host::selector::Selector;
use radius_host::session_control;
use radius_host::sessions::SessionDir;
use radius_core::log::{HeldLines, Level, Log};
use radius_core::packet::{code, wire::MAX_LEN};
use radius_core::{Client, Config};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Why the daemon cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No listen address could be bound.
    #[error("cannot listen on any [incoming] address: {0}")]
    Listen(String),
    /// Signals could not be set up.
    #[error("cannot set up signal handling: {0}")]
    Signals(nix::Error),
    /// The session registry directory cannot be used.
    #[error("{0}")]
    Sessions(#[from] radius_core::trusted_dir::DirError),
}

/// What every request handler needs; shared with the CoA threads.
pub struct Shared {
    /// The configuration.
    pub config: Config,
    /// Our NAS identity.
    pub identity: NasIdentity,
    /// Counters.
    pub counters: Counters,
    /// Requests seen within the window.
    pub dedup: Mutex<Dedup>,
    /// The session registry directory.
    pub sessions: Arc<SessionDir>,
    /// The session registry, cached.
    pub registry: Mutex<RegistryCache>,
    /// CoA-Requests waiting on pppd now.
    pub coa_in_flight: AtomicUsize,
    /// The log.
    pub log: Arc<dyn Log + Send + Sync>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("identity", &self.identity).finish_non_exhaustive()
    }
}

/// Binds one UDP socket on `ip`:`port`, in the VRF if any.
pub fn bind(ip: IpAddr, port: u16, vrf: &str) -> Result<UdpSocket, String> {
    let family = if ip.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
    let fd: OwnedFd = socket::socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).map_err(|e| format!("{ip}: {e}"))?;
    if ip.is_ipv6() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(|e| format!("{ip}: IPV6_V6ONLY: {e}"))?;
    }
    if !vrf.is_empty() {
        socket::setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(vrf)).map_err(|e| format!("{ip}: VRF {vrf}: {e}"))?;
    }
    let addr = SockaddrStorage::from(SocketAddr::new(ip, port));
    socket::bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr).map_err(|e| format!("{ip} port {port}: {e}"))?;
    let s = UdpSocket::from(fd);
    s.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(s)
}

fn record_drop(shared: &Shared, d: &admission::Dropped, from: SocketAddr) {
    shared.counters.bump(d.counter());
    shared.log.log(Level::Warning, &format!("request from {from} dropped: {d}"));
}

/// An admitted request waiting for its answer.
#[derive(Debug, Clone)]
pub struct Admission {
    /// The checked request.
    pub request: CheckedRequest,
    /// The client that sent it.
    pub client: IncomingClient,
    /// What identifies it among duplicates.
    pub key: RequestKey,
    /// Where the answer goes.
    pub to: SocketAddr,
}

/// What to do with one datagram.
#[derive(Debug)]
pub enum Decision {
    /// Dropped unanswered (already logged and counted).
    Drop,
    /// Send these bytes again (the answer to a duplicate).
    Resend(Vec<u8>, SocketAddr),
    /// Answer now.
    Answer(Admission, Result<(), ErrorCause>),
    /// A CoA to hand to the sessions' pppd; its answer waits until they took it.
    Coa(Admission, Selector, Changes),
}

/// The most CoA-Requests waiting on pppd at once; beyond it they are
/// answered at once with NAK 506 (Resources-Unavailable), never dropped.
pub const MAX_COA_IN_FLIGHT: usize = 16;

/// Answers an admitted request with `outcome`, remembering the answer.
fn answer(shared: &Shared, out: &mut dyn Outgoing, admission: &Admission, outcome: Result<(), ErrorCause>) {
    let request = &admission.request;
    let coa = request.header.code == code::COA_REQUEST;
    let counter = match (coa, outcome.is_ok()) {
        (true, true) => Counter::CoaAcks,
        (true, false) => Counter::CoaNaks,
        (false, true) => Counter::DisconnectAcks,
        (false, false) => Counter::DisconnectNaks,
    };
    shared.counters.bump(counter);
    if let Err(cause) = outcome {
        shared.counters.nak(cause);
    }
    match respond::encode(request, outcome, admission.client.secret.expose()) {
        Ok(bytes) => {
            if let Ok(mut d) = shared.dedup.lock() {
                d.answered(admission.key, bytes.clone());
            }
            out.send(bytes, admission.to);
        }
        Err(e) => shared.log.log(Level::Error, &format!("cannot encode the answer to {}: {e}", admission.to)),
    }
}

fn hook(incoming: &Incoming) -> Option<Hook> {
    incoming.section.coa_hook.clone().map(|path| Hook { path, timeout: incoming.section.hook_timeout })
}

/// How long a CoA waits for pppd to take a change: two polls and a second.
fn coa_wait(config: &Config) -> Duration {
    config.ppp.control_poll * 2 + Duration::from_secs(1)
}

/// Decides what one datagram from `from` gets: admission, duplicates,
/// NAS identity, the plan; a Disconnect is carried out here.
pub fn decide(shared: &Shared, datagram: &[u8], from: SocketAddr) -> Decision {
    shared.counters.bump(Counter::Requests);
    let admitted = match admission::admit(datagram, from.ip(), &shared.config.incoming, SystemTime::now()) {
        Ok(a) => a,
        Err(d) => {
            record_drop(shared, &d, from);
            return Decision::Drop;
        }
    };
    let h = admitted.request.header;
    // Not keyed on the source port: a captured request replayed from another port is the same request.
    let key = RequestKey { source: unmapped(from.ip()), identifier: h.identifier, authenticator: h.authenticator };
    let seen = shared.dedup.lock().map(|mut d| d.check(key, Instant::now())).unwrap_or(Seen::New);
    match seen {
        Seen::Answered(bytes) => {
            shared.counters.bump(Counter::Duplicates);
            shared.log.log(Level::Info, &format!("duplicate {} from {from} (id {}): answered again, nothing done", code::name(h.code), h.identifier));
            return Decision::Resend(bytes, from);
        }
        Seen::InProgress => {
            shared.counters.bump(Counter::Duplicates);
            return Decision::Drop;
        }
        Seen::New => {}
    }
    let admission = Admission { request: admitted.request.clone(), client: admitted.client.clone(), key, to: from };
    let coa = h.code == code::COA_REQUEST;
    shared.counters.bump(if coa { Counter::CoaRequests } else { Counter::DisconnectRequests });
    let attributes = &admission.request.attributes;
    if !shared.identity.matches(attributes) {
        shared.log.log(Level::Warning, &format!("{} from {from} names another NAS", code::name(h.code)));
        return Decision::Answer(admission, Err(ErrorCause::NasIdentificationMismatch));
    }
    let planned = match plan::plan(h.code, attributes) {
        Ok(p) => p,
        Err(cause) => {
            shared.log.log(Level::Info, &format!("{} from {from} refused: {}", code::name(h.code), cause.name()));
            return Decision::Answer(admission, Err(cause));
        }
    };
    match planned {
        Plan::Disconnect(selector) => {
            let outcome = match shared.registry.lock() {
                Ok(mut registry) => session_control::disconnect(&mut registry, &selector, shared.log.as_ref()).map(|_| ()).map_err(actions::cause_of),
                Err(_) => Err(ErrorCause::ResourcesUnavailable),
            };
            if let Err(cause) = outcome {
                shared.log.log(Level::Info, &format!("Disconnect-Request from {from} ({}): {}", selector.describe(), cause.name()));
            }
            Decision::Answer(admission, outcome)
        }
        Plan::Coa(selector, changes) => Decision::Coa(admission, selector, changes),
    }
}

/// Gives back a CoA slot when its work ends, however it ends.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.coa_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Carries out a CoA: the sessions' pppd take the change (and the hook
/// runs), then the answer.
fn run_coa(shared: &Shared, socket: &UdpSocket, admission: &Admission, selector: &Selector, changes: &Changes) {
    let hook = hook(&shared.config.incoming);
    let wait = coa_wait(&shared.config);
    // The registry lock is held only to find the sessions, not while pppd takes the change.
    let found = shared.registry.lock().map(|mut r| session_control::find(&mut r, selector, shared.log.as_ref())).unwrap_or_default();
    let outcome = actions::change(&shared.sessions, found, changes, hook.as_ref(), wait, shared.log.as_ref()).map(|_| ());
    let verdict = match outcome {
        Ok(()) => "applied".to_string(),
        Err(c) => c.name().to_string(),
    };
    shared.log.log(Level::Info, &format!("CoA-Request from {} ({}): {verdict}", admission.to, selector.describe()));
    answer(shared, &mut Direct { socket, log: shared.log.as_ref() }, admission, outcome);
}

/// Handles one datagram: the decision, carried out. Every admitted
/// request is answered (through `out`; a CoA from its own thread, at most
/// [`MAX_COA_IN_FLIGHT`] at once, on `socket`).
pub fn handle(shared: &Arc<Shared>, socket: &UdpSocket, out: &mut dyn Outgoing, datagram: &[u8], from: SocketAddr) {
    match decide(shared, datagram, from) {
        Decision::Drop => {}
        Decision::Resend(bytes, to) => out.send(bytes, to),
        Decision::Answer(admission, outcome) => answer(shared, out, &admission, outcome),
        Decision::Coa(admission, selector, changes) => {
            let busy = shared.coa_in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_COA_IN_FLIGHT;
            let slot = Slot(Arc::clone(shared));
            if busy {
                shared.log.log(Level::Warning, &format!(
                    "CoA-Request from {from}: {MAX_COA_IN_FLIGHT} CoAs already wait on pppd; answered NAK (Resources-Unavailable)"
                ));
                return answer(shared, out, &admission, Err(ErrorCause::ResourcesUnavailable));
            }
            let Ok(thread_socket) = socket.try_clone() else {
                return answer(shared, out, &admission, Err(ErrorCause::ResourcesUnavailable));
            };
            let work = {
                let admission = admission.clone();
                move || {
                    let _slot = slot;
                    run_coa(&_slot.0, &thread_socket, &admission, &selector, &changes);
                }
            };
            if let Err(e) = std::thread::Builder::new().name("coa".into()).spawn(work) {
                shared.log.log(Level::Error, &format!("CoA-Request from {from}: cannot start its work ({e}); answered NAK"));
                answer(shared, out, &admission, Err(ErrorCause::ResourcesUnavailable));
            }
        }
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config: Config, log: Arc<dyn Log + Send + Sync>) -> Result<(), ServeError> {
    // Signals are taken from a signalfd; block them before any thread starts.
    let mut signals = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        signals.add(s);
    }
    signals.thread_block().map_err(ServeError::Signals)?;
    let signal_fd = SignalFd::with_flags(&signals, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).map_err(ServeError::Signals)?;

    let section = config.incoming.section.clone();
    let mut sockets = Vec::new();
    if section.accept {
        let mut errors = Vec::new();
        for ip in &section.listen {
            match bind(*ip, section.port, &section.vrf) {
                Ok(s) => {
                    log.log(Level::Info, &format!("listening for Disconnect/CoA on {ip} port {}", section.port));
                    sockets.push(s)
                }
                Err(e) => errors.push(e),
            }
        }
        for e in &errors {
            log.log(Level::Warning, &format!("cannot listen: {e}"));
        }
        if sockets.is_empty() {
            return Err(ServeError::Listen(errors.join("; ")));
        }
    } else {
        log.log(Level::Info, "[incoming] accept = false: no Disconnect/CoA requests are taken; lost-session Stops only");
    }

    let sessions = Arc::new(SessionDir::open(&config.sessions.dir, &config.client.state_dir)?);
    if let Err(e) = sessions.prepare_controls() {
        log.log(Level::Warning, &format!("{}: {e}; Disconnect and CoA requests will fail", sessions.control_dir().display()));
    }
    let counters = Counters::new(&config.client.state_dir);
    if let Some(problem) = counters.problem() {
        log.log(Level::Warning, &format!("state_dir: {problem}; counters are not written"));
    }
    let shared = Arc::new(Shared {
        identity: NasIdentity::of_host(&config),
        counters,
        dedup: Mutex::new(Dedup::new(section.event_timestamp_window)),
        registry: Mutex::new(RegistryCache::new(Arc::clone(&sessions))),
        sessions,
        coa_in_flight: AtomicUsize::new(0),
        config,
        log,
    });
    let _ = shared.counters.flush();

    // Lost sessions first, then Accounting-On if no session is live.
    let stopping = Arc::new(AtomicBool::new(false));
    let sweeper = {
        let (shared, stopping) = (Arc::clone(&shared), Arc::clone(&stopping));
        std::thread::spawn(move || sweep_loop(&shared, &stopping))
    };

    let mut inbox = Inbox::new(MAX_LEN);
    let mut outbox = Outbox::default();
    let mut last_flush = Instant::now();
    loop {
        let mut fds: Vec<PollFd> = sockets.iter().map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN)).collect();
        fds.push(PollFd::new(signal_fd.as_fd(), PollFlags::POLLIN));
        match poll(&mut fds, PollTimeout::from(200u16)) {
            Ok(_) | Err(nix::Error::EINTR) => {}
            Err(e) => shared.log.log(Level::Error, &format!("poll: {e}")),
        }
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        if ready.last().copied().unwrap_or(false) {
            if let Ok(Some(info)) = signal_fd.read_signal() {
                let signo = info.ssi_signo as i32;
                if signo == Signal::SIGHUP as i32 {
                    shared.log.log(Level::Info, "SIGHUP: configuration changes take effect at restart");
                } else {
                    shared.log.log(Level::Info, "stopping");
                    break;
                }
            }
        }
        for (socket, _) in sockets.iter().zip(&ready).filter(|(_, r)| **r) {
            // Drain the socket in batches: the registry is looked at once
            // per batch, after all of it was received.
            loop {
                let drained = inbox.receive(socket).unwrap_or_else(|e| {
                    shared.log.log(Level::Warning, &format!("receive: {e}"));
                    true
                });
                if inbox.is_empty() {
                    break;
                }
                if let Ok(mut registry) = shared.registry.lock() {
                    registry.hold(shared.log.as_ref());
                }
                {
                    // The batch's lines in one write, before its answers leave.
                    let _lines = HeldLines::new(shared.log.as_ref());
                    for (datagram, from) in inbox.datagrams() {
                        handle(&shared, socket, &mut outbox, datagram, from);
                    }
                }
                if let Ok(mut registry) = shared.registry.lock() {
                    registry.release();
                }
                for failure in outbox.flush(socket) {
                    shared.log.log(Level::Warning, &failure);
                }
                if drained {
                    break;
                }
            }
        }
        if last_flush.elapsed() >= Duration::from_millis(200) {
            if let Err(e) = shared.counters.flush() {
                shared.log.log(Level::Warning, &format!("cannot write counters: {e}"));
            }
            last_flush = Instant::now();
        }
    }
    stopping.store(true, Ordering::SeqCst);
    let _ = sweeper.join();
    let _ = shared.counters.flush();
    let mut client = Client::new(shared.config.clone(), Box::new(ArcLog(Arc::clone(&shared.log))));
    let spool = LazySpool::new(&shared.config.accounting);
    let live = stale::sweep(&mut client, &shared.sessions, &spool, shared.log.as_ref()).live;
    if live == 0 {
        stale::nas_state(&mut client, &spool, false, shared.log.as_ref());
    } else {
        shared.log.log(Level::Info, &format!("{live} sessions are still live: Accounting-Off not sent (it would end them on the server)"));
    }
    Ok(())
}

/// A shared log as the core's boxed log.
struct ArcLog(Arc<dyn Log + Send + Sync>);

impl Log for ArcLog {
    fn log(&self, level: Level, message: &str) {
        self.0.log(level, message)
    }

    fn enabled(&self, level: Level) -> bool {
        self.0.enabled(level)
    }

    fn hold(&self) {
        self.0.hold()
    }

    fn release(&self) {
        self.0.release()
    }
}

/// At start: lost-session Stops, then Accounting-On when no session is
/// live; then a sweep every `[incoming] stale_check` and a drain of the
/// accounting spool every `[accounting] drain_interval`.
fn sweep_loop(shared: &Shared, stopping: &AtomicBool) {
    let mut client = Client::new(shared.config.clone(), Box::new(ArcLog(Arc::clone(&shared.log))));
    let spool = LazySpool::new(&shared.config.accounting);
    let dir = &shared.sessions;
    let log = shared.log.as_ref();
    let first = stale::sweep(&mut client, dir, &spool, log);
    if first.live == 0 && first.undelivered == 0 {
        stale::nas_state(&mut client, &spool, true, log);
    } else {
        log.log(Level::Info, &format!("{} live sessions: Accounting-On not sent (it would end them on the server)", first.live));
    }
    if shared.config.accounting.spool {
        if let Err(e) = spool.get() {
            log.log(Level::Error, &format!("accounting spool {}: {e}; records no server takes are lost", shared.config.accounting.spool_dir.display()));
        }
    }
    let (every, drain_every) = (shared.config.incoming.section.stale_check, shared.config.accounting.drain_interval);
    let (mut next, mut next_drain) = (Instant::now() + every, Instant::now());
    let mut failing = false;
    while !stopping.load(Ordering::SeqCst) {
        if Instant::now() >= next_drain {
            if let Ok(s) = spool.get() {
                let d = spool::drain(s, &mut |r| client.account(r), log);
                // One line when delivery stops, one when it resumes: not one per drain.
                match (&d.failure, failing) {
                    (Some(why), false) => log.log(Level::Warning, &format!("accounting spool: {why}; retrying every {}s", drain_every.as_secs())),
                    (None, true) if !d.busy => log.log(Level::Info, "accounting spool: the servers take records again"),
                    _ => {}
                }
                if !d.busy {
                    failing = d.failure.is_some();
                }
            }
            next_drain = Instant::now() + drain_every;
        }
        if Instant::now() >= next {
            stale::sweep(&mut client, dir, &spool, log);
            next = Instant::now() + every;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
