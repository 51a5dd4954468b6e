//! Failover: a closed first server is left at once (ICMP port unreachable,
//! no timeout waited); a silent one costs its timeouts, then the second
//! answers; the dead mark is shared, so the next process skips the dead
//! server without waiting.

mod common;

use common::{server, TestConfig};
use radius_core::auth::Credentials;
use radius_core::client::NoChallenge;
use radius_core::counters::Counter;
use radius_core::{AuthRequest, Secret, Service};
use radius_testbed::{closed_port, silent_server, FreeRadius};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A silent server (keep the socket alive) listed before the real one.
fn silent_then_real(fr: &FreeRadius) -> (std::net::UdpSocket, String) {
    let (socket, port) = silent_server();
    (socket, server("127.0.0.1", port, port, "") + &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""))
}

fn alice() -> AuthRequest {
    AuthRequest::new("alice", Credentials::pap(Secret::from("alice-password")), Service::Login)
}

/// First server a closed port: the answer comes from the second with no timeout waited.
#[test]
fn closed_port_fails_over_without_waiting() {
    let fr = FreeRadius::start();
    let servers = server("127.0.0.1", closed_port(), closed_port(), "") + &server("127.0.0.1", fr.modern_auth, fr.modern_acct, "");
    let cfg = TestConfig::new("timeout = \"2s\"\nretries = 2", &servers);
    let mut client = cfg.client();
    let start = Instant::now();
    let outcome = client.authenticate(&alice(), &mut NoChallenge).unwrap();
    let took = start.elapsed();
    assert!(outcome.is_accept());
    assert!(took < Duration::from_millis(1000), "waited {took:?}: a closed port must not cost the 2s timeout");
    let first = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((first.get(Counter::Requests), first.get(Counter::Timeouts), first.get(Counter::Pending)), (1, 0, 0));
}

/// First server silent: its tries time out, then the second answers.
#[test]
fn silent_server_costs_one_timeout_then_second_answers() {
    let fr = FreeRadius::start();
    let (_socket, servers) = silent_then_real(&fr);
    let cfg = TestConfig::new("timeout = \"400ms\"\nretries = 0", &servers);
    let mut client = cfg.client();
    let start = Instant::now();
    assert!(client.authenticate(&alice(), &mut NoChallenge).unwrap().is_accept());
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(400), "answered in {took:?}: the silent server's timeout must have been waited");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    let first = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!(first.get(Counter::Timeouts), 1);
    let second = client.counters().snapshot(&cfg.config().servers[1]).unwrap();
    assert_eq!(second.get(Counter::Accepts), 1);
}

/// Retries resend to the silent server (counted as resends) before failing over.
#[test]
fn retries_are_counted() {
    let fr = FreeRadius::start();
    let (socket, servers) = silent_then_real(&fr);
    let cfg = TestConfig::new("timeout = \"150ms\"\nretries = 2", &servers);
    let mut client = cfg.client();
    assert!(client.authenticate(&alice(), &mut NoChallenge).unwrap().is_accept());
    let first = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((first.get(Counter::Requests), first.get(Counter::Resends), first.get(Counter::Timeouts)), (1, 2, 3));
    // The three tries were byte-identical: same Identifier and authenticator;
    // each unanswered one was followed by a Status-Server asking whether the server lives.
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buf) {
        seen.push(buf[..n].to_vec());
    }
    let (tries, probes): (Vec<_>, Vec<_>) = seen.iter().partition(|p| p[0] == 1);
    assert_eq!(tries.len(), 3);
    assert!(tries.iter().all(|p| *p == tries[0]));
    assert_eq!(probes.len(), 3);
    assert!(probes.iter().all(|p| p[0] == 12), "only Access-Requests and Status-Servers are sent");
    assert_eq!(first.get(Counter::Probes), 3);
}

/// A second client (as a second process would) right after skips the dead server without waiting.
#[test]
fn dead_mark_is_shared_with_the_next_client() {
    let fr = FreeRadius::start();
    let (_socket, servers) = silent_then_real(&fr);
    let cfg = TestConfig::new("timeout = \"500ms\"\nretries = 0\ndead_time = \"1m\"", &servers);
    assert!(cfg.client().authenticate(&alice(), &mut NoChallenge).unwrap().is_accept());
    let mut next = cfg.client();
    let start = Instant::now();
    assert!(next.authenticate(&alice(), &mut NoChallenge).unwrap().is_accept());
    let took = start.elapsed();
    assert!(took < Duration::from_millis(400), "took {took:?}: the dead server must be skipped");
    let first = next.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!(first.get(Counter::Requests), 1, "only the first client may have asked the dead server");
}

/// An ICMP checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP port unreachable about a UDP datagram `from` → `to`, as the
/// host at `to` would send it (but sent by another host here).
fn port_unreachable(from: SocketAddr, to: SocketAddr) -> Vec<u8> {
    let (SocketAddr::V4(from), SocketAddr::V4(to)) = (from, to) else { panic!("IPv4") };
    let mut original = vec![0x45, 0, 0, 48, 0, 0, 0, 0, 64, 17, 0, 0];
    original.extend(from.ip().octets());
    original.extend(to.ip().octets());
    original.extend(from.port().to_be_bytes());
    original.extend(to.port().to_be_bytes());
    original.extend([0, 28, 0, 0]);
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend(original);
    let sum = checksum(&icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    icmp
}

/// A port-unreachable from another host (127.0.0.2, on a raw socket) about
/// our request to a silent server does not end that server's turn: only
/// the server's own does. The server keeps its tries, the ICMP is logged
/// and counted, the next server answers after them. (It used to end the
/// turn at once and mark the server dead for everyone.)
#[test]
fn port_unreachable_from_another_host_is_ignored() {
    use socket2::{Domain, Protocol, Socket, Type};
    let fr = FreeRadius::start();
    let (silent, port) = silent_server();
    let forger = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let (_, client) = silent.recv_from(&mut buf).expect("the request");
        let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).expect("a raw socket (root)");
        raw.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into()).unwrap();
        let server = SocketAddr::from(([127, 0, 0, 1], port));
        raw.send_to(&port_unreachable(client, server), &SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
        silent
    });
    let servers = server("127.0.0.1", port, port, "") + &server("127.0.0.1", fr.modern_auth, fr.modern_acct, "");
    let cfg = TestConfig::new("timeout = \"300ms\"\nretries = 1", &servers);
    let log = common::CapturedLog::default();
    let mut client = radius_core::Client::new(cfg.config(), Box::new(log.clone()));
    let start = Instant::now();
    assert!(client.authenticate(&alice(), &mut NoChallenge).unwrap().is_accept());
    let took = start.elapsed();
    drop(forger.join());
    assert!(log.contains("ignored an ICMP port-unreachable from 127.0.0.2"), "the forged ICMP was not seen");
    let first = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!(first.get(Counter::Timeouts), 2, "the silent server kept its whole turn");
    assert!(first.get(Counter::BadReplies) >= 1);
    assert!(took >= Duration::from_millis(900), "answered in {took:?}: the turn was cut short");
}
