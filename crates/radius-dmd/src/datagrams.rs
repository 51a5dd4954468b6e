//! Datagrams in batches: every waiting request taken with one
//! `recvmmsg`, the answers to a batch sent with one `sendmmsg`. Under load
//! that is two system calls for many requests, where one `recvfrom` and
//! one `sendto` each would cost more than all the work on a request.

use radius_core::log::{Level, Log};
use nix::sys::socket::{recvmmsg, sendmmsg, ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};
use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;

/// Most datagrams taken per `recvmmsg` (and handled per look at the registry).
pub const BATCH: usize = 32;

/// A received datagram's source as a std address (IPv4 or IPv6).
fn socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
}

/// Datagrams received together, with their sources; buffers are reused.
pub struct Inbox {
    buffers: Vec<Vec<u8>>,
    items: Vec<(usize, SocketAddr)>,
    headers: MultiHeaders<SockaddrStorage>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").field("items", &self.items).finish_non_exhaustive()
    }
}

impl Inbox {
    /// Room for [`BATCH`] datagrams of up to `max_len` bytes (one more, so
    /// that an oversized one is seen as such).
    pub fn new(max_len: usize) -> Self {
        Inbox { buffers: vec![vec![0u8; max_len + 1]; BATCH], items: Vec::with_capacity(BATCH), headers: MultiHeaders::preallocate(BATCH, None) }
    }

    /// Takes what waits on `socket`, without blocking: true when that was
    /// all of it (fewer than [`BATCH`], or nothing).
    pub fn receive(&mut self, socket: &UdpSocket) -> std::io::Result<bool> {
        self.items.clear();
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = self.buffers.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
        let received = match recvmmsg(socket.as_raw_fd(), &mut self.headers, slices.iter_mut(), MsgFlags::MSG_DONTWAIT, None) {
            Ok(r) => r,
            Err(nix::Error::EAGAIN) => return Ok(true),
            Err(e) => return Err(e.into()),
        };
        let mut slots = 0;
        for m in received {
            slots += 1;
            // A datagram whose source is neither IPv4 nor IPv6 cannot be answered; it is skipped.
            if let Some(from) = m.address.as_ref().and_then(socket_addr) {
                self.items.push((m.bytes, from));
            }
        }
        // A skipped datagram still took a slot: a full batch means more may wait.
        Ok(slots < BATCH)
    }

    /// True when the last [`Inbox::receive`] took nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each datagram and its source, in the order received.
    pub fn datagrams(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.buffers.iter().zip(&self.items).map(|(b, (n, from))| (b.get(..*n).unwrap_or(&[]), *from))
    }
}

/// Where answers go: sent at once, or gathered for one `sendmmsg`.
pub trait Outgoing {
    /// Sends (or queues) `bytes` to `to`.
    fn send(&mut self, bytes: Vec<u8>, to: SocketAddr);
}

/// Answers sent one by one, at once (a CoA's thread); a failure is logged.
pub struct Direct<'a> {
    /// The socket the request came in on.
    pub socket: &'a UdpSocket,
    /// Where a failure goes.
    pub log: &'a dyn Log,
}

impl std::fmt::Debug for Direct<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("socket", &self.socket).finish_non_exhaustive()
    }
}

impl Outgoing for Direct<'_> {
    fn send(&mut self, bytes: Vec<u8>, to: SocketAddr) {
        if let Err(e) = self.socket.send_to(&bytes, to) {
            self.log.log(Level::Warning, &format!("cannot answer {to}: {e}"));
        }
    }
}

/// Answers gathered during a batch and sent with `sendmmsg`.
pub struct Outbox {
    queued: Vec<(Vec<u8>, SocketAddr)>,
    headers: MultiHeaders<SockaddrStorage>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("queued", &self.queued.len()).finish_non_exhaustive()
    }
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox { queued: Vec::with_capacity(BATCH), headers: MultiHeaders::preallocate(BATCH, None) }
    }
}

impl Outgoing for Outbox {
    fn send(&mut self, bytes: Vec<u8>, to: SocketAddr) {
        self.queued.push((bytes, to));
    }
}

impl Outbox {
    /// Sends everything queued on `socket`; what could not be sent, for
    /// the log (a datagram the kernel refuses is reported and skipped, the
    /// rest still go).
    pub fn flush(&mut self, socket: &UdpSocket) -> Vec<String> {
        let mut failures = Vec::new();
        let mut start = 0;
        while start < self.queued.len() {
            let part = &self.queued[start..(start + BATCH).min(self.queued.len())];
            let slices: Vec<[IoSlice<'_>; 1]> = part.iter().map(|(b, _)| [IoSlice::new(b)]).collect();
            let addrs: Vec<Option<SockaddrStorage>> = part.iter().map(|(_, to)| Some(SockaddrStorage::from(*to))).collect();
            match sendmmsg(socket.as_raw_fd(), &mut self.headers, slices.iter(), &addrs, [] as [ControlMessage<'_>; 0], MsgFlags::MSG_DONTWAIT) {
                Ok(sent) => start += sent.count().max(1),
                Err(e) => {
                    // The first of the rest failed: say so and go on after it.
                    failures.push(format!("cannot answer {}: {e}", part[0].1));
                    start += 1;
                }
            }
        }
        self.queued.clear();
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Datagrams from two sources come in one batch with their sources, and
    /// the answers queued for both go out with one flush, each to its own.
    #[test]
    fn batch_in_batch_out() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        let to = server.local_addr().unwrap();
        let (a, b) = (UdpSocket::bind("127.0.0.1:0").unwrap(), UdpSocket::bind("127.0.0.1:0").unwrap());
        for s in [&a, &b] {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        }
        a.send_to(b"one", to).unwrap();
        b.send_to(b"two", to).unwrap();
        a.send_to(b"three", to).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut inbox = Inbox::new(16);
        assert!(inbox.receive(&server).unwrap(), "three datagrams are all of it");
        let got: Vec<(Vec<u8>, SocketAddr)> = inbox.datagrams().map(|(d, f)| (d.to_vec(), f)).collect();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        assert_eq!(got, vec![(b"one".to_vec(), a_addr), (b"two".to_vec(), b_addr), (b"three".to_vec(), a_addr)]);
        assert!(inbox.receive(&server).unwrap() && inbox.is_empty(), "nothing more waits");

        let mut out = Outbox::default();
        for (d, from) in got {
            out.send([b"re:".as_slice(), &d].concat(), from);
        }
        assert!(out.flush(&server).is_empty());
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"re:two");
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"re:one");
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"re:three");
    }

    /// More than a batch waiting: the first receive says there is more.
    #[test]
    fn more_than_a_batch() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = server.local_addr().unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..BATCH + 3 {
            c.send_to(&[i as u8], to).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        let mut inbox = Inbox::new(16);
        assert!(!inbox.receive(&server).unwrap());
        assert_eq!(inbox.datagrams().count(), BATCH);
        assert!(inbox.receive(&server).unwrap());
        assert_eq!(inbox.datagrams().map(|(d, _)| d[0] as usize).collect::<Vec<_>>(), vec![BATCH, BATCH + 1, BATCH + 2]);
    }

    /// An answer to an address the kernel refuses is reported; the others still go.
    #[test]
    fn a_refused_answer_does_not_stop_the_rest() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut out = Outbox::default();
        out.send(b"x".to_vec(), "[::1]:9".parse().unwrap()); // an IPv6 destination on an IPv4 socket
        out.send(b"y".to_vec(), c.local_addr().unwrap());
        let failures = out.flush(&server);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("[::1]:9"), "{failures:?}");
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'y');
    }
}
