//! RadSec (RFC 6614) against FreeRADIUS's own TLS listener, with
//! certificates made for the run (`radius_testbed::pki`): PAP and
//! MS-CHAPv2 logins through the PAM module (pamtester) and `radius-rs
//! login`, PAM accounting Start/Stop in the listener's detail file, the
//! bad certificates each refused with a line naming what did not match,
//! failover from a stopped RadSec server and back after dead_time, and a
//! burst of 50 concurrent PAM logins.

mod common;
mod pam_support;

use common::{our_binary, CapturedLog};
use pam_support::{ConfFile, Module, PamService};
use radius_core::auth::Credentials;
use radius_core::counters::{Counter, Counters};
use radius_core::state::FileState;
use radius_core::{AuthRequest, Client, Config, Secret, Service};
use radius_testbed::freeradius::RadsecPorts;
use radius_testbed::pki::{Pair, Pki, SERVER_NAME};
use radius_testbed::FreeRadius;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One FreeRADIUS with RadSec listeners for the tests that do not stop it.
/// These tests run at once and each login is a connection the server
/// keeps for seconds: this client may hold 256, so that no test meets the
/// connection limit another one filled (the burst test has its own
/// server, with the stock 16).
fn shared() -> &'static (Pki, FreeRadius, RadsecPorts) {
    static SERVER: OnceLock<(Pki, FreeRadius, RadsecPorts)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let pki = Pki::generate();
        let (fr, ports) = FreeRadius::start_radsec_with(&pki, &["-xx"], Some(256));
        (pki, fr, ports)
    })
}

/// Our TOML with `servers` (state and spool in the file's directory).
fn conf(client: &str, servers: &str) -> ConfFile {
    let file = ConfFile::write("radius.toml", "");
    let d = file.dir.path();
    let text = format!(
        "[client]\nstate_dir = \"{}\"\n{client}\n{servers}\n[accounting]\nspool_dir = \"{}\"\n",
        d.join("state").display(),
        d.join("spool").display()
    );
    std::fs::write(&file.path, text).unwrap();
    file
}

fn cli_login(config: &Path, user: &str, password: &str, method: &str) -> (bool, String) {
    let out = Command::new(our_binary("radius-rs"))
        .arg("--config")
        .arg(config)
        .args(["login", user, "--password", password, "--method", method])
        .output()
        .expect("radius-rs login");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One PAP login through the core with a captured log: accepted or not.
fn core_login(config: &Path, user: &str, password: &str) -> (bool, CapturedLog, Config) {
    let log = CapturedLog::default();
    let config = Config::load(config).expect("config loads");
    let mut client = Client::new(
        Config::load(&config.path).expect("config loads"),
        Box::new(log.clone()),
    );
    let request = AuthRequest::new(
        user,
        Credentials::pap(Secret::new(password.as_bytes().to_vec())),
        Service::Login,
    );
    let accepted = client
        .authenticate(&request, &mut radius_core::client::NoChallenge)
        .map(|o| o.is_accept())
        .unwrap_or(false);
    (accepted, log, config)
}

fn tls_failures(config: &Config, server: usize) -> u64 {
    let state = FileState::open(&config.client.state_dir);
    Counters::new(&state)
        .snapshot(&config.servers[server])
        .map(|s| s.get(Counter::TlsFailures))
        .unwrap_or(0)
}

/// PAP and MS-CHAPv2 through the PAM module over RadSec, with the
/// session's Start and Stop in the RadSec listener's detail file; a wrong
/// password is still rejected. The server's only listener on that port is
/// the TLS one.
#[test]
fn pam_logins_and_accounting_over_radsec() {
    let (pki, fr, ports) = shared();
    let file = conf(
        "",
        &pki.server_toml(ports.good, &pki.client, SERVER_NAME),
    );
    for method in ["pap", "mschapv2"] {
        let svc = PamService::single(
            Module::Ours,
            &format!("{} method={method} debug", file.arg()),
        );
        let ok = svc.pamtester(
            "alice",
            "alice-password\n",
            &["authenticate", "open_session", "close_session"],
            &[],
        );
        assert!(ok.status.success(), "{method}: {}", text(&ok));
        let wrong = svc.pamtester("alice", "not-her-password\n", &["authenticate"], &[]);
        assert!(
            !wrong.status.success(),
            "{method}: a wrong password must be rejected: {}",
            text(&wrong)
        );
    }
    // Only these sessions come from a PAM service (its name is the NAS-Identifier).
    let ours = |status: &str| {
        fr.detail("radsec")
            .split("\n\n")
            .filter(|r| r.contains("NAS-Identifier = \"radius-rs-test-") && r.contains("User-Name = \"alice\""))
            .filter(|r| r.contains(&format!("Acct-Status-Type = {status}")))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while ours("Stop") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let detail = fr.detail("radsec");
    assert_eq!((ours("Start"), ours("Stop")), (2, 2), "{detail}");
    assert!(detail.contains("User-Name = \"alice\""), "{detail}");
    let log = fr.debug_log();
    assert!(
        log.contains("MS-CHAP") || log.contains("mschap"),
        "FreeRADIUS saw MS-CHAPv2"
    );
}

/// `radius-rs login` over RadSec, PAP and MS-CHAPv2 (its MS-CHAP2-Success
/// checked), and `radius-rs monitor` showing the server's counters with
/// the TLS failures column.
#[test]
fn cli_login_and_monitor_over_radsec() {
    let (pki, _fr, ports) = shared();
    let file = conf(
        "",
        &pki.server_toml(ports.good, &pki.client, SERVER_NAME),
    );
    let (ok, out) = cli_login(&file.path, "alice", "alice-password", "pap");
    assert!(
        ok && out.contains("Access-Accept") && out.contains("Hello, alice"),
        "{out}"
    );
    let (ok, out) = cli_login(&file.path, "alice", "alice-password", "mschapv2");
    assert!(ok && out.contains("authenticator response: valid"), "{out}");
    let (ok, out) = cli_login(&file.path, "alice", "wrong", "mschapv2");
    assert!(!ok && out.contains("Access-Reject"), "{out}");
    let monitor = Command::new(our_binary("radius-rs"))
        .arg("--config")
        .arg(&file.path)
        .arg("monitor")
        .output()
        .unwrap();
    let shown = text(&monitor);
    assert!(
        monitor.status.success() && shown.contains("tls-failures") && shown.contains("accepts"),
        "{shown}"
    );
    // A server that speaks TLS 1.2 at most.
    let tls12 = conf("", &pki.server_toml(ports.tls12, &pki.client, SERVER_NAME));
    let (ok, out) = cli_login(&tls12.path, "alice", "alice-password", "mschapv2");
    assert!(ok && out.contains("authenticator response: valid"), "TLS 1.2: {out}");
    assert!(_fr.debug_log().contains("TLS 1.2 Handshake, Finished"), "the TLS 1.2 listener negotiated 1.2");
    let check = Command::new(our_binary("radius-rs")).arg("--config").arg(&file.path).arg("check-config").output().unwrap();
    assert!(check.status.success() && text(&check).contains("RadSec: TLS 1.2/1.3, server name `radius.test`"), "{}", text(&check));
    // A key that is not there is found by check-config, not at a login.
    let broken = conf("", &pki.server_toml(ports.good, &Pair { cert: pki.client.cert.clone(), key: "/nonexistent/nas.key".into() }, SERVER_NAME));
    let check = Command::new(our_binary("radius-rs")).arg("--config").arg(&broken.path).arg("check-config").output().unwrap();
    assert!(!check.status.success() && text(&check).contains("private_key /nonexistent/nas.key"), "{}", text(&check));
}

/// A server certificate from an unknown CA, an expired one, and one not
/// for the configured name are refused before anything is sent, each with
/// a log line naming what did not match, and counted as TLS failures; a
/// client certificate the server does not trust is refused by the server
/// and reported as such, not as a timeout.
#[test]
fn bad_certificates_are_refused_naming_what_did_not_match() {
    let (pki, _fr, ports) = shared();
    let cases: [(&str, String, &str); 5] = [
        (
            "unknown CA",
            pki.server_toml(ports.rogue, &pki.client, SERVER_NAME),
            "not signed by a CA in ca_file",
        ),
        (
            "expired",
            pki.server_toml(ports.expired, &pki.client, SERVER_NAME),
            "the server's certificate expired at 2020-01-01",
        ),
        (
            "wrong name",
            pki.server_toml(ports.good, &pki.client, "other.test"),
            "is not for server_name `other.test`: it names",
        ),
        (
            "client refused",
            pki.server_toml(ports.good, &pki.rogue_client, SERVER_NAME),
            "refused our certificate",
        ),
        (
            // Under TLS 1.2 the server judges our certificate inside the handshake.
            "client refused, TLS 1.2",
            pki.server_toml(ports.tls12, &pki.rogue_client, SERVER_NAME),
            "refused our certificate",
        ),
    ];
    for (what, server, needle) in cases {
        let file = conf("timeout = \"1s\"\ndead_time = \"0s\"", &server);
        let started = Instant::now();
        let (accepted, log, config) = core_login(&file.path, "alice", "alice-password");
        assert!(!accepted, "{what}: must not log in");
        assert!(
            log.contains(needle),
            "{what}: expected a line with `{needle}`: {:?}",
            log.0.lock().unwrap()
        );
        assert!(
            !log.contains("no answer"),
            "{what}: reported as a timeout: {:?}",
            log.0.lock().unwrap()
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{what}: took {:?}",
            started.elapsed()
        );
        assert_eq!(
            tls_failures(&config, 0),
            1,
            "{what}: counted as a TLS failure"
        );
    }
}

/// The RadSec server stopped: the next server (UDP) answers at once; once
/// it is back and dead_time has passed, it is used again.
#[test]
fn failover_from_a_stopped_radsec_server_and_back() {
    let pki = Pki::generate();
    let (tls, ports) = FreeRadius::start_radsec(&pki);
    let udp = FreeRadius::start();
    let servers = format!(
        "{}{}",
        pki.server_toml(ports.good, &pki.client, SERVER_NAME),
        common::server("127.0.0.1", udp.modern_auth, udp.modern_acct, "")
    );
    let file = conf("timeout = \"1s\"\ndead_time = \"2s\"", &servers);
    let (accepted, _, config) = core_login(&file.path, "alice", "alice-password");
    assert!(accepted, "over RadSec");
    let state = FileState::open(&config.client.state_dir);
    let accepts = |i: usize| {
        Counters::new(&state)
            .snapshot(&config.servers[i])
            .unwrap()
            .get(Counter::Accepts)
    };
    assert_eq!((accepts(0), accepts(1)), (1, 0));

    tls.stop();
    let started = Instant::now();
    let (accepted, log, _) = core_login(&file.path, "alice", "alice-password");
    assert!(accepted, "failed over to the UDP server");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a refused connection costs no wait: {:?}",
        started.elapsed()
    );
    assert!(
        log.contains("marking it dead"),
        "{:?}",
        log.0.lock().unwrap()
    );
    assert_eq!((accepts(0), accepts(1)), (1, 1));

    tls.restart();
    let (accepted, _, _) = core_login(&file.path, "alice", "alice-password");
    assert!(accepted);
    assert_eq!(
        (accepts(0), accepts(1)),
        (1, 2),
        "still dead: the UDP server answers"
    );
    std::thread::sleep(Duration::from_millis(2100));
    let (accepted, _, _) = core_login(&file.path, "alice", "alice-password");
    assert!(accepted);
    assert_eq!(
        (accepts(0), accepts(1)),
        (2, 2),
        "back after dead_time: RadSec again"
    );
}

/// 50 PAM logins at once over RadSec, each its own pamtester process and
/// connection, all accepted, every timing at its default. The server is
/// stock where it counts: a client may hold 16 connections, each kept
/// for seconds after it closes, and a listen backlog of 8 drops the SYNs
/// of a burst; a login that finds the server at its limit asks again with
/// back-off instead of failing (its own server: the others' logins would
/// find it full).
#[test]
fn a_burst_of_50_concurrent_pam_logins() {
    let pki = Pki::generate();
    let (fr, ports) = FreeRadius::start_radsec(&pki);
    let pki = &pki;
    let file = conf(
        "",
        &pki.server_toml(ports.good, &pki.client, SERVER_NAME),
    );
    let svc = PamService::single(Module::Ours, &file.arg());
    let started = Instant::now();
    let results: Vec<(bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                s.spawn(|| {
                    let out = svc.pamtester("alice", "alice-password\n", &["authenticate"], &[]);
                    (out.status.success(), text(&out))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<&String> = results
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, t)| t)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 50 failed; first: {}",
        failed.len(),
        failed[0]
    );
    eprintln!(
        "50 concurrent logins over RadSec took {:?}",
        started.elapsed()
    );
    let log = fr.debug_log();
    assert!(
        log.contains("Ignoring new connection due to client max_connections (16)"),
        "the burst met the stock connection limit"
    );
    assert_eq!(log.matches("Login OK: [alice]").count(), 50);
}

/// A process that sends several requests (a PPP session's accounting,
/// radius-rs-dmd draining the spool) keeps one connection: the login and
/// its Start and Stop arrive from the same TCP source port.
#[test]
fn one_connection_carries_a_process_s_requests() {
    use radius_core::accounting::{AccountingRecord, AcctStatus};
    use radius_core::packet::attr;
    let (pki, fr, ports) = shared();
    let file = conf("nas_identifier = \"kept-connection\"", &pki.server_toml(ports.good, &pki.client, SERVER_NAME));
    let mut client = Client::new(Config::load(&file.path).unwrap(), Box::new(CapturedLog::default()));
    let request = AuthRequest::new("alice", Credentials::pap(Secret::from("alice-password")), Service::Login);
    assert!(client.authenticate(&request, &mut radius_core::client::NoChallenge).unwrap().is_accept());
    for status in [AcctStatus::Start, AcctStatus::Stop] {
        client.account(&AccountingRecord::new(status, Service::Login).text(attr::ACCT_SESSION_ID, "kept-1")).expect("accounted");
    }
    let log = fr.debug_log();
    let ports: std::collections::BTreeSet<&str> = log
        .split("Received ")
        .filter(|b| b.contains("NAS-Identifier = \"kept-connection\""))
        .filter_map(|b| b.split(" from 127.0.0.1:").nth(1)?.split(' ').next())
        .collect();
    let requests = log.split("Received ").filter(|b| b.contains("NAS-Identifier = \"kept-connection\"")).count();
    assert_eq!(requests, 3, "the login, the Start and the Stop");
    assert_eq!(ports.len(), 1, "one connection, one source port: {ports:?}");
}

/// Slow is not dead over a stream too: a back end that takes 8 s (an MFA
/// push) is waited for with every timing at its default, because the
/// server answers Status-Server on the same connection meanwhile; the
/// answer counts as slow, the server is not marked dead.
#[test]
fn a_slow_back_end_over_radsec_is_waited_for() {
    let (pki, _fr, ports) = shared();
    let file = conf("", &pki.server_toml(ports.good, &pki.client, SERVER_NAME));
    let started = Instant::now();
    let (accepted, log, config) = core_login(&file.path, "slow-mfa", "slow-mfa-pw");
    assert!(accepted, "{:?}", log.0.lock().unwrap());
    assert!(started.elapsed() >= Duration::from_secs(8), "{:?}", started.elapsed());
    assert!(log.contains("was slow"), "{:?}", log.0.lock().unwrap());
    let state = FileState::open(&config.client.state_dir);
    let snap = Counters::new(&state).snapshot(&config.servers[0]).unwrap();
    assert_eq!((snap.get(Counter::SlowAnswers), snap.get(Counter::Resends), snap.get(Counter::Timeouts)), (1, 0, 0));
    assert!(snap.get(Counter::Probes) >= 1);
}
