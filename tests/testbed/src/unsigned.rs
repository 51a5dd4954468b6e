//! A server that does not sign its replies, as FreeRADIUS before 3.2.5 and
//! many appliances behave: a relay in front of a real server that drops
//! the Message-Authenticator from every reply and recomputes the Response
//! Authenticator (so the reply is otherwise valid). FreeRADIUS 3.2.5 and
//! later sign every reply whatever the client's settings, so the suites'
//! "legacy server" runs through this relay against those.

use md5::{Digest, Md5};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running relay; stops on drop.
#[derive(Debug)]
pub struct Unsigned {
    /// The port clients send authentication to (accounting: the next one).
    pub port: u16,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

/// `reply` (to a request whose authenticator is `request_auth`) without
/// Message-Authenticator, re-authenticated with `secret`.
pub fn strip_message_authenticator(reply: &[u8], request_auth: &[u8], secret: &[u8]) -> Option<Vec<u8>> {
    let len = usize::from(u16::from_be_bytes([*reply.get(2)?, *reply.get(3)?]));
    if len < 20 || len > reply.len() {
        return None;
    }
    let mut out = reply[..20].to_vec();
    let mut at = 20;
    while at + 2 <= len {
        let alen = usize::from(reply[at + 1]);
        if alen < 2 || at + alen > len {
            return None;
        }
        if reply[at] != 80 {
            out.extend_from_slice(&reply[at..at + alen]);
        }
        at += alen;
    }
    let n = u16::try_from(out.len()).ok()?;
    out[2..4].copy_from_slice(&n.to_be_bytes());
    out[4..20].copy_from_slice(request_auth);
    let ra: [u8; 16] = Md5::new().chain_update(&out).chain_update(secret).finalize().into();
    out[4..20].copy_from_slice(&ra);
    Some(out)
}

impl Unsigned {
    /// Starts a relay to `auth` on a port P and to `acct` on P + 1 (as a
    /// pam_radius_auth.conf line expects), both signed with `secret`.
    pub fn start(auth: SocketAddr, acct: SocketAddr, secret: &str) -> Unsigned {
        let (front_auth, front_acct) = loop {
            let a = UdpSocket::bind("127.0.0.1:0").expect("bind");
            let port = a.local_addr().expect("addr").port();
            if let Some(next) = port.checked_add(1) {
                if let Ok(b) = UdpSocket::bind(("127.0.0.1", next)) {
                    break (a, b);
                }
            }
        };
        let port = front_auth.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<JoinHandle<()>> = [(front_auth, auth), (front_acct, acct)]
            .into_iter()
            .map(|(front, upstream)| relay(front, upstream, secret.as_bytes().to_vec(), stop.clone()))
            .collect();
        Unsigned { port, stop, handles }
    }
}

fn relay(front: UdpSocket, upstream: SocketAddr, secret: Vec<u8>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    front.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::Relaxed) {
            let Ok((n, client)) = front.recv_from(&mut buf) else { continue };
            if n < 20 {
                continue;
            }
            let req = buf[..n].to_vec();
            // One upstream socket per request: replies pair with requests
            // without an id table, and a slow reply never blocks the next.
            let front = front.try_clone().expect("clone");
            let secret = secret.clone();
            std::thread::spawn(move || {
                let back = UdpSocket::bind("127.0.0.1:0").expect("bind back");
                back.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
                let _ = back.send_to(&req, upstream);
                let mut buf = [0u8; 4096];
                if let Ok(m) = back.recv(&mut buf) {
                    if let Some(reply) = strip_message_authenticator(&buf[..m], &req[4..20], &secret) {
                        let _ = front.send_to(&reply, client);
                    }
                }
            });
        }
    })
}

impl Drop for Unsigned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
