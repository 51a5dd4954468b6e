//! The real network: one unconnected UDP socket per server try sequence,
//! blocking, waited on with poll. `IP_RECVERR`/`IPV6_RECVERR` make an ICMP
//! port-unreachable surface as `ECONNREFUSED` on the next receive, so a
//! closed port ends that server's turn at once; and because the socket is
//! unconnected, a datagram from another address or port is seen (and
//! counted as a bad reply) instead of silently filtered.

use super::{Link, Network, Received};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{setsockopt, sockopt};
use std::ffi::OsString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::Duration;

/// Opens real UDP sockets.
#[derive(Debug, Default, Clone, Copy)]
pub struct UdpNetwork;

/// A UDP socket towards one server.
#[derive(Debug)]
pub struct UdpLink {
    socket: UdpSocket,
    to: SocketAddr,
}

impl Network for UdpNetwork {
    type Link = UdpLink;

    fn open(&mut self, to: SocketAddr, src: Option<IpAddr>, vrf: Option<&str>) -> io::Result<UdpLink> {
        let local = match (src, to) {
            (Some(ip), _) => SocketAddr::new(ip, 0),
            (None, SocketAddr::V4(_)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            (None, SocketAddr::V6(_)) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        };
        let socket = UdpSocket::bind(local)?;
        match to {
            SocketAddr::V4(_) => setsockopt(&socket, sockopt::Ipv4RecvErr, &true)?,
            SocketAddr::V6(_) => setsockopt(&socket, sockopt::Ipv6RecvErr, &true)?,
        }
        if let Some(vrf) = vrf {
            setsockopt(&socket, sockopt::BindToDevice, &OsString::from(vrf))?;
        }
        Ok(UdpLink { socket, to })
    }
}

impl Link for UdpLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.socket.send_to(bytes, self.to).map(|_| ())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received {
        let millis = i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)) {
            Ok(0) => return Received::TimedOut,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => return Received::Interrupted,
            Err(e) => return Received::Failed(e.into()),
        }
        match self.socket.recv_from(buf) {
            Ok((len, from)) => Received::Datagram { len, from },
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Received::Unreachable,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Received::TimedOut,
            Err(e) => Received::Failed(e),
        }
    }
}
