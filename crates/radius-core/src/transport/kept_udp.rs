//! UDP sockets kept from one exchange to the next in a process, for a
//! client made anew for every login (the PAM module in a long-lived
//! host): making a socket and closing it cost more system time than the
//! rest of a login's own work (about 15 µs here, on the login's path).
//!
//! A socket is kept only after an exchange that went as expected: one
//! request, its answer, nothing else on the socket (no resend, no probe,
//! no stray datagram, no ICMP error). It is taken again only
//!
//! - by the process that kept it (a forked child shares it, and the two
//!   would read each other's replies);
//! - while its descriptor is still that socket (`fstat`: the host may have
//!   closed the number and given it to a file of its own);
//! - when nothing is waiting on it (`poll`): a datagram or an ICMP error
//!   that came after the exchange would be taken for the next one's.
//!
//! Else it is let go (closed when it is still ours, never when the number
//! may be the host's) and a new one is made.
//!
//! Its Identifiers count up from a random first one, and it serves
//! [`USES`] exchanges, then a new socket (a new source port) takes over: a
//! server that tells requests apart by source port and Identifier alone
//! (RFC 2865 section 5.4's duplicate detection, for as long as FreeRADIUS's
//! `cleanup_delay`, 5 s) never sees one repeated as a duplicate.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::net::{IpAddr, UdpSocket};
use std::os::fd::AsFd;
use std::sync::Mutex;

/// Exchanges one kept socket serves before it is closed.
pub const USES: u16 = 128;

/// What a socket was made for: its address family, the address it is
/// bound to, its VRF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// The address it is bound to, if any.
    pub src: Option<IpAddr>,
    /// The device it is bound to, if any.
    pub vrf: Option<String>,
}

/// What goes with a socket that may be kept.
#[derive(Debug)]
pub struct Ticket {
    key: Key,
    pid: u32,
    identity: (u64, u64),
    next_identifier: u8,
    uses: u16,
}

impl Ticket {
    /// A ticket for `socket`, just made for `key`; none when it cannot be
    /// told apart from another file later.
    pub fn new(socket: &UdpSocket, key: Key) -> Option<Ticket> {
        let [first] = crate::random::bytes();
        Some(Ticket { key, pid: std::process::id(), identity: identity(socket)?, next_identifier: first, uses: 0 })
    }

    /// The Identifier of this socket's next request.
    pub fn identifier(&self) -> u8 {
        self.next_identifier
    }
}

struct Kept {
    socket: UdpSocket,
    ticket: Ticket,
}

static KEPT: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

fn identity(socket: &UdpSocket) -> Option<(u64, u64)> {
    let stat = nix::sys::stat::fstat(socket.as_fd()).ok()?;
    let is_socket = stat.st_mode & libc::S_IFMT == libc::S_IFSOCK;
    is_socket.then_some((stat.st_dev, stat.st_ino))
}

/// Whether a datagram or an error waits on `socket`.
fn something_waits(socket: &UdpSocket) -> bool {
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
    !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(0))
}

/// The socket kept for `key`, when there is one this process may use.
pub fn take(key: &Key) -> Option<(UdpSocket, Ticket)> {
    take_from(&KEPT, key, std::process::id())
}

fn take_from(kept: &Mutex<Vec<Kept>>, key: &Key, pid: u32) -> Option<(UdpSocket, Ticket)> {
    let Kept { socket, ticket } = {
        let mut kept = kept.try_lock().ok()?;
        let at = kept.iter().position(|k| k.ticket.key == *key)?;
        kept.swap_remove(at)
    };
    if ticket.pid != pid || identity(&socket) != Some(ticket.identity) {
        // The number may be the host's now: let go, never closed.
        std::mem::forget(socket);
        return None;
    }
    if something_waits(&socket) {
        return None;
    }
    Some((socket, ticket))
}

/// Keeps `socket` after an exchange that went as expected, for the next
/// one in this process (closed instead once it has served [`USES`]).
/// (The process is the one that took it: the exchange ran in this thread.)
pub fn keep(socket: UdpSocket, ticket: Ticket) {
    keep_in(&KEPT, socket, ticket);
}

fn keep_in(kept: &Mutex<Vec<Kept>>, socket: UdpSocket, mut ticket: Ticket) {
    ticket.uses = ticket.uses.saturating_add(1);
    ticket.next_identifier = ticket.next_identifier.wrapping_add(1);
    if ticket.uses >= USES {
        return;
    }
    // Another thread's socket for the same key may be back first: one is enough.
    if let Ok(mut kept) = kept.try_lock() {
        if !kept.iter().any(|k| k.ticket.key == ticket.key) {
            kept.push(Kept { socket, ticket });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key { v6: false, src: None, vrf: None }
    }

    fn socket() -> (UdpSocket, Ticket) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let t = Ticket::new(&s, key()).unwrap();
        (s, t)
    }

    fn port(s: &UdpSocket) -> u16 {
        s.local_addr().unwrap().port()
    }

    /// A kept socket is taken again by the same process for the same key,
    /// with the next Identifier; not for another key, nor by another
    /// process.
    #[test]
    fn taken_again_by_the_process_that_kept_it() {
        let kept = Mutex::new(Vec::new());
        let pid = std::process::id();
        let (s, t) = socket();
        let (p, first) = (port(&s), t.identifier());
        keep_in(&kept, s, t);
        assert!(take_from(&kept, &Key { v6: true, ..key() }, pid).is_none(), "taken for another family");
        let (s, t) = take_from(&kept, &key(), pid).expect("kept");
        assert_eq!((port(&s), t.identifier()), (p, first.wrapping_add(1)));
        keep_in(&kept, s, t);
        assert!(take_from(&kept, &key(), pid + 1).is_none(), "taken by a forked child");
        // (In a child the list is its own copy: letting go of it there leaves the parent's.)
    }

    /// A datagram that came after the exchange (a late reply) would be
    /// taken for the next exchange's: that socket is not used again.
    #[test]
    fn not_taken_with_something_waiting() {
        let kept = Mutex::new(Vec::new());
        let pid = std::process::id();
        let (s, t) = socket();
        let to = s.local_addr().unwrap();
        keep_in(&kept, s, t);
        UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"late", to).unwrap();
        assert!(take_from(&kept, &key(), pid).is_none());
    }

    /// The host closed the socket's descriptor and the number went to a
    /// socket of its own: not used, and not closed.
    #[test]
    fn not_taken_when_the_number_is_the_hosts() {
        use std::os::fd::{AsRawFd, OwnedFd};
        let kept = Mutex::new(Vec::new());
        let pid = std::process::id();
        let (s, t) = socket();
        let number = s.as_raw_fd();
        // dup2 over our number, as a host's closefrom and a new file would.
        let hosts = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut fd = OwnedFd::from(s);
        nix::unistd::dup2(hosts.as_fd(), &mut fd).unwrap();
        keep_in(&kept, UdpSocket::from(fd), t);
        assert!(take_from(&kept, &key(), pid).is_none());
        assert!(std::fs::read_link(format!("/proc/self/fd/{number}")).is_ok(), "the host's descriptor was closed");
    }

    /// After USES exchanges a socket is closed, and the next exchange gets
    /// a new one.
    #[test]
    fn closed_after_its_uses() {
        let kept = Mutex::new(Vec::new());
        let pid = std::process::id();
        let (mut s, mut t) = socket();
        let p = port(&s);
        for _ in 0..USES - 1 {
            keep_in(&kept, s, t);
            (s, t) = take_from(&kept, &key(), pid).expect("kept");
            assert_eq!(port(&s), p);
        }
        keep_in(&kept, s, t);
        assert!(take_from(&kept, &key(), pid).is_none(), "kept past its uses");
    }
}
