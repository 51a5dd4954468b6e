//! The network as the suite uses it: UDP to `protocol = "udp"` servers,
//! TLS to RadSec ones.
//!
//! A RadSec connection that answered is kept for the next exchange with
//! the same server while the server leaves it idle (FreeRADIUS keeps every
//! closed connection for seconds and allows a client few: a process that
//! sends many requests, radius-rs-dmd draining the spool, a pppd session's
//! accounting, must not open one per request). A kept connection the
//! server has closed or written to is dropped before use; one idle longer
//! than [`KEEP_IDLE`] too, as servers time idle connections out (30 s).

use super::tls::{self, TlsLink};
use super::udp::UdpLink;
use super::{Link, Network, OpenError, Received};
use crate::config::{Server, TlsSettings};
use rustls::ClientConfig;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an idle RadSec connection is kept for reuse.
pub const KEEP_IDLE: Duration = Duration::from_secs(20);

/// The shortest wait for a TCP connection and for its handshake: a busy
/// server whose accept queue is full drops SYNs without a word (FreeRADIUS
/// listens with a backlog of 8), and the kernel sends them again after 1 s
/// and 3 s. A host that is down costs this once per `dead_time`; a server
/// that is stopped on a live host refuses at once.
pub const MIN_CONNECT_TIMEOUT: Duration = Duration::from_millis(3500);

/// How long connecting, and then the handshake, may take: what a silent
/// UDP server is given (`timeout` × (`retries` + 2)), at least [`MIN_CONNECT_TIMEOUT`].
pub fn connect_timeout(timeout: Duration, retries: u32) -> Duration {
    timeout
        .saturating_mul(retries.saturating_add(2))
        .max(MIN_CONNECT_TIMEOUT)
}

/// Opens UDP sockets and RadSec connections; keeps answered connections.
#[derive(Debug, Default)]
pub struct SystemNetwork {
    configs: Vec<(Arc<TlsSettings>, Arc<ClientConfig>)>,
    kept: Vec<TlsLink>,
    retries: u32,
    keep_udp: bool,
}

impl SystemNetwork {
    /// A network for a client that gives each server `retries` tries after the first.
    pub fn new(retries: u32) -> Self {
        SystemNetwork {
            retries,
            ..Default::default()
        }
    }

    /// As [`SystemNetwork::new`], for a client made anew for each login in
    /// a process that logs many in: a UDP socket that served an exchange
    /// as expected is kept for the process's next ([`super::kept_udp`]).
    pub fn keeping_udp_sockets(retries: u32) -> Self {
        SystemNetwork { keep_udp: true, ..SystemNetwork::new(retries) }
    }
}

/// A UDP socket or a TLS connection.
#[derive(Debug)]
pub enum SystemLink {
    /// `protocol = "udp"`.
    Udp(UdpLink),
    /// `protocol = "radsec"`.
    Tls(Box<TlsLink>),
}

impl SystemNetwork {
    /// The TLS configuration for `settings`, read once per process.
    fn config(&mut self, settings: &Arc<TlsSettings>) -> Result<Arc<ClientConfig>, OpenError> {
        if let Some((_, config)) = self.configs.iter().find(|(s, _)| **s == **settings) {
            return Ok(config.clone());
        }
        let config = tls::client_config(settings).map_err(OpenError::Tls)?;
        self.configs.push((settings.clone(), config.clone()));
        Ok(config)
    }

    /// A kept connection to `to`, if one is still good.
    fn kept(&mut self, to: SocketAddr) -> Option<Box<TlsLink>> {
        let now = Instant::now();
        self.kept
            .retain(|l| now.duration_since(l.idle_since) < KEEP_IDLE && !l.server_spoke());
        let at = self.kept.iter().position(|l| l.peer() == to)?;
        let mut link = Box::new(self.kept.swap_remove(at));
        link.reused = true;
        Some(link)
    }

    /// A RadSec link: one kept from an earlier request, or a new TLS
    /// connection. Never inlined into `open`: a UDP-only process does not
    /// run it, and only the code a process runs is mapped.
    #[inline(never)]
    fn open_tls(&mut self, server: &Server, settings: &Arc<TlsSettings>, to: SocketAddr, src: Option<IpAddr>) -> Result<SystemLink, OpenError> {
        if let Some(link) = self.kept(to) {
            return Ok(SystemLink::Tls(link));
        }
        let config = self.config(settings)?;
        let timeout = connect_timeout(server.timeout, self.retries);
        Ok(SystemLink::Tls(Box::new(TlsLink::connect(config, settings, to, src, server.vrf.as_deref(), timeout)?)))
    }
}

impl Network for SystemNetwork {
    type Link = SystemLink;

    fn open(
        &mut self,
        server: &Server,
        to: SocketAddr,
        src: Option<IpAddr>,
    ) -> Result<SystemLink, OpenError> {
        match &server.tls {
            None if self.keep_udp => Ok(SystemLink::Udp(UdpLink::open_kept(to, src, server.vrf.as_deref())?)),
            None => Ok(SystemLink::Udp(UdpLink::open(to, src, server.vrf.as_deref())?)),
            Some(settings) => self.open_tls(server, settings, to, src),
        }
    }

    fn release(&mut self, link: SystemLink) {
        match link {
            SystemLink::Udp(link) => link.keep(),
            SystemLink::Tls(mut link) => {
                link.idle_since = Instant::now();
                self.kept.retain(|l| l.peer() != link.peer());
                self.kept.push(*link);
            }
        }
    }
}

impl Link for SystemLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            SystemLink::Udp(l) => l.send(bytes),
            SystemLink::Tls(l) => l.send(bytes),
        }
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received {
        match self {
            SystemLink::Udp(l) => l.recv(buf, timeout),
            SystemLink::Tls(l) => l.recv(buf, timeout),
        }
    }

    fn source_ip(&mut self) -> Option<IpAddr> {
        match self {
            SystemLink::Udp(l) => l.source_ip(),
            SystemLink::Tls(l) => l.source_ip(),
        }
    }

    fn reliable(&self) -> bool {
        matches!(self, SystemLink::Tls(_))
    }

    fn reused(&self) -> bool {
        match self {
            SystemLink::Udp(_) => false,
            SystemLink::Tls(l) => l.reused(),
        }
    }

    fn next_identifier(&self) -> Option<u8> {
        match self {
            SystemLink::Udp(l) => l.next_identifier(),
            SystemLink::Tls(_) => None,
        }
    }

    fn irregular(&mut self) {
        if let SystemLink::Udp(l) = self {
            l.irregular();
        }
    }
}
