//! The real network: one unconnected, non-blocking UDP socket per server
//! try sequence, waited on with poll (or, for a PAM host, one kept from the
//! process's last exchange: [`super::kept_udp`]).
//!
//! `IP_RECVERR`/`IPV6_RECVERR` queue every ICMP error the kernel matches
//! to the socket, with the host that sent it and the destination of the
//! datagram it is about; [`Received::IcmpError`] carries both, so the
//! transport believes a port-unreachable only from the server itself. And
//! because the socket is unconnected, a datagram from another address or
//! port is seen (and counted as a bad reply) instead of silently filtered.

use super::kept_udp::{self, Key, Ticket};
use super::{Link, Network, OpenError, Received};
use crate::config::Server;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    connect, getsockname, recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, MsgFlags, SockFlag, SockType,
    SockaddrStorage,
};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Opens real UDP sockets.
#[derive(Debug, Default, Clone, Copy)]
pub struct UdpNetwork;

/// A UDP socket towards one server.
#[derive(Debug)]
pub struct UdpLink {
    socket: UdpSocket,
    to: SocketAddr,
    errors: VecDeque<Received>,
    /// The bound source address, when one was asked for.
    src: Option<IpAddr>,
    vrf: Option<String>,
    /// Set on a socket that may be kept for the next exchange
    /// ([`kept_udp`]); dropped when anything but one request and its
    /// answer happens on it.
    ticket: Option<Ticket>,
}

impl Network for UdpNetwork {
    type Link = UdpLink;

    fn open(&mut self, server: &Server, to: SocketAddr, src: Option<IpAddr>) -> Result<UdpLink, OpenError> {
        Ok(UdpLink::open(to, src, server.vrf.as_deref())?)
    }
}

impl UdpLink {
    /// An unconnected, non-blocking socket towards `to`, from `src`, bound
    /// to `vrf`. Without `src` it is not bound here: the first `sendto`
    /// binds it to the wildcard address and an ephemeral port, as
    /// `bind(0.0.0.0:0)` would, one system call fewer on every login.
    pub fn open(to: SocketAddr, src: Option<IpAddr>, vrf: Option<&str>) -> io::Result<UdpLink> {
        let socket = UdpSocket::from(socket(family_of(to), SockType::Datagram, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)?);
        if let Some(ip) = src {
            nix::sys::socket::bind(socket.as_raw_fd(), &SockaddrStorage::from(SocketAddr::new(ip, 0)))?;
        }
        match to {
            SocketAddr::V4(_) => setsockopt(&socket, sockopt::Ipv4RecvErr, &true)?,
            SocketAddr::V6(_) => setsockopt(&socket, sockopt::Ipv6RecvErr, &true)?,
        }
        if let Some(vrf) = vrf {
            setsockopt(&socket, sockopt::BindToDevice, &OsString::from(vrf))?;
        }
        Ok(UdpLink::on(socket, to, src, vrf, None))
    }

    fn on(socket: UdpSocket, to: SocketAddr, src: Option<IpAddr>, vrf: Option<&str>, ticket: Option<Ticket>) -> UdpLink {
        UdpLink { socket, to, errors: VecDeque::new(), src: src.filter(|ip| !ip.is_unspecified()), vrf: vrf.map(str::to_string), ticket }
    }

    /// As [`UdpLink::open`], on the socket this process kept from its last
    /// exchange when it is still good ([`kept_udp`]), and with a socket
    /// that may itself be kept ([`UdpLink::keep`]).
    pub fn open_kept(to: SocketAddr, src: Option<IpAddr>, vrf: Option<&str>) -> io::Result<UdpLink> {
        let key = Key { v6: to.is_ipv6(), src, vrf: vrf.map(str::to_string) };
        if let Some((socket, ticket)) = kept_udp::take(&key) {
            return Ok(UdpLink::on(socket, to, src, vrf, Some(ticket)));
        }
        let mut link = UdpLink::open(to, src, vrf)?;
        link.ticket = Ticket::new(&link.socket, key);
        Ok(link)
    }

    /// After an answered exchange: the socket is kept for the next one
    /// when it may be (opened with [`UdpLink::open_kept`], and nothing but
    /// the request and its answer happened on it); else closed.
    pub fn keep(self) {
        if let (Some(ticket), true) = (self.ticket, self.errors.is_empty()) {
            kept_udp::keep(self.socket, ticket);
        }
    }
}

/// How long a process uses the source address it learned for a server
/// without asking the kernel again: a host that logs many users in one
/// process (a PAM authentication worker) probes the route once in that
/// time, not at every login, and a change of the host's addresses shows
/// in NAS-IP-Address within it.
pub const SOURCE_KEPT: Duration = Duration::from_secs(2);

/// Source addresses this process learned: (server, vrf, source, when).
type Learned = Vec<(SocketAddr, Option<String>, IpAddr, Instant)>;

static LEARNED_SOURCES: Mutex<Learned> = Mutex::new(Vec::new());

/// A source address learned for `to` (and `vrf`) within [`SOURCE_KEPT`].
/// The lock is only tried: another thread holding it, or a child forked
/// while one did, probes the route itself.
fn learned_source(to: SocketAddr, vrf: Option<&str>) -> Option<IpAddr> {
    let learned = LEARNED_SOURCES.try_lock().ok()?;
    learned.iter().find(|(t, v, _, at)| *t == to && v.as_deref() == vrf && at.elapsed() < SOURCE_KEPT).map(|(_, _, src, _)| *src)
}

fn remember_source(to: SocketAddr, vrf: Option<&str>, src: IpAddr) {
    if let Ok(mut learned) = LEARNED_SOURCES.try_lock() {
        learned.retain(|(t, v, _, at)| !(*t == to && v.as_deref() == vrf) && at.elapsed() < SOURCE_KEPT);
        learned.push((to, vrf.map(str::to_string), src, Instant::now()));
    }
}

/// The source address the kernel's route to `to` picks: socket, connect
/// (which binds it), getsockname, close.
fn route_source(to: SocketAddr, vrf: Option<&str>) -> Option<IpAddr> {
    let probe = socket(family_of(to), SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).ok()?;
    if let Some(vrf) = vrf {
        setsockopt(&probe, sockopt::BindToDevice, &OsString::from(vrf)).ok()?;
    }
    connect(probe.as_raw_fd(), &SockaddrStorage::from(to)).ok()?;
    let local: SockaddrStorage = getsockname(probe.as_raw_fd()).ok()?;
    socket_addr(&local).map(|a| a.ip()).filter(|ip| !ip.is_unspecified())
}

fn family_of(to: SocketAddr) -> AddressFamily {
    match to {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// ICMP's "port unreachable": type 3 code 3 (IPv4), type 1 code 4 (IPv6).
fn is_port_unreachable(origin: u8, typ: u8, code: u8) -> bool {
    const SO_EE_ORIGIN_ICMP: u8 = 2;
    const SO_EE_ORIGIN_ICMP6: u8 = 3;
    (origin == SO_EE_ORIGIN_ICMP && typ == 3 && code == 3) || (origin == SO_EE_ORIGIN_ICMP6 && typ == 1 && code == 4)
}

fn socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from(std::net::SocketAddrV4::from(*v4)));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
}

impl UdpLink {
    /// Moves every queued ICMP error into `self.errors`.
    fn drain_error_queue(&mut self) {
        loop {
            let mut data = [0u8; 512];
            let mut iov = [IoSliceMut::new(&mut data)];
            let mut cmsg = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
            let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
            let Ok(msg) = recvmsg::<SockaddrStorage>(self.socket.as_raw_fd(), &mut iov, Some(&mut cmsg), flags) else { break };
            let about = msg.address.as_ref().and_then(socket_addr);
            let Ok(cmsgs) = msg.cmsgs() else { continue };
            for c in cmsgs {
                let (ee, from) = match c {
                    ControlMessageOwned::Ipv4RecvErr(ee, from) => {
                        (ee, from.map(|s| IpAddr::V4(Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr)))))
                    }
                    ControlMessageOwned::Ipv6RecvErr(ee, from) => (ee, from.map(|s| IpAddr::V6(Ipv6Addr::from(s.sin6_addr.s6_addr)))),
                    _ => continue,
                };
                let port_unreachable = is_port_unreachable(ee.ee_origin, ee.ee_type, ee.ee_code);
                self.errors.push_back(Received::IcmpError { port_unreachable, from, about });
            }
        }
    }
}

impl Link for UdpLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.socket.send_to(bytes, self.to) {
            Ok(_) => Ok(()),
            // A pending ICMP error surfaces on the next call; it is read from the queue, not a send failure.
            Err(e) if is_icmp_errno(&e) => {
                self.drain_error_queue();
                self.socket.send_to(bytes, self.to).map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    /// The bound address; else the one the kernel's route to the server
    /// picks, asked of a throwaway connected socket (no packet is sent, no
    /// name resolved) unless this process asked within [`SOURCE_KEPT`].
    /// This socket stays unconnected, so that replies from elsewhere are
    /// seen and counted rather than filtered.
    fn source_ip(&mut self) -> Option<IpAddr> {
        if self.src.is_none() {
            self.src = learned_source(self.to, self.vrf.as_deref()).or_else(|| {
                let src = route_source(self.to, self.vrf.as_deref())?;
                remember_source(self.to, self.vrf.as_deref(), src);
                Some(src)
            });
        }
        self.src
    }

    fn next_identifier(&self) -> Option<u8> {
        self.ticket.as_ref().map(Ticket::identifier)
    }

    fn irregular(&mut self) {
        self.ticket = None;
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received {
        if let Some(e) = self.errors.pop_front() {
            return e;
        }
        let millis = i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)) {
            Ok(0) => return Received::TimedOut,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => return Received::Interrupted,
            Err(e) => return Received::Failed(e.into()),
        }
        let error_pending = fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLERR));
        if error_pending {
            self.drain_error_queue();
            if let Some(e) = self.errors.pop_front() {
                return e;
            }
        }
        match self.socket.recv_from(buf) {
            Ok((len, from)) => Received::Datagram { len, from },
            // Nothing after all (the error was read from the queue): wait again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Received::Interrupted,
            Err(e) if is_icmp_errno(&e) => {
                self.drain_error_queue();
                self.errors.pop_front().unwrap_or(Received::Interrupted)
            }
            Err(e) => Received::Failed(e),
        }
    }
}

/// The errors an ICMP message leaves on a socket (they are details of
/// the error queue, judged by the transport, not failures of the socket).
fn is_icmp_errno(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ECONNREFUSED | libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN | libc::EPROTO | libc::EMSGSIZE)
    )
}

impl UdpLink {
    /// The socket's local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket that carried anything besides one request and its answer
    /// (here marked so, as a resend or a stray datagram does) is closed; one
    /// that did not is kept, and the next exchange gets it with the next
    /// Identifier.
    #[test]
    fn only_a_socket_that_served_as_expected_is_kept() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = server.local_addr().unwrap();
        // A source of its own: the key no other test's sockets have.
        let src = Some(IpAddr::from([127, 0, 0, 3]));
        let port = |l: &UdpLink| l.local_addr().unwrap().port();
        let mut first = UdpLink::open_kept(to, src, None).unwrap();
        let first_port = port(&first);
        first.irregular();
        first.keep();
        let second = UdpLink::open_kept(to, src, None).unwrap();
        assert_ne!(port(&second), first_port, "a socket that carried something else was kept");
        let (second_port, second_id) = (port(&second), second.next_identifier().unwrap());
        second.keep();
        let third = UdpLink::open_kept(to, src, None).unwrap();
        assert_eq!((port(&third), third.next_identifier()), (second_port, Some(second_id.wrapping_add(1))));
        assert_eq!(UdpLink::open(to, src, None).unwrap().next_identifier(), None, "a plain socket chose an Identifier");
    }

    /// The source address is the route's (loopback to loopback), or the
    /// bound one; the link itself stays unbound to a peer.
    #[test]
    fn source_ip_of_the_route_or_the_bound_address() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = server.local_addr().unwrap();
        let mut link = UdpLink::open(to, None, None).unwrap();
        assert_eq!(link.source_ip(), Some(IpAddr::from([127, 0, 0, 1])));
        assert!(link.socket.peer_addr().is_err(), "the link's socket is not connected");
        let mut bound = UdpLink::open(to, Some(IpAddr::from([127, 0, 0, 1])), None).unwrap();
        assert_eq!(bound.source_ip(), Some(IpAddr::from([127, 0, 0, 1])));
        let server6 = UdpSocket::bind("[::1]:0").unwrap();
        let mut link6 = UdpLink::open(server6.local_addr().unwrap(), None, None).unwrap();
        assert_eq!(link6.source_ip(), Some("::1".parse().unwrap()));
    }

    /// What the route gave is used again only for the same server, and
    /// only for SOURCE_KEPT.
    #[test]
    fn a_learned_source_is_kept_a_while_for_its_server() {
        let to = SocketAddr::from(([192, 0, 2, 77], 1812));
        let src = IpAddr::from([198, 51, 100, 7]);
        remember_source(to, None, src);
        assert_eq!(learned_source(to, None), Some(src));
        assert_eq!(learned_source(to, Some("vrf-blue")), None, "another vrf");
        assert_eq!(learned_source(SocketAddr::from(([192, 0, 2, 77], 1645)), None), None, "another server");
        if let Ok(mut learned) = LEARNED_SOURCES.lock() {
            for entry in learned.iter_mut().filter(|e| e.0 == to) {
                entry.3 = Instant::now() - SOURCE_KEPT;
            }
        }
        assert_eq!(learned_source(to, None), None, "kept past SOURCE_KEPT");
    }
}
