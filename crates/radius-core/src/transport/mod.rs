//! Sending a request to the configured servers: slow is not dead.
//!
//! Each server in turn (those marked dead by any process go last):
//!
//! 1. The request is sent and answered within `timeout`, or not.
//! 2. After each unanswered wait of `timeout` the same bytes are sent
//!    again (the same Identifier and authenticator, so an answer to any
//!    copy is taken, RFC 5080 2.2.1) for `retries` more waits, and with every one a Status-Server (RFC 5997) asks whether
//!    the server is alive at all; after the last wait one more `timeout` is
//!    given to the last probe. These waits count as timeouts only if the
//!    server turns out to be silent.
//! 3. A server that answers Status-Server but not yet our request is
//!    *working* on it (a slow back end, a push-MFA approval, FreeRADIUS's
//!    `reject_delay`): it is waited for, up to the service's `max_wait`
//!    for the whole exchange, the request resent with back-off (2, 4, 8 …
//!    times `timeout`, at most every 16 s) and probed every second or
//!    `timeout`. Its answer counts as a slow answer, never as a timeout.
//! 4. A server silent to both — or that stops answering the probes while
//!    we wait — is dead: the next server is asked at once, and every
//!    process skips this one for `dead_time`. With `status_server = false`
//!    nothing tells a slow server from a dead one: its waits grow (1, 2,
//!    4 … times `timeout`) and it is dead after the last.
//! 5. An ICMP port-unreachable from the server itself ends its turn at
//!    once; ICMP errors from anyone else are logged and ignored.
//!
//! A server that has signed a reply with Message-Authenticator is
//! remembered as one that signs (by every process): unsigned replies from
//! it are refused from then on, even where the configuration does not
//! require them (a legacy pam_radius_auth.conf), as FreeRADIUS 3.2's
//! `auto` setting does.
//!
//! The logic is generic over [`Network`] (sockets and the clock) and
//! [`SharedState`] (counters and marks), so it is tested with neither;
//! [`system::SystemNetwork`] is the real thing (blocking, no threads,
//! poll): [`udp`] datagrams, or [`tls`] streams to RadSec servers.
//!
//! Over a stream (RadSec, RFC 6614) the same rules hold with one change:
//! the request is never sent again on the connection (TCP delivers it or
//! the connection fails), while Status-Server still tells a working server
//! from a dead one. A connection that cannot be opened, or whose TLS
//! handshake fails, makes the server dead at once, like a port-unreachable.

pub mod kept_udp;
pub mod system;
pub mod tls;
pub mod udp;

use crate::config::{unmapped, Server};
use crate::counters::{self, Counter, Sent};
use crate::log::{Level, Log};
use crate::packet::request::{self, EncodeError};
use crate::packet::{self, code, AttributeList, EncodedRequest, Reply, RequestKind};
use crate::state::{self, MarkKind, SharedState, StateError};
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest gap between resends to a working server (RFC 5080's MRT).
pub const MAX_RESEND_GAP: Duration = Duration::from_secs(16);
/// The shortest gap between liveness probes while a working server is waited for.
pub const MIN_PROBE_GAP: Duration = Duration::from_secs(1);
/// How many probes a wait keeps to match replies against.
const PROBES_KEPT: usize = 8;
/// How long a request may wait before it shows as `pending` (and `requests`)
/// in the shared counters. One answered sooner is counted with its answer,
/// in one update of the counter file instead of two.
pub const PENDING_AFTER: Duration = Duration::from_millis(20);

/// What one wait for a datagram gave.
#[derive(Debug)]
pub enum Received {
    /// A datagram of `len` bytes from `from`.
    Datagram {
        /// Length.
        len: usize,
        /// Source address and port.
        from: SocketAddr,
    },
    /// Nothing before the timeout.
    TimedOut,
    /// Woken with nothing to read (a signal, an error read from the queue); wait again for the time left.
    Interrupted,
    /// An ICMP error the kernel matched to our socket.
    IcmpError {
        /// It says "port unreachable".
        port_unreachable: bool,
        /// The host that sent it.
        from: Option<IpAddr>,
        /// The destination of the datagram it is about.
        about: Option<SocketAddr>,
    },
    /// Any other socket error.
    Failed(io::Error),
    /// The server closed the connection (streams only), with what it said, if anything.
    Closed(Option<String>),
}

/// Why a link could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The socket could not be made or connected.
    #[error("socket error: {0}")]
    Socket(#[from] io::Error),
    /// The TLS handshake failed (a certificate, a name, a protocol version), or TLS could not be set up.
    #[error("{0}")]
    Tls(String),
    /// The server took the connection and closed it before a word of the
    /// handshake: it is alive but at its connection limit (tried again).
    #[error(
        "the server closed the connection before the TLS handshake: it is at its connection limit"
    )]
    Busy,
}

/// The first wait before a busy server is asked for a connection again.
pub const BUSY_BACKOFF: Duration = Duration::from_millis(500);
/// The longest.
const MAX_BUSY_BACKOFF: Duration = Duration::from_secs(2);

/// A socket towards one server.
pub trait Link {
    /// Sends one datagram to the server.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Waits up to `timeout` for one datagram.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received;
    /// The address the server sees this host by (the request's source),
    /// if it can be told.
    fn source_ip(&mut self) -> Option<IpAddr>;
    /// A stream that delivers what was sent or fails (RadSec): requests
    /// are not sent again on it.
    fn reliable(&self) -> bool {
        false
    }
    /// Whether this link carried an earlier exchange (a kept connection,
    /// which the server may have closed meanwhile: reopened once if so).
    fn reused(&self) -> bool {
        false
    }
    /// The Identifier this link's next request must have (a kept UDP
    /// socket's, counting up); none: any, drawn at random.
    fn next_identifier(&self) -> Option<u8> {
        None
    }
    /// Something besides the request and its answer came or went on this
    /// link (a resend, a probe, a stray datagram or ICMP error): a UDP
    /// socket is then not kept for another exchange.
    fn irregular(&mut self) {}
}

/// Opens links and tells the time; the seam between exchange logic and
/// the system.
pub trait Network {
    /// The link type.
    type Link: Link;
    /// Opens a link to `server` at `to` (its auth or acct endpoint), from
    /// `src` if given, bound to the server's VRF if it has one.
    fn open(&mut self, server: &Server, to: SocketAddr, src: Option<IpAddr>) -> Result<Self::Link, OpenError>;
    /// Takes back a link after an exchange it answered: a stream may be
    /// kept for the next one (default: closed).
    fn release(&mut self, link: Self::Link) {
        drop(link);
    }
    /// The current time, for waits.
    fn now(&self) -> Instant {
        Instant::now()
    }
    /// Waits `pause` (for a server at its connection limit).
    fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
    /// The wall clock, for marks shared with other processes.
    fn wall_clock(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Builds the request for one server (the secret differs per server).
pub trait RequestFactory {
    /// Encodes the request for `server` with `identifier`; `source` tells
    /// the address it goes out from (asked only by a factory that needs it:
    /// NAS-IP-Address by default).
    fn encode(&mut self, server: &Server, identifier: u8, source: &mut dyn FnMut() -> Option<IpAddr>) -> Result<EncodedRequest, EncodeError>;
}

/// Why one server gave no usable answer.
#[derive(Debug)]
pub enum ServerFailure {
    /// Silent to the request and to Status-Server: dead.
    Silent {
        /// How long it was given.
        waited: Duration,
        /// Whether it was asked with Status-Server.
        probed: bool,
    },
    /// Working on the request (it answers Status-Server) when the service's
    /// limit ran out: not dead, just too slow this time.
    TooSlow {
        /// How long it was waited for.
        waited: Duration,
    },
    /// RadSec: the server kept refusing new connections (at its
    /// connection limit) until the service's limit ran out: alive, not dead.
    Busy {
        /// How long it was asked.
        waited: Duration,
    },
    /// ICMP port unreachable from the server.
    Unreachable,
    /// The socket could not be opened or used.
    Socket(io::Error),
    /// RadSec: the TLS connection could not be set up (its handshake
    /// failed), or the server closed it before answering anything.
    Tls(String),
    /// RadSec: the server closed a connection it had been answering on.
    Closed(String),
}

impl ServerFailure {
    /// Whether the server is to be skipped by every process for a while.
    pub fn is_dead(&self) -> bool {
        !matches!(
            self,
            ServerFailure::TooSlow { .. } | ServerFailure::Busy { .. }
        )
    }
}

impl fmt::Display for ServerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerFailure::Silent { waited, probed: true } => {
                write!(f, "no answer, and no answer to Status-Server, in {waited:?}")
            }
            ServerFailure::Silent { waited, probed: false } => write!(f, "no answer in {waited:?} (status_server = false)"),
            ServerFailure::TooSlow { waited } => {
                write!(f, "still working on the request after {waited:?} (it answers Status-Server); the service's max_wait ran out")
            }
            ServerFailure::Busy { waited } => {
                write!(f, "at its connection limit (it closed every new connection at once) for {waited:?}; the service's max_wait ran out")
            }
            ServerFailure::Unreachable => f.write_str("port unreachable (nothing listens there)"),
            ServerFailure::Socket(e) => write!(f, "socket error: {e}"),
            ServerFailure::Tls(why) => write!(f, "TLS: {why}"),
            ServerFailure::Closed(why) => write!(
                f,
                "the server closed the connection while we waited ({why})"
            ),
        }
    }
}

/// Every server failed.
#[derive(Debug)]
pub struct ExchangeFailed {
    /// Each server tried, with why it failed.
    pub attempts: Vec<(SocketAddr, ServerFailure)>,
}

impl fmt::Display for ExchangeFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no RADIUS server answered")?;
        for (i, (addr, why)) in self.attempts.iter().enumerate() {
            write!(f, "{} {addr}: {why}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

/// Why an exchange gave no reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// No server is configured for this service.
    #[error("no RADIUS server is configured for this service")]
    NoServer,
    /// The request could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Every server failed.
    #[error("{0}")]
    Failed(ExchangeFailed),
}

/// A verified reply and the server that sent it.
#[derive(Debug)]
pub struct Answer {
    /// The reply.
    pub reply: Reply,
    /// The server's position in the configuration.
    pub server_index: usize,
}

/// Shared state and settings an exchange reads.
#[derive(Clone, Copy)]
pub struct ExchangeContext<'a> {
    /// Counters and marks shared with every process.
    pub state: &'a dyn SharedState,
    /// Log sink.
    pub log: &'a dyn Log,
    /// Local address to send from.
    pub src_address: Option<IpAddr>,
    /// Retries per server after the first try.
    pub retries: u32,
    /// How long a dead server stays dead.
    pub dead_time: Duration,
    /// How long the whole exchange may wait for working servers.
    pub max_wait: Duration,
    /// NAS-Identifier for the Status-Server probes.
    pub nas_identifier: Option<&'a str>,
}

impl fmt::Debug for ExchangeContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeContext").field("retries", &self.retries).field("max_wait", &self.max_wait).finish_non_exhaustive()
    }
}

fn endpoint(server: &Server, kind: RequestKind) -> SocketAddr {
    match kind {
        RequestKind::Accounting => server.acct_addr(),
        _ => server.auth_addr(),
    }
}

fn dead_key(addr: SocketAddr) -> String {
    state::file_name(&addr.to_string())
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

/// Logs a failed state update: a held lock is worth a warning (a local
/// user may be holding it); a state directory not in use was logged when
/// it was refused.
fn report_state(log: &dyn Log, result: Result<(), StateError>) {
    match result {
        Ok(()) => {}
        Err(e @ StateError::Busy(_)) => log.log(Level::Warning, &format!("counters: {e}")),
        Err(e) => log.log(Level::Debug, &format!("counters: {e}")),
    }
}

fn count(ctx: &ExchangeContext<'_>, server: &Server, deltas: &[(Counter, i64)]) {
    report_state(ctx.log, counters::add(ctx.state, server, deltas));
}

/// Whether `server` (whose counters key is `key`) must sign its replies
/// with Message-Authenticator: configured so, or learned (it signed one
/// before).
fn signing_required(ctx: &ExchangeContext<'_>, server: &Server, key: &str) -> bool {
    server.require_message_authenticator || ctx.state.mark(MarkKind::Signs, key).is_some()
}

/// Sends the request built by `factory` to `servers` in order (servers
/// marked dead go last) until one answers with a valid reply.
pub fn exchange<N: Network>(
    network: &mut N,
    ctx: &ExchangeContext<'_>,
    servers: &[&Server],
    kind: RequestKind,
    factory: &mut dyn RequestFactory,
) -> Result<Answer, ExchangeError> {
    if servers.is_empty() {
        return Err(ExchangeError::NoServer);
    }
    let deadline = network.now() + ctx.max_wait;
    let now_ms = millis(network.wall_clock());
    let is_dead = |s: &Server| ctx.state.mark(MarkKind::Dead, &dead_key(endpoint(s, kind))).is_some_and(|until| until > now_ms);
    // With one server a mark cannot change who is asked, or when: it is
    // read only if that server fails (to say "still dead" rather than mark
    // it again). An answer then leaves a mark to expire instead of clearing it.
    let (alive, dead): (Vec<&Server>, Vec<&Server>) = match servers {
        [only] => (vec![*only], Vec::new()),
        _ => servers.iter().copied().partition(|s| !is_dead(s)),
    };
    for s in &dead {
        ctx.log.log(Level::Debug, &format!("skipping server {} ({}): marked dead", s.name, endpoint(s, kind)));
    }
    let mut attempts = Vec::new();
    for (position, server) in alive.iter().chain(dead.iter()).enumerate() {
        let addr = endpoint(server, kind);
        if position > 0 && network.now() >= deadline {
            break;
        }
        match try_server(network, ctx, server, addr, factory, deadline)? {
            Ok(reply) => {
                if position >= alive.len() {
                    let _ = ctx.state.clear_mark(MarkKind::Dead, &dead_key(addr));
                }
                return Ok(Answer { reply, server_index: server.index });
            }
            Err(failure) => {
                if failure.is_dead() {
                    // A server already marked dead, tried because every one is,
                    // said so when it was marked: once per dead_time, not per request.
                    let already = position >= alive.len() || (servers.len() == 1 && is_dead(server));
                    let verdict = match (already, ctx.dead_time.is_zero()) {
                        (_, true) => "it is dead for this request (dead_time = 0: not marked)".to_string(),
                        (true, false) => format!("still dead for {:?}", ctx.dead_time),
                        (false, false) => format!("marking it dead for {:?}", ctx.dead_time),
                    };
                    ctx.log.log(if already { Level::Debug } else { Level::Warning }, &format!(
                        "RADIUS server {} ({addr}): {failure}; {verdict}",
                        server.name
                    ));
                    if !ctx.dead_time.is_zero() {
                        let until = millis(network.wall_clock() + ctx.dead_time);
                        report_state(ctx.log, ctx.state.set_mark(MarkKind::Dead, &dead_key(addr), until));
                    }
                } else {
                    ctx.log.log(Level::Warning, &format!("RADIUS server {} ({addr}): {failure}; it is not marked dead", server.name));
                }
                let out_of_time = matches!(
                    failure,
                    ServerFailure::TooSlow { .. } | ServerFailure::Busy { .. }
                );
                attempts.push((addr, failure));
                if out_of_time {
                    break;
                }
            }
        }
    }
    Err(ExchangeError::Failed(ExchangeFailed { attempts }))
}

fn answer_counter(code: u8) -> Counter {
    match code {
        packet::code::ACCESS_REJECT => Counter::Rejects,
        packet::code::ACCESS_CHALLENGE => Counter::Challenges,
        packet::code::ACCOUNTING_RESPONSE => Counter::AcctResponses,
        _ => Counter::Accepts,
    }
}

fn try_server<N: Network>(
    network: &mut N,
    ctx: &ExchangeContext<'_>,
    server: &Server,
    addr: SocketAddr,
    factory: &mut dyn RequestFactory,
    deadline: Instant,
) -> Result<Result<Reply, ServerFailure>, ExchangeError> {
    let mut link = match open_link(network, ctx, server, addr, deadline) {
        Ok(l) => l,
        Err(failure) => return Ok(Err(failure)),
    };
    // Any byte will do (RFC 2865 3); a random one keeps two processes that
    // share nothing from following each other. A kept socket counts up.
    let identifier = link.next_identifier().unwrap_or_else(|| {
        let [random] = crate::random::bytes();
        random
    });
    let request = factory.encode(server, identifier, &mut || link.source_ip())?;
    let mut wait = Wait {
        network,
        ctx,
        server,
        addr,
        link,
        // Read once the request is out (see `Wait::run`).
        require_ma: server.require_message_authenticator,
        next_probe_id: identifier.wrapping_add(1),
        request,
        probes: Vec::new(),
        buf: vec![0u8; packet::wire::MAX_LEN],
        sent: None,
    };
    let outcome = wait.run(deadline);
    // An answer counts itself (and its sending) in one update.
    if !matches!(outcome, Ok(Ok(_))) {
        match wait.sent {
            Some(Sent::Pending) => count(ctx, server, &[(Counter::Pending, -1)]),
            Some(Sent::Uncounted(sent)) => count(ctx, server, &[(sent, 1)]),
            None => {}
        }
    }
    if matches!(outcome, Ok(Ok(_))) {
        let Wait { network, link, .. } = wait;
        network.release(link);
    }
    outcome
}

/// Opens a link to `server`. A server at its connection limit is alive:
/// it is asked again after 0.5 s, 1 s, then every 2 s (each with up to a
/// half more at random, so a burst of logins does not come back at once),
/// as long as the exchange may wait.
fn open_link<N: Network>(
    network: &mut N,
    ctx: &ExchangeContext<'_>,
    server: &Server,
    addr: SocketAddr,
    deadline: Instant,
) -> Result<N::Link, ServerFailure> {
    let src = server.src_address.or(ctx.src_address);
    let mut backoff = BUSY_BACKOFF;
    let started = network.now();
    loop {
        match network.open(server, addr, src) {
            Ok(link) => return Ok(link),
            Err(OpenError::Busy) => {
                let pause = backoff + backoff.mul_f64(f64::from(u32::from_le_bytes(crate::random::bytes())) / f64::from(u32::MAX) / 2.0);
                if network.now() + pause >= deadline {
                    return Err(ServerFailure::Busy {
                        waited: network.now().duration_since(started),
                    });
                }
                ctx.log.log(
                    Level::Debug,
                    &format!(
                        "server {} ({addr}) is at its connection limit; asking again in {pause:?}",
                        server.name
                    ),
                );
                network.pause(pause);
                backoff = (backoff * 2).min(MAX_BUSY_BACKOFF);
            }
            Err(e) => return Err(open_failed(ctx, server, e)),
        }
    }
}

/// A link that could not be opened; a failed TLS handshake is counted as one.
fn open_failed(ctx: &ExchangeContext<'_>, server: &Server, e: OpenError) -> ServerFailure {
    match e {
        OpenError::Socket(e) => ServerFailure::Socket(e),
        OpenError::Busy => ServerFailure::Busy {
            waited: Duration::ZERO,
        },
        OpenError::Tls(why) => {
            count(ctx, server, &[(Counter::TlsFailures, 1)]);
            ServerFailure::Tls(why)
        }
    }
}

/// What one receive gave, judged.
enum Event {
    /// A valid reply to the request.
    Answer(Reply),
    /// A valid reply to a probe: the server is alive.
    Alive,
    /// The server's own port-unreachable.
    Unreachable,
    /// A socket error.
    Failed(io::Error),
    /// The server closed the stream, saying this (or nothing).
    Closed(Option<String>),
    /// Time passed, or something was dropped.
    Nothing,
}

/// One server's turn with one request.
struct Wait<'n, 'c, N: Network> {
    network: &'n mut N,
    ctx: &'c ExchangeContext<'c>,
    server: &'c Server,
    addr: SocketAddr,
    link: N::Link,
    require_ma: bool,
    next_probe_id: u8,
    request: EncodedRequest,
    probes: Vec<EncodedRequest>,
    buf: Vec<u8>,
    /// The request went out, and how it is counted so far.
    sent: Option<Sent>,
}

impl<N: Network> Wait<'_, '_, N> {
    fn run(&mut self, deadline: Instant) -> Result<Result<Reply, ServerFailure>, ExchangeError> {
        let t = self.server.timeout;
        let probing = self.server.status_server;
        let retries = self.ctx.retries;
        let start = self.network.now();
        if let Err(e) = self.link.send(&self.request.bytes) {
            // A kept connection the server has since closed: a new one, once.
            if !self.link.reused() {
                return Ok(Err(ServerFailure::Socket(e)));
            }
            if let Err(failure) = self.closed(Some(e.to_string()), false, deadline) {
                return Ok(Err(failure));
            }
        }
        // While the server works on it: the shared store checks or opens
        // its files, and whether this server signs its replies is read.
        let key = counters::server_key(self.server);
        if let Some(problem) = self.ctx.state.prepare(&key) {
            self.ctx.log.log(Level::Warning, &state::unshared(&problem));
        }
        self.require_ma = signing_required(self.ctx, self.server, &key);
        // Counted with its answer when one comes within PENDING_AFTER (one
        // update, not two), else as pending then, while the server works.
        let sent_counter = if self.request.kind == RequestKind::Accounting { Counter::AcctRequests } else { Counter::Requests };
        self.sent = Some(Sent::Uncounted(sent_counter));
        let pending_from = start + PENDING_AFTER;
        // Phase 1: waits of `timeout`, counted by `window`. Unanswered ones
        // are timeouts only if the server proves silent; waits on a server
        // that turns out to be working are part of its slow answer.
        let mut window: u32 = 0;
        let mut silent_waits: i64 = 0;
        let mut window_end = start + t;
        // Phase 2 (working), once a probe was answered.
        let mut working: Option<Instant> = None;
        let mut last_resend = start;
        let mut resend_gap = t * 2;
        let probe_gap = t.max(MIN_PROBE_GAP);
        let mut next_probe = start;
        let mut probe_answered = false;
        let mut probe_misses = 0;
        loop {
            let now = self.network.now();
            if now >= deadline {
                let waited = now.duration_since(start);
                return Ok(Err(match working {
                    Some(_) => ServerFailure::TooSlow { waited },
                    None => self.silent(silent_waits, waited, probing),
                }));
            }
            let mut wake = match working {
                None => window_end,
                Some(_) => (last_resend + resend_gap).min(next_probe),
            }
            .min(deadline);
            if matches!(self.sent, Some(Sent::Uncounted(_))) {
                wake = wake.min(pending_from);
            }
            match self.receive(wake.saturating_duration_since(now)) {
                Event::Answer(reply) => return Ok(Ok(self.answered(reply, start, working))),
                Event::Alive => {
                    probe_answered = true;
                    if working.is_none() {
                        let now = self.network.now();
                        working = Some(now);
                        next_probe = now + probe_gap;
                        probe_misses = 0;
                        self.ctx.log.log(Level::Debug, &format!(
                            "server {} ({}) answers Status-Server but not yet the request: it is working on it; \
                             waiting up to {:?} more",
                            self.server.name,
                            self.addr,
                            deadline.saturating_duration_since(now)
                        ));
                    }
                }
                Event::Unreachable => return Ok(Err(ServerFailure::Unreachable)),
                Event::Failed(e) => return Ok(Err(ServerFailure::Socket(e))),
                Event::Closed(why) => {
                    match self.closed(why, probe_answered || working.is_some(), deadline) {
                        Ok(()) => {}
                        Err(failure) => return Ok(Err(failure)),
                    }
                }
                Event::Nothing => {}
            }
            let now = self.network.now();
            if let Some(Sent::Uncounted(sent)) = self.sent {
                if now >= pending_from {
                    count(self.ctx, self.server, &[(Counter::Pending, 1), (sent, 1)]);
                    self.sent = Some(Sent::Pending);
                }
            }
            match working {
                None if now >= window_end => {
                    window += 1;
                    // Waits 0..=retries are the request's; one more, when probing, is the last probe's.
                    if window <= retries + 1 {
                        silent_waits += 1;
                    }
                    let last = retries + u32::from(probing);
                    if window > last {
                        return Ok(Err(self.silent(silent_waits, now.duration_since(start), probing)));
                    }
                    if window <= retries {
                        self.resend()?;
                        last_resend = now;
                    }
                    if probing {
                        self.probe()?;
                    }
                    let grow = if probing { 1 } else { 1u32 << window.min(16) };
                    window_end = now + t.saturating_mul(grow);
                }
                None => {}
                Some(_) => {
                    if now >= last_resend + resend_gap {
                        self.resend()?;
                        last_resend = now;
                        resend_gap = (resend_gap * 2).min(MAX_RESEND_GAP);
                    }
                    if now >= next_probe && probing {
                        if probe_answered {
                            probe_misses = 0;
                        } else {
                            probe_misses += 1;
                            if probe_misses > retries {
                                self.ctx.log.log(Level::Warning, &format!(
                                    "server {} ({}) stopped answering Status-Server while it worked on the request",
                                    self.server.name, self.addr
                                ));
                                return Ok(Err(self.silent(i64::from(probe_misses), now.duration_since(start), true)));
                            }
                        }
                        probe_answered = false;
                        self.probe()?;
                        next_probe = now + probe_gap;
                    }
                }
            }
        }
    }

    /// The server closed the stream. A kept connection it closed while
    /// idle is opened again once and the request sent on the new one;
    /// otherwise the server is done with us: closed before answering
    /// anything, it refused our certificate (FreeRADIUS closes without a
    /// TLS alert once a TLS 1.3 handshake is done).
    fn closed(
        &mut self,
        why: Option<String>,
        answered: bool,
        deadline: Instant,
    ) -> Result<(), ServerFailure> {
        let said = why.map(|w| format!(": {w}")).unwrap_or_default();
        if self.link.reused() && !answered {
            self.ctx.log.log(
                Level::Debug,
                &format!(
                    "server {} ({}) had closed our kept connection{said}; opening a new one",
                    self.server.name, self.addr
                ),
            );
            self.link = open_link(self.network, self.ctx, self.server, self.addr, deadline)?;
            return self
                .link
                .send(&self.request.bytes)
                .map_err(ServerFailure::Socket);
        }
        if answered {
            return Err(ServerFailure::Closed(format!(
                "it had answered Status-Server{said}"
            )));
        }
        count(self.ctx, self.server, &[(Counter::TlsFailures, 1)]);
        Err(ServerFailure::Tls(format!(
            "the server closed the connection before answering anything{said}: it refused our certificate (or closed)"
        )))
    }

    /// The server is silent: its silent waits become timeouts.
    fn silent(&self, waits: i64, waited: Duration, probed: bool) -> ServerFailure {
        count(self.ctx, self.server, &[(Counter::Timeouts, waits)]);
        ServerFailure::Silent { waited, probed }
    }

    fn answered(&self, reply: Reply, start: Instant, working: Option<Instant>) -> Reply {
        let rtt = self.network.now().duration_since(start);
        let unsigned = !reply.had_message_authenticator && reply.code != code::ACCOUNTING_RESPONSE;
        let answer = counters::Answered {
            sent: self.sent.unwrap_or(Sent::Pending),
            kind: answer_counter(reply.code),
            rtt,
            slow: working.is_some(),
            unsigned_at: unsigned.then(|| millis(self.network.wall_clock()) / 1000),
        };
        // Said once an hour for the host (the counters' record remembers
        // when), and every time when the record cannot be had.
        let say_unsigned = match counters::answered(self.ctx.state, self.server, answer) {
            Ok(say) => say,
            Err(e) => {
                report_state(self.ctx.log, Err(e));
                unsigned
            }
        };
        if say_unsigned {
            self.ctx.log.log(Level::Warning, &format!(
                "server {} ({}) sent no Message-Authenticator: its replies can be forged (BlastRADIUS, \
                 CVE-2024-3596); make it send one and add require_message_authenticator \
                 (said at most once every {} s for each server)",
                self.server.name,
                self.addr,
                counters::UNSIGNED_SAID_EVERY
            ));
        }
        let what = code::name(reply.code);
        if working.is_some() {
            self.ctx.log.log(Level::Info, &format!(
                "server {} ({}) was slow: {what} after {rtt:?} (it answered Status-Server while it worked)",
                self.server.name, self.addr
            ));
        } else if self.ctx.log.enabled(Level::Debug) {
            self.ctx.log.log(Level::Debug, &format!("{what} from {} ({}) in {rtt:?}", self.server.name, self.addr));
        }
        reply
    }

    /// Sends the request again, the same bytes (not on a stream: RFC 6614 2.2).
    fn resend(&mut self) -> Result<(), ExchangeError> {
        if self.link.reliable() {
            return Ok(());
        }
        count(self.ctx, self.server, &[(Counter::Resends, 1)]);
        self.link.irregular();
        if let Err(e) = self.link.send(&self.request.bytes) {
            self.ctx.log.log(Level::Debug, &format!("resend to {}: {e}", self.addr));
        }
        Ok(())
    }

    /// Sends a fresh Status-Server.
    fn probe(&mut self) -> Result<(), ExchangeError> {
        if self.next_probe_id == self.request.identifier {
            self.next_probe_id = self.next_probe_id.wrapping_add(1);
        }
        let id = self.next_probe_id;
        self.next_probe_id = id.wrapping_add(1);
        let mut attributes = AttributeList::new();
        if let Some(nas) = self.ctx.nas_identifier {
            attributes.text(packet::attr::NAS_IDENTIFIER, nas);
        }
        let probe = request::status_server(id, &attributes, self.server.secret.expose())?;
        count(self.ctx, self.server, &[(Counter::Probes, 1)]);
        self.link.irregular();
        if let Err(e) = self.link.send(&probe.bytes) {
            self.ctx.log.log(Level::Debug, &format!("Status-Server to {}: {e}", self.addr));
        }
        self.probes.retain(|p| p.identifier != id);
        if self.probes.len() >= PROBES_KEPT {
            self.probes.remove(0);
        }
        self.probes.push(probe);
        Ok(())
    }

    fn bad_reply(&mut self, why: &str) {
        self.link.irregular();
        count(self.ctx, self.server, &[(Counter::BadReplies, 1)]);
        self.ctx.log.log(Level::Warning, &format!("dropped a reply from {} ({}): {why}", self.server.name, self.addr));
    }

    /// Remembers that the server signs its replies, for every process.
    fn learn_signing(&mut self, reply: &Reply) {
        if self.require_ma || !reply.had_message_authenticator || reply.code == code::ACCOUNTING_RESPONSE {
            return;
        }
        self.require_ma = true;
        let key = counters::server_key(self.server);
        let since = millis(self.network.wall_clock()) / 1000;
        report_state(self.ctx.log, self.ctx.state.set_mark(MarkKind::Signs, &key, since));
        self.ctx.log.log(Level::Info, &format!(
            "server {} signs its replies with Message-Authenticator: unsigned replies from it are refused from now on \
             (BlastRADIUS, CVE-2024-3596)",
            self.server.name
        ));
    }

    fn receive(&mut self, timeout: Duration) -> Event {
        let received = self.link.recv(&mut self.buf, timeout);
        match received {
            Received::Datagram { len, from } => {
                if unmapped(from.ip()) != unmapped(self.addr.ip()) || from.port() != self.addr.port() {
                    self.link.irregular();
                    count(self.ctx, self.server, &[(Counter::BadReplies, 1)]);
                    self.ctx.log.log(Level::Warning, &format!(
                        "dropped a datagram from {from} while waiting for {} ({}): wrong source address or port",
                        self.server.name, self.addr
                    ));
                    return Event::Nothing;
                }
                let datagram = self.buf.get(..len).unwrap_or(&[]).to_vec();
                let id = datagram.get(1).copied();
                let secret = self.server.secret.expose();
                if id == Some(self.request.identifier) {
                    return match packet::verify_reply(&datagram, &self.request, secret, self.require_ma) {
                        Ok(reply) => {
                            self.learn_signing(&reply);
                            Event::Answer(reply)
                        }
                        Err(e) => {
                            self.bad_reply(&e.to_string());
                            Event::Nothing
                        }
                    };
                }
                let probe = self.probes.iter().find(|p| Some(p.identifier) == id).cloned();
                match probe.map(|p| packet::verify_reply(&datagram, &p, secret, self.require_ma)) {
                    Some(Ok(reply)) => {
                        self.learn_signing(&reply);
                        Event::Alive
                    }
                    Some(Err(e)) => {
                        self.bad_reply(&format!("(to Status-Server) {e}"));
                        Event::Nothing
                    }
                    None => {
                        self.bad_reply(&format!(
                            "reply Identifier {} matches no request we sent (ours is {})",
                            id.map(|i| i.to_string()).unwrap_or_else(|| "?".into()),
                            self.request.identifier
                        ));
                        Event::Nothing
                    }
                }
            }
            Received::IcmpError { port_unreachable, from, about } => {
                let from_server = from.map(unmapped) == Some(unmapped(self.addr.ip()));
                let about_request = about.is_some_and(|a| unmapped(a.ip()) == unmapped(self.addr.ip()) && a.port() == self.addr.port());
                self.link.irregular();
                if port_unreachable && from_server && about_request {
                    return Event::Unreachable;
                }
                count(self.ctx, self.server, &[(Counter::BadReplies, 1)]);
                let show = |a: Option<String>| a.unwrap_or_else(|| "?".into());
                self.ctx.log.log(Level::Warning, &format!(
                    "ignored an ICMP {} from {} about {} while waiting for {} ({}): only the server's own \
                     port-unreachable ends its turn",
                    if port_unreachable { "port-unreachable" } else { "error" },
                    show(from.map(|f| f.to_string())),
                    show(about.map(|a| a.to_string())),
                    self.server.name,
                    self.addr
                ));
                Event::Nothing
            }
            Received::TimedOut | Received::Interrupted => Event::Nothing,
            Received::Failed(e) => Event::Failed(e),
            Received::Closed(why) => Event::Closed(why),
        }
    }
}

#[cfg(test)]
mod tests;
