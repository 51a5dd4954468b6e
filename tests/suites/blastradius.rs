//! Forged replies (BlastRADIUS, CVE-2024-3596, and plain spoofing) that
//! arrive before the real one: wrong Response Authenticator, no
//! Message-Authenticator, wrong Identifier, from another port. Each is
//! counted as a bad reply and dropped; the real reply still decides.

mod common;
mod pam_support;

use common::{server, CapturedLog, TestConfig};
use radius_core::auth::Credentials;
use radius_core::client::NoChallenge;
use radius_core::counters::Counter;
use radius_core::{AuthRequest, Client, Secret, Service};
use radius_testbed::forger::{Forger, FORGERIES};
use radius_testbed::{FreeRadius, SECRET};
use std::net::SocketAddr;

fn through_forger(password: &str) -> (bool, u64, CapturedLog) {
    let fr = FreeRadius::start();
    let forger = Forger::start(SocketAddr::from(([127, 0, 0, 1], fr.modern_auth)), SECRET);
    let cfg = TestConfig::new("timeout = \"2s\"\nretries = 0", &server("127.0.0.1", forger.port, fr.modern_acct, ""));
    let log = CapturedLog::default();
    let mut client = Client::new(cfg.config(), Box::new(log.clone()));
    let req = AuthRequest::new("alice", Credentials::pap(Secret::from(password)), Service::Login);
    let outcome = client.authenticate(&req, &mut NoChallenge).expect("the real reply must get through");
    let bad = client.counters().snapshot(&cfg.config().servers[0]).unwrap().get(Counter::BadReplies);
    (outcome.is_accept(), bad, log)
}

/// Forged Access-Accepts before the real Access-Reject: every one dropped and counted, the user stays rejected.
#[test]
fn forged_accepts_do_not_let_a_wrong_password_in() {
    let (accepted, bad, log) = through_forger("wrong-password");
    assert!(!accepted, "a forged Access-Accept was believed");
    assert_eq!(bad, FORGERIES.len() as u64);
    assert!(log.contains("Response Authenticator does not match"));
    assert!(log.contains("without Message-Authenticator refused"));
    assert!(log.contains("Identifier"));
    assert!(log.contains("wrong source address or port"));
}

/// With the right password the real Access-Accept is still accepted after the forgeries.
#[test]
fn real_reply_still_accepted_after_forgeries() {
    let (accepted, bad, _) = through_forger("alice-password");
    assert!(accepted);
    assert_eq!(bad, FORGERIES.len() as u64);
}

/// A pam_radius_auth.conf does not require Message-Authenticator (as
/// pam_radius_auth does not), but a server seen to sign its replies is held
/// to it from then on: a forged unsigned Access-Accept before the real
/// Reject is dropped, and the wrong password stays wrong. (It was taken.)
#[test]
fn legacy_conf_learns_that_the_server_signs() {
    use pam_support::{ConfFile, Module, PamService};
    use radius_ffi::pam::PamError;
    let fr = FreeRadius::start();
    let forger = Forger::start_after(SocketAddr::from(([127, 0, 0, 1], fr.modern_auth)), SECRET, 1);
    let conf = ConfFile::legacy(&[("127.0.0.1", forger.port)], 3);
    let svc = PamService::single(Module::Ours, &conf.arg());
    assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), Ok(()), "the first, clean, login");
    assert_eq!(
        svc.start("alice", &["wrong-password"]).authenticate(),
        Err(PamError::AuthErr),
        "a forged unsigned Accept was believed"
    );
}

/// What a user upgrading FreeRADIUS meets first: 3.2.5 and later (trixie's
/// 3.2.7) sign every Access reply, even for a client configured without
/// Message-Authenticator, so the default `require_message_authenticator`
/// is met by the server's legacy site too; before (bookworm's 3.2.1) that
/// site's unsigned Accept is refused and needs the per-server opt-out. The
/// test command runs this against both.
#[test]
fn the_default_meets_the_server_as_its_version_signs() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("timeout = \"300ms\"\nretries = 0", &server("127.0.0.1", fr.legacy_site_auth, fr.legacy_acct, ""));
    let mut client = Client::new(cfg.config(), Box::new(CapturedLog::default()));
    let req = AuthRequest::new("alice", Credentials::pap(Secret::from("alice-password")), Service::Login);
    let outcome = client.authenticate(&req, &mut NoChallenge);
    if fr.signs_every_reply {
        let outcome = outcome.unwrap_or_else(|e| panic!("FreeRADIUS {} signs its replies, yet: {e}", fr.version));
        assert!(outcome.is_accept(), "FreeRADIUS {}", fr.version);
    } else {
        assert!(outcome.is_err(), "FreeRADIUS {}'s unsigned Accept was taken under the default", fr.version);
    }
    // Through the relay that drops the signature, every version is refused.
    let cfg = TestConfig::new("timeout = \"300ms\"\nretries = 0", &server("127.0.0.1", fr.legacy_auth, fr.legacy_acct, ""));
    let mut client = Client::new(cfg.config(), Box::new(CapturedLog::default()));
    assert!(client.authenticate(&req, &mut NoChallenge).is_err(), "an unsigned Accept was taken under the default");
}

/// A server that sends no Message-Authenticator is said to in the log
/// once an hour for the host, not at every login: clients sharing a
/// state_dir (processes on one host) say it once between them; a
/// state_dir of its own says it again.
#[test]
fn an_unsigned_server_is_said_once_for_the_host() {
    let fr = FreeRadius::start();
    let servers = server("127.0.0.1", fr.legacy_auth, fr.legacy_acct, "require_message_authenticator = false");
    let said = |cfg: &TestConfig| {
        let log = CapturedLog::default();
        let mut client = Client::new(cfg.config(), Box::new(log.clone()));
        let req = AuthRequest::new("alice", Credentials::pap(Secret::from("alice-password")), Service::Login);
        assert!(client.authenticate(&req, &mut NoChallenge).expect("an answer").is_accept());
        let lines = log.0.lock().unwrap();
        lines.iter().filter(|l| l.contains("sent no Message-Authenticator") && l.contains("BlastRADIUS")).count()
    };
    let host = TestConfig::new("", &servers);
    assert_eq!([said(&host), said(&host), said(&host)], [1, 0, 0]);
    let another = TestConfig::new("", &servers);
    assert_eq!(said(&another), 1);
}
