//! Slow is not dead, against a FreeRADIUS that behaves as shipped (every
//! Access-Reject delayed by a second) and with radius_rs's defaults left
//! alone (timeout 300ms, retries 2): a server that is working on the answer
//! is waited for — a delayed Reject, an MFA back end that takes 8 s — and
//! only a server silent to everything is dead; that one costs little.

mod common;
mod pam_support;

use common::{server, TestConfig};
use pam_support::{ConfFile, Module, PamService};
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::counters::Counter;
use radius_core::packet::attr;
use radius_core::Service;
use radius_ffi::pam::PamError;
use radius_testbed::{closed_port, silent_server, FreeRadius};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The defaults: nothing but the server.
fn defaults(fr: &FreeRadius) -> TestConfig {
    TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""))
}

fn cli() -> PathBuf {
    pam_support::our_module().parent().unwrap().join("radius-rs")
}

fn login(config: &Path, user: &str, password: &str) -> (Output, Duration) {
    let started = Instant::now();
    let mut c = Command::new(cli());
    c.arg("--config").arg(config).args(["login", user, "--password-stdin"]);
    let out = pam_support::run_with_input(&mut c, &format!("{password}\n"));
    (out, started.elapsed())
}

/// No server is marked dead under `state`.
fn no_dead_marks(state: &Path) -> bool {
    std::fs::read_dir(state.join("dead")).map(|d| d.count() == 0).unwrap_or(true)
}

/// A wrong password against a server that delays its Reject by a second:
/// a Reject (exit 1; in PAM PAM_AUTH_ERR, with localifdown too), never "no
/// server answered", and the server is not marked dead for anyone.
#[test]
fn a_delayed_reject_is_a_reject() {
    let fr = FreeRadius::start();
    let cfg = defaults(&fr);
    let (out, took) = login(&cfg.path, "alice", "wrong-password");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Access-Reject"));
    assert!(took >= Duration::from_millis(900), "the Reject came after {took:?}: not the stock delay?");
    let state = cfg.dir.path().join("state");
    assert!(no_dead_marks(&state), "a delayed Reject marked the server dead");
    let counters = cfg.client().counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((counters.get(Counter::Rejects), counters.get(Counter::SlowAnswers), counters.get(Counter::Timeouts)), (1, 1, 0));

    let conf = ConfFile::toml_defaults(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)]);
    for args in ["", "localifdown"] {
        let svc = PamService::single(Module::Ours, &format!("{} {args}", conf.arg()));
        assert_eq!(svc.start("alice", &["wrong-password"]).authenticate(), Err(PamError::AuthErr), "with `{args}`");
    }
    assert!(no_dead_marks(&conf.dir.path().join("state")));
}

/// An authorize that waits 8 s on an external program (an MFA push), while
/// the server answers Status-Server: accepted through the CLI and through
/// the PAM module (pamtester), with the defaults; a slow answer, no dead mark.
#[test]
fn a_slow_back_end_is_waited_for() {
    let fr = FreeRadius::start();
    let cfg = defaults(&fr);
    let (out, took) = login(&cfg.path, "slow-mfa", "slow-mfa-pw");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(took >= Duration::from_secs(8), "accepted after {took:?}: the back end did not wait?");
    let counters = cfg.client().counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((counters.get(Counter::Accepts), counters.get(Counter::SlowAnswers), counters.get(Counter::Timeouts)), (1, 1, 0));
    assert!(counters.get(Counter::Probes) >= 1);
    assert!(counters.get(Counter::Resends) <= 5, "the slow server was flooded: {} resends", counters.get(Counter::Resends));
    assert!(no_dead_marks(&cfg.dir.path().join("state")));

    let conf = ConfFile::toml_defaults(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)]);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let out = svc.pamtester("slow-mfa", "slow-mfa-pw\n", &["authenticate"], &[]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// Ten PAM logins at once to the slow back end: all accepted, and none
/// marks the server dead.
#[test]
fn ten_logins_at_once_to_the_slow_back_end() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml_defaults(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)]);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let started = Instant::now();
    let logins: Vec<_> = (0..10)
        .map(|_| {
            let name = svc.name.clone();
            std::thread::spawn(move || {
                let mut c = Command::new("pamtester");
                c.args([name.as_str(), "slow-mfa", "authenticate"]);
                pam_support::run_with_input(&mut c, "slow-mfa-pw\n")
            })
        })
        .collect();
    for (i, l) in logins.into_iter().enumerate() {
        let out = l.join().unwrap();
        assert!(out.status.success(), "login {i}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(started.elapsed() < Duration::from_secs(20), "the ten logins took {:?}", started.elapsed());
    let state = conf.dir.path().join("state");
    assert!(no_dead_marks(&state), "the slow server was marked dead");
    let config = radius_core::Config::load(&conf.path).unwrap();
    let client = radius_core::Client::new(config.clone(), Box::new(radius_core::log::NullLog));
    let counters = client.counters().snapshot(&config.servers[0]).unwrap();
    assert_eq!((counters.get(Counter::Accepts), counters.get(Counter::SlowAnswers), counters.get(Counter::Timeouts)), (10, 10, 0));
}

/// A silent first server (reads, never answers anything) and a live second:
/// with the defaults the login goes through well under 3 s; a closed port
/// first costs no wait at all.
#[test]
fn a_server_that_is_gone_costs_little() {
    let fr = FreeRadius::start();
    let (_silent, port) = silent_server();
    let servers = server("127.0.0.1", port, port, "") + &server("127.0.0.1", fr.modern_auth, fr.modern_acct, "");
    let cfg = TestConfig::new("", &servers);
    let (out, took) = login(&cfg.path, "alice", "alice-password");
    assert_eq!(out.status.code(), Some(0));
    assert!(took < Duration::from_millis(2000), "the silent server cost {took:?}");
    let first = cfg.client().counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((first.get(Counter::Timeouts), first.get(Counter::Probes)), (3, 3));

    let closed = server("127.0.0.1", closed_port(), closed_port(), "") + &server("127.0.0.1", fr.modern_auth, fr.modern_acct, "");
    let cfg = TestConfig::new("", &closed);
    let (out, took) = login(&cfg.path, "alice", "alice-password");
    assert_eq!(out.status.code(), Some(0));
    assert!(took < Duration::from_millis(300), "a closed port cost {took:?}");
}

/// Accounting gets the same treatment: an accounting server that takes 8 s
/// to write a record (it answers Status-Server meanwhile) gets it once,
/// delivered, not failed over and not marked dead.
#[test]
fn a_slow_accounting_server_is_not_dead() {
    let fr = FreeRadius::start();
    let cfg = defaults(&fr);
    let mut client = cfg.client();
    let record = AccountingRecord::new(AcctStatus::Start, Service::Login)
        .text(attr::ACCT_SESSION_ID, "SLOW-ACCT-1")
        .text(attr::USER_NAME, "slow-mfa");
    let started = Instant::now();
    assert_eq!(client.account(&record).unwrap(), 0);
    assert!(started.elapsed() >= Duration::from_secs(8));
    let detail = fr.wait_detail("modern", "SLOW-ACCT-1");
    assert_eq!(detail.matches("Acct-Session-Id = \"SLOW-ACCT-1\"").count(), 1, "{detail}");
    let counters = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((counters.get(Counter::AcctResponses), counters.get(Counter::SlowAnswers), counters.get(Counter::Timeouts)), (1, 1, 0));
    assert!(no_dead_marks(&cfg.dir.path().join("state")));
}
