//! Sending a request to the configured servers: per-try timeout, retries
//! with the same Identifier and authenticator (a new Identifier when the
//! content changes), failover to the next server, an ICMP port-unreachable
//! ending a server's turn at once, and dead marks shared across processes.
//!
//! The logic here is generic over [`Network`] so it can be tested without
//! sockets; [`udp::UdpNetwork`] is the real thing (blocking sockets, poll).

pub mod dead;
pub mod udp;

use crate::config::Server;
use crate::counters::{Counter, Counters};
use crate::log::{Level, Log};
use crate::packet::{self, EncodedRequest, Reply, RequestKind};
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

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
    /// A signal interrupted the wait; wait again for the time left.
    Interrupted,
    /// The server's host said the port is closed (ICMP port unreachable).
    Unreachable,
    /// Any other socket error.
    Failed(io::Error),
}

/// A socket towards one server.
pub trait Link {
    /// Sends one datagram to the server.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Waits up to `timeout` for one datagram.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received;
}

/// Opens links; the seam between exchange logic and sockets.
pub trait Network {
    /// The link type.
    type Link: Link;
    /// Opens a link to `to`, from `src` if given, bound to `vrf` if given.
    fn open(&mut self, to: SocketAddr, src: Option<IpAddr>, vrf: Option<&str>) -> io::Result<Self::Link>;
    /// The current time.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Builds the request for one server (the secret differs per server).
pub trait RequestFactory {
    /// Encodes the request for `server` with `identifier`.
    fn encode(&mut self, server: &Server, identifier: u8) -> Result<EncodedRequest, packet::request::EncodeError>;
    /// True when a resend changes the content (then it gets a new Identifier).
    fn changes_on_resend(&self) -> bool {
        false
    }
}

/// Why one server gave no usable answer.
#[derive(Debug)]
pub enum ServerFailure {
    /// Every try timed out.
    TimedOut {
        /// Tries made.
        tries: u32,
    },
    /// ICMP port unreachable.
    Unreachable,
    /// The socket could not be opened or used.
    Socket(io::Error),
}

impl fmt::Display for ServerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerFailure::TimedOut { tries } => write!(f, "no valid answer after {tries} tries"),
            ServerFailure::Unreachable => f.write_str("port unreachable (nothing listens there)"),
            ServerFailure::Socket(e) => write!(f, "socket error: {e}"),
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
    Encode(#[from] packet::request::EncodeError),
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

/// Shared state an exchange reads and updates.
#[derive(Clone, Copy)]
pub struct ExchangeContext<'a> {
    /// Counters to update.
    pub counters: &'a Counters,
    /// Dead marks.
    pub dead: &'a dead::DeadMarks,
    /// Log sink.
    pub log: &'a dyn Log,
    /// Local address to send from.
    pub src_address: Option<IpAddr>,
    /// Retries per server after the first try.
    pub retries: u32,
    /// How long a failed server stays dead.
    pub dead_time: Duration,
}

impl fmt::Debug for ExchangeContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeContext").field("retries", &self.retries).finish_non_exhaustive()
    }
}

fn endpoint(server: &Server, kind: RequestKind) -> SocketAddr {
    match kind {
        RequestKind::Accounting => server.acct_addr(),
        _ => server.auth_addr(),
    }
}

fn count(ctx: &ExchangeContext<'_>, server: &Server, deltas: &[(Counter, i64)]) {
    if let Err(e) = ctx.counters.add(server, deltas) {
        ctx.log.log(Level::Debug, &format!("cannot update counters: {e}"));
    }
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
    let (alive, dead): (Vec<&Server>, Vec<&Server>) =
        servers.iter().copied().partition(|s| !ctx.dead.is_dead(endpoint(s, kind)));
    for s in &dead {
        ctx.log.log(Level::Debug, &format!("skipping server {} ({}): marked dead", s.name, endpoint(s, kind)));
    }
    let mut attempts = Vec::new();
    for (position, server) in alive.iter().chain(dead.iter()).enumerate() {
        let was_dead = position >= alive.len();
        let addr = endpoint(server, kind);
        match try_server(network, ctx, server, addr, kind, factory)? {
            Ok(reply) => {
                if was_dead {
                    ctx.dead.clear(addr);
                }
                return Ok(Answer { reply, server_index: server.index });
            }
            Err(failure) => {
                ctx.log.log(Level::Warning, &format!(
                    "RADIUS server {} ({addr}): {failure}; marking it dead for {:?}",
                    server.name, ctx.dead_time
                ));
                ctx.dead.mark(addr, ctx.dead_time);
                attempts.push((addr, failure));
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
    kind: RequestKind,
    factory: &mut dyn RequestFactory,
) -> Result<Result<Reply, ServerFailure>, ExchangeError> {
    let identifier: u8 = rand::random();
    let request = factory.encode(server, identifier)?;
    let link = match network.open(addr, server.src_address.or(ctx.src_address), server.vrf.as_deref()) {
        Ok(l) => l,
        Err(e) => return Ok(Err(ServerFailure::Socket(e))),
    };
    let sent_counter = if kind == RequestKind::Accounting { Counter::AcctRequests } else { Counter::Requests };
    count(ctx, server, &[(Counter::Pending, 1), (sent_counter, 1)]);
    let outcome = tries_on_link(network, ctx, server, addr, factory, link, request);
    // An answer leaves `pending` in the same update that counts it.
    if !matches!(outcome, Ok(Ok(_))) {
        count(ctx, server, &[(Counter::Pending, -1)]);
    }
    outcome
}

/// Sends and resends `request` on `link` until a valid reply, a hard
/// failure, or the last try's timeout.
fn tries_on_link<N: Network>(
    network: &N,
    ctx: &ExchangeContext<'_>,
    server: &Server,
    addr: SocketAddr,
    factory: &mut dyn RequestFactory,
    mut link: N::Link,
    mut request: EncodedRequest,
) -> Result<Result<Reply, ServerFailure>, ExchangeError> {
    let mut buf = vec![0u8; packet::wire::MAX_LEN];
    let tries = ctx.retries + 1;
    for attempt in 0..tries {
        if attempt > 0 {
            count(ctx, server, &[(Counter::Resends, 1)]);
            if factory.changes_on_resend() {
                request = factory.encode(server, request.identifier.wrapping_add(1))?;
            }
        }
        let sent_at = network.now();
        if let Err(e) = link.send(&request.bytes) {
            return Ok(Err(if e.kind() == io::ErrorKind::ConnectionRefused { ServerFailure::Unreachable } else { ServerFailure::Socket(e) }));
        }
        let deadline = sent_at + server.timeout;
        loop {
            let remaining = deadline.saturating_duration_since(network.now());
            if remaining.is_zero() {
                count(ctx, server, &[(Counter::Timeouts, 1)]);
                break;
            }
            match link.recv(&mut buf, remaining) {
                Received::Datagram { len, from } => {
                    let datagram = buf.get(..len).unwrap_or(&[]);
                    if from != addr {
                        count(ctx, server, &[(Counter::BadReplies, 1)]);
                        ctx.log.log(Level::Warning, &format!(
                            "dropped a datagram from {from} while waiting for {} ({addr}): wrong source address or port",
                            server.name
                        ));
                        continue;
                    }
                    match packet::verify_reply(datagram, &request, server.secret.expose(), server.require_message_authenticator) {
                        Ok(reply) => {
                            let rtt = network.now().duration_since(sent_at);
                            if let Err(e) = ctx.counters.answered(server, answer_counter(reply.code), rtt) {
                                ctx.log.log(Level::Debug, &format!("cannot update counters: {e}"));
                            }
                            ctx.log.log(Level::Debug, &format!(
                                "{} from {} ({addr}) in {rtt:?}", packet::code::name(reply.code), server.name
                            ));
                            return Ok(Ok(reply));
                        }
                        Err(e) => {
                            count(ctx, server, &[(Counter::BadReplies, 1)]);
                            ctx.log.log(Level::Warning, &format!("dropped a reply from {} ({addr}): {e}", server.name));
                        }
                    }
                }
                Received::Interrupted => continue,
                Received::TimedOut => {
                    count(ctx, server, &[(Counter::Timeouts, 1)]);
                    break;
                }
                Received::Unreachable => return Ok(Err(ServerFailure::Unreachable)),
                Received::Failed(e) => return Ok(Err(ServerFailure::Socket(e))),
            }
        }
    }
    Ok(Err(ServerFailure::TimedOut { tries }))
}

#[cfg(test)]
mod tests;
