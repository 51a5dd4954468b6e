//! A man-in-the-middle on loopback: for every request it first sends forged
//! replies to the client, then relays the real server's answer.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The forgeries sent before each real reply, in order.
pub const FORGERIES: [&str; 4] = [
    "wrong Response Authenticator",
    "no Message-Authenticator (valid Response Authenticator)",
    "wrong Identifier",
    "valid in every way but from another port",
];

/// A running forging proxy; stops on drop.
#[derive(Debug)]
pub struct Forger {
    /// The port clients should send to.
    pub port: u16,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Builds an Access-Accept for `request` with `secret`: with or without a
/// Message-Authenticator, and with a valid Response Authenticator.
pub fn accept_for(request: &[u8], identifier: u8, secret: &[u8], with_ma: bool) -> Vec<u8> {
    let mut p = vec![2u8, identifier, 0, 0];
    p.extend_from_slice(&request[4..20]);
    p.extend([18u8, 8]);
    p.extend(b"forged");
    if with_ma {
        p.extend([80u8, 18]);
        p.extend([0u8; 16]);
    }
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    if with_ma {
        let at = p.len() - 16;
        let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(secret).expect("hmac");
        mac.update(&p);
        let m = mac.finalize().into_bytes();
        p[at..].copy_from_slice(&m);
    }
    let ra: [u8; 16] = Md5::new().chain_update(&p).chain_update(secret).finalize().into();
    p[4..20].copy_from_slice(&ra);
    p
}

impl Forger {
    /// Starts a proxy in front of `upstream` that forges with `secret`.
    pub fn start(upstream: SocketAddr, secret: &str) -> Forger {
        Forger::start_after(upstream, secret, 0)
    }

    /// As [`Forger::start`], relaying the first `clean` requests untouched.
    pub fn start_after(upstream: SocketAddr, secret: &str, clean: usize) -> Forger {
        let front = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = front.local_addr().expect("addr").port();
        front.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let secret = secret.as_bytes().to_vec();
        let handle = std::thread::spawn(move || {
            let side = UdpSocket::bind("127.0.0.1:0").expect("bind side");
            let back = UdpSocket::bind("127.0.0.1:0").expect("bind back");
            back.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
            let mut buf = [0u8; 4096];
            let mut seen = 0;
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, client)) = front.recv_from(&mut buf) else { continue };
                let req = buf[..n].to_vec();
                let id = req[1];
                seen += 1;
                if seen <= clean || req[0] != 1 {
                    let _ = back.send_to(&req, upstream);
                    if let Ok(m) = back.recv(&mut buf) {
                        let _ = front.send_to(&buf[..m], client);
                    }
                    continue;
                }
                let mut wrong_ra = accept_for(&req, id, &secret, true);
                wrong_ra[4] ^= 0xff;
                let _ = front.send_to(&wrong_ra, client);
                let _ = front.send_to(&accept_for(&req, id, &secret, false), client);
                let _ = front.send_to(&accept_for(&req, id.wrapping_add(1), &secret, true), client);
                let _ = side.send_to(&accept_for(&req, id, &secret, true), client);
                std::thread::sleep(Duration::from_millis(20));
                let _ = back.send_to(&req, upstream);
                if let Ok(m) = back.recv(&mut buf) {
                    let _ = front.send_to(&buf[..m], client);
                }
            }
        });
        Forger { port, stop, handle: Some(handle) }
    }
}

impl Drop for Forger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
