//! Duplicate detection (RFC 5176 2.3 / RFC 5080 2.2.2): a request with the
//! same source address, Identifier and Request Authenticator within the
//! window gets the answer already sent, never a second action. The source
//! port is left out on purpose: the Request Authenticator is an MD5 over
//! the content and the secret, so the same authenticator is the same
//! request, and a captured one replayed from another port must not end
//! the user's next session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// What identifies one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestKey {
    /// Source address (IPv4-mapped addresses unmapped).
    pub source: IpAddr,
    /// Identifier.
    pub identifier: u8,
    /// Request Authenticator.
    pub authenticator: [u8; 16],
}

/// What is known of a request seen before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// First time: act on it.
    New,
    /// Still being handled: drop the copy.
    InProgress,
    /// Answered: send these bytes again.
    Answered(Vec<u8>),
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    answer: Option<Vec<u8>>,
}

/// Requests seen within the window.
#[derive(Debug)]
pub struct Dedup {
    window: Duration,
    entries: HashMap<RequestKey, Entry>,
    last_sweep: Instant,
}

impl Dedup {
    /// Remembers requests for `window`.
    pub fn new(window: Duration) -> Self {
        Dedup { window, entries: HashMap::new(), last_sweep: Instant::now() }
    }

    /// Looks `key` up at `now`; a new key is recorded as in progress.
    pub fn check(&mut self, key: RequestKey, now: Instant) -> Seen {
        if now.duration_since(self.last_sweep) > self.window / 10 {
            let window = self.window;
            self.entries.retain(|_, e| now.duration_since(e.at) <= window);
            self.last_sweep = now;
        }
        match self.entries.get(&key) {
            Some(e) if now.duration_since(e.at) <= self.window => match &e.answer {
                Some(bytes) => Seen::Answered(bytes.clone()),
                None => Seen::InProgress,
            },
            _ => {
                self.entries.insert(key, Entry { at: now, answer: None });
                Seen::New
            }
        }
    }

    /// Records the answer sent to `key`.
    pub fn answered(&mut self, key: RequestKey, answer: Vec<u8>) {
        if let Some(e) = self.entries.get_mut(&key) {
            e.answer = Some(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// New, in progress, answered, then forgotten after the window.
    #[test]
    fn remembers_within_the_window() {
        let mut d = Dedup::new(Duration::from_secs(10));
        let key = RequestKey { source: "127.0.0.1".parse().unwrap(), identifier: 4, authenticator: [1; 16] };
        let t0 = Instant::now();
        assert_eq!(d.check(key, t0), Seen::New);
        assert_eq!(d.check(key, t0), Seen::InProgress);
        d.answered(key, vec![41]);
        assert_eq!(d.check(key, t0 + Duration::from_secs(5)), Seen::Answered(vec![41]));
        let other_host = RequestKey { source: "127.0.0.2".parse().unwrap(), ..key };
        assert_eq!(d.check(other_host, t0), Seen::New);
        let other_authenticator = RequestKey { authenticator: [2; 16], ..key };
        assert_eq!(d.check(other_authenticator, t0), Seen::New);
        assert_eq!(d.check(key, t0 + Duration::from_secs(11)), Seen::New);
    }
}
