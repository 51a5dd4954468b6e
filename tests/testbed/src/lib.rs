//! A real FreeRADIUS for tests, plus misbehaving peers.

pub mod forger;
pub mod freeradius;
pub mod pki;
pub mod unsigned;

pub use freeradius::{FreeRadius, SECRET};

use std::net::{SocketAddr, UdpSocket};

/// A UDP port on 127.0.0.1 with nothing listening (ICMP port unreachable).
pub fn closed_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

/// A socket that reads requests and never answers; keep it alive while used.
pub fn silent_server() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = s.local_addr().expect("addr").port();
    (s, port)
}

/// A free UDP port on `ip` (bound then released).
pub fn free_port(ip: &str) -> u16 {
    let s = UdpSocket::bind(SocketAddr::new(ip.parse().expect("ip"), 0)).expect("bind");
    s.local_addr().expect("addr").port()
}

/// A directory in memory (tmpfs), as `[client] state_dir` (/run/radius_rs)
/// is on a systemd host, where this machine's /run may be disk; a plain
/// temporary directory where /dev/shm is missing.
pub fn memory_tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).expect("a temporary directory")
}
