//! radius-rs-dmd against real pppd sessions: RFC 5176 Disconnect and CoA
//! sent by FreeRADIUS's `radclient` (and, for what radclient cannot send —
//! another source address, a corrupted Message-Authenticator, the same
//! datagram twice — by hand-built packets), with outcomes checked on the
//! sessions themselves and in FreeRADIUS's detail file.

use crate::rig::{self, wait_for, Rig, Session, SESSIONS_DIR};
use crate::scenarios::ensure;
use radius_core::packet::{attr, code, dynauth, AttributeList};
use radius_testbed::SECRET;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The port the rig's `[incoming]` listens on (RouterOS's default).
pub const PORT: u16 = 1700;
/// Where the CoA hook writes what it saw.
const HOOK_OUT: &str = "/run/ppp-seen/coa";

/// The CoA hook the rig installs: keeps its arguments and environment.
pub const HOOK: &str = "#!/bin/sh\nmkdir -p /run/ppp-seen\n{ echo \"args=$*\"; env | sort; } > /run/ppp-seen/coa.$2\n";

/// A running radius-rs-dmd.
struct Dmd {
    child: Child,
    log: PathBuf,
}

fn dmd_binary() -> PathBuf {
    std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("radius-rs-dmd"))).unwrap_or_default()
}

impl Dmd {
    fn start(rig: &Rig, name: &str) -> Result<Dmd, String> {
        let log = rig.out.join(format!("{name}.dmd.log"));
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new(dmd_binary())
            .args(["--foreground", "--config"])
            .arg(&rig.config)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .map_err(|e| format!("{}: {e}", dmd_binary().display()))?;
        let d = Dmd { child, log };
        ensure!(wait_for(10, || d.log().contains("listening for Disconnect/CoA on 127.0.0.1")), "radius-rs-dmd did not start:\n{}", d.log());
        Ok(d)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM: the clean stop.
    fn stop(&mut self) -> Result<(), String> {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let mut done = false;
        wait_for(15, || {
            done = matches!(self.child.try_wait(), Ok(Some(_)));
            done
        });
        ensure!(done, "radius-rs-dmd did not stop on SIGTERM:\n{}", self.log());
        Ok(())
    }
}

impl Drop for Dmd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What radclient printed, and whether it got an answer. It sends up to
/// three times, 3 s apart, as a DAS retransmits (the daemon answers a
/// copy with the answer it already sent): under TCG on a loaded 2-core
/// machine a single 2 s try was seen to end before the daemon's first
/// answer.
fn radclient(kind: &str, attributes: &[String], secret: &str) -> (bool, String) {
    radclient_tries(kind, attributes, secret, 3)
}

/// One try of 2 s: for requests the daemon must drop (each copy would
/// count as another drop).
fn radclient_once(kind: &str, attributes: &[String], secret: &str) -> (bool, String) {
    radclient_tries(kind, attributes, secret, 1)
}

fn radclient_tries(kind: &str, attributes: &[String], secret: &str, tries: u32) -> (bool, String) {
    let input = attributes.join("\n") + "\n";
    let wait = if tries > 1 { 3 } else { 2 };
    let cmd = format!("printf '%s' '{}' | radclient -x -r {tries} -t {wait} 127.0.0.1:{PORT} {kind} '{secret}'", input.replace('\'', "'\\''"));
    let out = Command::new("sh").args(["-c", &cmd]).output().expect("radclient");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (text.contains("Received "), text)
}

fn signed(attributes: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = attributes.iter().map(|s| s.to_string()).collect();
    v.push("Message-Authenticator = 0x00".into());
    v
}

/// A counter of the daemon as `radius-rs monitor` shows it.
fn counter(rig: &Rig, name: &str) -> u64 {
    std::thread::sleep(Duration::from_millis(500)); // the daemon writes them every 200 ms
    let config = radius_core::Config::load(&rig.config).expect("rig config");
    radius_host::incoming_counters::snapshot(&config.client.state_dir)
        .map(|s| s.counters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap_or(0))
        .unwrap_or(0)
}

/// Two sessions: ppp-alice (10.65.0.2) on ppp0, ppp-l2tp (10.65.0.4) on ppp1.
fn two_sessions(rig: &Rig, name: &str) -> Result<(Session, Session), String> {
    let a = Session::start(rig, &format!("{name}-a"), "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session A never reached IP up\n{}", a.logs());
    let b = Session::start(rig, &format!("{name}-b"), "require-pap 10.65.0.1:", "user ppp-l2tp password ppp-l2tp-pw");
    ensure!(rig.wait_up("ppp1", 40), "session B never reached IP up\n{}", b.logs());
    Ok((a, b))
}

fn session_id_of(rig: &Rig, ifname: &str) -> Result<String, String> {
    rig.seen(&format!("session.{ifname}"))
        .lines()
        .find_map(|l| l.strip_prefix("acct_session_id = "))
        .map(|v| v.trim_matches('"').to_string())
        .ok_or_else(|| format!("no session record for {ifname} under {SESSIONS_DIR}"))
}

/// The selected session ends with Admin-Reset; the other stays up.
fn disconnect_one(rig: &Rig, name: &str, selector: impl Fn(&str, &str) -> String, target_is_a: bool) -> Result<(), String> {
    let (mut a, mut b) = two_sessions(rig, name)?;
    let (id_a, id_b) = (session_id_of(rig, "ppp0")?, session_id_of(rig, "ppp1")?);
    let mut dmd = Dmd::start(rig, name)?;
    let (target_id, other_id) = if target_is_a { (&id_a, &id_b) } else { (&id_b, &id_a) };
    let (answered, out) = radclient("disconnect", &signed(&[&selector(target_id, other_id), "NAS-Identifier = \"vm-bras\""]), SECRET);
    if !(answered && out.contains("Received Disconnect-ACK")) {
        // Late or never: the daemon's log a little later tells which.
        std::thread::sleep(Duration::from_secs(3));
        return Err(format!("no Disconnect-ACK:\n{out}\ndaemon log 3 s later:\n{}", dmd.log()));
    }
    let (gone, stays) = if target_is_a { (&mut a, &mut b) } else { (&mut b, &mut a) };
    let code = gone.wait_exit(15);
    ensure!(code.is_some(), "the disconnected pppd is still running\n{}", gone.logs());
    ensure!(stays.wait_exit(2).is_none(), "the other session ended too\n{}", stays.logs());
    ensure!(
        wait_for(10, || rig.records(target_id).iter().any(|r| r.contains("Acct-Status-Type = Stop") && r.contains("Acct-Terminate-Cause = Admin-Reset"))),
        "no Stop with Acct-Terminate-Cause = Admin-Reset for {target_id}: {:?}",
        rig.records(target_id)
    );
    ensure!(!rig.records(other_id).iter().any(|r| r.contains("Acct-Status-Type = Stop")), "the other session has a Stop");
    dmd.stop()
}

pub fn dm_disconnect_by_user(rig: &Rig, name: &str) -> Result<(), String> {
    disconnect_one(rig, name, |_, _| "User-Name = \"ppp-alice\"".into(), true)
}

pub fn dm_disconnect_by_session_id(rig: &Rig, name: &str) -> Result<(), String> {
    disconnect_one(rig, name, |target, _| format!("Acct-Session-Id = \"{target}\""), false)
}

pub fn dm_disconnect_by_ip(rig: &Rig, name: &str) -> Result<(), String> {
    disconnect_one(rig, name, |_, _| "Framed-IP-Address = 10.65.0.2".into(), true)
}

/// Sends `datagram` from `source` and returns the answer, if any within 1.5 s.
fn exchange(socket: &UdpSocket, datagram: &[u8]) -> Option<Vec<u8>> {
    socket.set_read_timeout(Some(Duration::from_millis(1500))).ok()?;
    socket.send_to(datagram, ("127.0.0.1", PORT)).ok()?;
    let mut buf = [0u8; 4096];
    socket.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

/// Unknown session → NAK 503; forged, unlisted, unsigned and stale requests
/// → no answer and their counter rises; the same request twice → one action, two identical answers.
pub fn dm_refusals_and_duplicates(rig: &Rig, name: &str) -> Result<(), String> {
    let mut a = Session::start(rig, name, "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session never reached IP up\n{}", a.logs());
    let id = session_id_of(rig, "ppp0")?;
    let mut dmd = Dmd::start(rig, name)?;

    let (answered, out) = radclient("disconnect", &signed(&["User-Name = \"nobody\""]), SECRET);
    ensure!(answered && out.contains("Disconnect-NAK") && out.contains("Error-Cause = Session-Context-Not-Found"), "unknown session: {out}");

    let silent = |what: &str, counter_name: &str, send: &dyn Fn() -> bool| -> Result<(), String> {
        let before = counter(rig, counter_name);
        ensure!(!send(), "{what}: the daemon answered");
        let after = counter(rig, counter_name);
        ensure!(after == before + 1, "{what}: {counter_name} went {before} → {after}");
        Ok(())
    };
    silent("wrong secret", "dropped-bad-authenticator", &|| radclient_once("disconnect", &signed(&["User-Name = \"ppp-alice\""]), "not-the-secret").0)?;
    silent("no Message-Authenticator", "dropped-missing-message-authenticator", &|| {
        radclient_once("disconnect", &["User-Name = \"ppp-alice\"".to_string()], SECRET).0
    })?;
    let stale = format!("Event-Timestamp = {}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 1000);
    silent("stale Event-Timestamp", "dropped-stale-timestamp", &|| radclient_once("disconnect", &signed(&["User-Name = \"ppp-alice\"", &stale]), SECRET).0)?;
    let mut alice = AttributeList::new();
    alice.text(attr::USER_NAME, "ppp-alice");
    let request = dynauth::encode_request(code::DISCONNECT_REQUEST, 77, &alice, SECRET.as_bytes(), true).map_err(|e| e.to_string())?;
    silent("unlisted source 127.0.0.2", "dropped-unknown-client", &|| {
        UdpSocket::bind("127.0.0.2:0").ok().and_then(|s| exchange(&s, &request)).is_some()
    })?;
    let mut bad_ma = request.clone();
    let n = bad_ma.len();
    bad_ma[n - 1] ^= 0x55;
    let auth = dynauth::request_authenticator(&bad_ma, SECRET.as_bytes());
    bad_ma[4..20].copy_from_slice(&auth);
    silent("bad Message-Authenticator", "dropped-bad-message-authenticator", &|| {
        UdpSocket::bind("127.0.0.1:0").ok().and_then(|s| exchange(&s, &bad_ma)).is_some()
    })?;
    ensure!(a.wait_exit(1).is_none(), "a dropped request ended the session\n{}", dmd.log());

    // The same datagram twice from the same port: one action, two identical answers.
    let requests_before = counter(rig, "disconnect-requests");
    let dups_before = counter(rig, "duplicates");
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let first = exchange(&socket, &request).ok_or("no answer to the first copy")?;
    let second = exchange(&socket, &request).ok_or("no answer to the second copy")?;
    ensure!(first == second, "the two answers differ");
    ensure!(first[0] == code::DISCONNECT_ACK, "answer code {} is not Disconnect-ACK", first[0]);
    ensure!(dynauth::verify_response(&first, &request[4..20].try_into().unwrap(), SECRET.as_bytes()).is_ok(), "the ACK does not verify");
    ensure!(counter(rig, "disconnect-requests") == requests_before + 1, "the duplicate was acted on twice");
    ensure!(counter(rig, "duplicates") == dups_before + 1, "the duplicate was not counted");
    ensure!(a.wait_exit(15).is_some(), "the session did not end\n{}", a.logs());
    ensure!(wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Status-Type = Stop"))), "no Stop for {id}");
    let stops = rig.records(&id).iter().filter(|r| r.contains("Acct-Status-Type = Stop")).count();
    ensure!(stops == 1, "{stops} Stops for one session");
    ensure!(dmd.log().matches("disconnected (Admin-Reset)").count() == 1, "more than one disconnect action:\n{}", dmd.log());
    dmd.stop()
}

/// CoA Session-Timeout=4 on a session without one: it ends about 4 s later.
pub fn dm_coa_session_timeout(rig: &Rig, name: &str) -> Result<(), String> {
    let mut a = Session::start(rig, name, "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session never reached IP up\n{}", a.logs());
    let id = session_id_of(rig, "ppp0")?;
    let mut dmd = Dmd::start(rig, name)?;
    let (answered, out) = radclient("coa", &signed(&["User-Name = \"ppp-alice\"", "Session-Timeout = 4", "Class = 0x636f612d636c617373"]), SECRET);
    ensure!(answered && out.contains("Received CoA-ACK"), "no CoA-ACK:\n{out}\n{}", dmd.log());
    // Timed from the ACK (radclient itself takes seconds to load its dictionaries in the VM):
    // the session took the change before the ACK, so it ends at most 4 s later.
    let started = std::time::Instant::now();
    // When the plugin ends the session; pppd itself then waits for its peer and scripts.
    ensure!(wait_for(15, || a.server_log().contains("Session-Timeout reached")), "the CoA Session-Timeout never fired\n{}", a.logs());
    let took = started.elapsed().as_secs();
    ensure!((1..=6).contains(&took), "Session-Timeout 4 by CoA ended the session {took}s after the CoA-ACK");
    let code = a.wait_exit(20);
    ensure!(code == Some(13), "pppd ended with {code:?} after the CoA, expected 13 (connect time)\n{}", a.logs());
    ensure!(
        wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Terminate-Cause = Session-Timeout"))),
        "no Stop with Session-Timeout for {id}"
    );
    let stop = rig.records(&id).into_iter().find(|r| r.contains("Acct-Status-Type = Stop")).unwrap_or_default();
    ensure!(stop.contains("Class = 0x636f612d636c617373"), "the Stop does not carry the Class set by CoA:\n{stop}");
    dmd.stop()
}

/// CoA with a vendor attribute: the hook runs with the session's ifname and the attribute.
pub fn dm_coa_hook(rig: &Rig, name: &str) -> Result<(), String> {
    let a = Session::start(rig, name, "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session never reached IP up\n{}", a.logs());
    let mut dmd = Dmd::start(rig, name)?;
    let (answered, out) = radclient("coa", &signed(&["Framed-IP-Address = 10.65.0.2", "Mikrotik-Rate-Limit = \"5M/7M\"", "Filter-Id = \"after-coa\""]), SECRET);
    ensure!(answered && out.contains("Received CoA-ACK"), "no CoA-ACK:\n{out}\n{}", dmd.log());
    let seen = std::fs::read_to_string(format!("{HOOK_OUT}.ppp0")).unwrap_or_default();
    for needle in ["args=coa ppp0", "IFNAME=ppp0", "RADIUS_MIKROTIK_RATE_LIMIT=5M/7M", "RADIUS_FILTER_ID=after-coa", "USER_NAME=ppp-alice"] {
        ensure!(seen.contains(needle), "the hook did not see {needle}:\n{seen}");
    }
    let (answered, out) = radclient("coa", &signed(&["User-Name = \"nobody\"", "Mikrotik-Rate-Limit = \"1M/1M\""]), SECRET);
    ensure!(answered && out.contains("CoA-NAK") && out.contains("Session-Context-Not-Found"), "CoA for nobody: {out}");
    dmd.stop()
}

/// kill -9 of a pppd, then the daemon starts: a Stop for that session;
/// with nothing live, Accounting-On, and Accounting-Off at its clean stop.
pub fn dm_lost_session_stop(rig: &Rig, name: &str) -> Result<(), String> {
    let mut a = Session::start(rig, name, "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session never reached IP up\n{}", a.logs());
    let id = session_id_of(rig, "ppp0")?;
    rig::shell(&format!("kill -9 {}", a.pid()))?;
    ensure!(a.wait_exit(5).is_some(), "pppd survived kill -9");
    ensure!(!rig.records(&id).iter().any(|r| r.contains("Acct-Status-Type = Stop")), "a Stop before the daemon ran");
    let ons = |rig: &Rig, what: &str| rig.fr.detail("modern").matches(&format!("Acct-Status-Type = {what}")).count();
    let (on_before, off_before) = (ons(rig, "Accounting-On"), ons(rig, "Accounting-Off"));
    let mut dmd = Dmd::start(rig, name)?;
    ensure!(
        wait_for(15, || rig.records(&id).iter().any(|r| r.contains("Acct-Status-Type = Stop") && r.contains("Acct-Terminate-Cause = Lost-Service"))),
        "no Stop with Lost-Service for the killed session {id}: {:?}\n{}",
        rig.records(&id),
        dmd.log()
    );
    ensure!(wait_for(5, || !std::path::Path::new(&format!("{SESSIONS_DIR}/ppp0.toml")).exists()), "the lost session's record is still there");
    ensure!(wait_for(10, || ons(rig, "Accounting-On") > on_before), "no Accounting-On at start:\n{}", dmd.log());
    dmd.stop()?;
    ensure!(wait_for(10, || ons(rig, "Accounting-Off") > off_before), "no Accounting-Off at the clean stop:\n{}", dmd.log());
    Ok(())
}

/// A Disconnect-Request for alice, hand-built and signed, with `identifier`.
fn disconnect_alice(identifier: u8) -> Result<Vec<u8>, String> {
    let mut attrs = AttributeList::new();
    attrs.text(attr::USER_NAME, "ppp-alice").text(attr::NAS_IDENTIFIER, "vm-bras");
    dynauth::encode_request(code::DISCONNECT_REQUEST, identifier, &attrs, SECRET.as_bytes(), true).map_err(|e| e.to_string())
}

/// A captured Disconnect-Request for alice, replayed from another source
/// port within the window, does not end her next session: it gets the
/// answer already sent and nothing is done. A fresh request does end it.
/// (Keyed on the source port, the replay was a new request.)
pub fn dm_replay_from_another_port(rig: &Rig, name: &str) -> Result<(), String> {
    let mut first = Session::start(rig, &format!("{name}-first"), "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "the first session never reached IP up\n{}", first.logs());
    let mut dmd = Dmd::start(rig, name)?;
    let captured = disconnect_alice(91)?;
    let port_a = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let answer = exchange(&port_a, &captured).ok_or("no answer to the Disconnect-Request")?;
    ensure!(answer[0] == code::DISCONNECT_ACK, "not a Disconnect-ACK: code {}", answer[0]);
    ensure!(first.wait_exit(15).is_some(), "the first session did not end\n{}", first.logs());

    let _ = std::fs::remove_dir_all(&rig.seen);
    let mut next = Session::start(rig, &format!("{name}-next"), "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "the next session never reached IP up\n{}", next.logs());
    let next_id = session_id_of(rig, "ppp0")?;
    let dups_before = counter(rig, "duplicates");
    let port_b = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let replayed = exchange(&port_b, &captured).ok_or("no answer to the replay")?;
    ensure!(replayed == answer, "the replay got another answer than the original");
    ensure!(counter(rig, "duplicates") == dups_before + 1, "the replay was not taken as a duplicate");
    ensure!(next.wait_exit(3).is_none(), "the replayed request ended the next session\n{}", dmd.log());
    ensure!(!rig.records(&next_id).iter().any(|r| r.contains("Acct-Status-Type = Stop")), "the next session has a Stop");

    let fresh = exchange(&port_b, &disconnect_alice(92)?).ok_or("no answer to the fresh request")?;
    ensure!(fresh[0] == code::DISCONNECT_ACK, "the fresh request got code {}", fresh[0]);
    ensure!(next.wait_exit(15).is_some(), "a fresh Disconnect-Request did not end the next session\n{}", next.logs());
    dmd.stop()
}

/// A burst of 30 CoA-Requests for one session, sent faster than pppd takes
/// them: every one is answered — CoA-ACK for those that waited on pppd, a
/// CoA-NAK with Error-Cause Resources-Unavailable (506) beyond the limit
/// of requests in flight — none is dropped.
pub fn dm_coa_burst_answered(rig: &Rig, name: &str) -> Result<(), String> {
    let a = Session::start(rig, name, "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session never reached IP up\n{}", a.logs());
    let mut dmd = Dmd::start(rig, name)?;
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let burst = 30u8;
    for id in 1..=burst {
        let mut attrs = AttributeList::new();
        attrs.text(attr::USER_NAME, "ppp-alice").integer(attr::SESSION_TIMEOUT, 3600);
        let request = dynauth::encode_request(code::COA_REQUEST, id, &attrs, SECRET.as_bytes(), true).map_err(|e| e.to_string())?;
        socket.send_to(&request, ("127.0.0.1", PORT)).map_err(|e| e.to_string())?;
    }
    socket.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut answers = std::collections::BTreeMap::new();
    let mut buf = [0u8; 4096];
    while answers.len() < usize::from(burst) {
        let Ok(n) = socket.recv(&mut buf) else { break };
        let nak_506 = buf[0] == code::COA_NAK && buf[..n].windows(6).any(|w| w == [101, 6, 0, 0, 1, 250]);
        answers.insert(buf[1], (buf[0], nak_506));
    }
    ensure!(answers.len() == usize::from(burst), "only {} of {burst} CoA-Requests were answered:\n{}", answers.len(), dmd.log());
    let acks = answers.values().filter(|(c, _)| *c == code::COA_ACK).count();
    let busy = answers.values().filter(|(_, nak_506)| *nak_506).count();
    ensure!(acks >= 1 && busy >= 1, "{acks} ACKs and {busy} NAK 506 in {burst} answers: {answers:?}");
    ensure!(acks + busy == usize::from(burst), "an answer was neither ACK nor NAK 506: {answers:?}");
    dmd.stop()
}

/// Where the rig's plugin and daemon spool accounting (`[accounting] spool_dir`).
pub const SPOOL_DIR: &str = "/run/radius_rs/spool";

/// The records of `id` in the detail file, with their positions in it.
fn positioned(rig: &Rig, id: &str) -> Vec<(usize, String)> {
    let detail = rig.fr.detail("modern");
    detail
        .split("\n\n")
        .enumerate()
        .filter(|(_, r)| r.contains(&format!("Acct-Session-Id = \"{id}\"")))
        .map(|(i, r)| (i, r.to_string()))
        .collect()
}

fn value_of(record: &str, key: &str) -> Option<String> {
    record.lines().find_map(|l| l.trim().strip_prefix(key).and_then(|r| r.strip_prefix(" = "))).map(|v| v.trim_matches('"').to_string())
}

/// FreeRADIUS stopped: two locally authenticated pppd sessions start and
/// end; a RADIUS session that began before the outage sends its
/// Interim-Updates and is killed with SIGKILL. Everything is spooled.
/// radius-rs-dmd, started during the outage (the box "rebooted" with a
/// stale registry), spools the killed session's Stop with its last counters
/// and an Accounting-On. FreeRADIUS back: every record arrives exactly
/// once, in order per session, the Starts' Acct-Delay-Time covering the
/// outage, the Stop's counters those of the last Interim-Update.
pub fn dm_spool_outage(rig: &Rig, name: &str) -> Result<(), String> {
    rig::shell(&format!("rm -rf {SPOOL_DIR}"))?;
    let mut a = Session::start(rig, &format!("{name}-a"), "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "session A never reached IP up\n{}", a.logs());
    let id_a = session_id_of(rig, "ppp0")?;
    let ons = |rig: &Rig| rig.fr.detail("modern").matches("Acct-Status-Type = Accounting-On").count();
    let on_before = ons(rig);
    rig.fr.stop();
    let outage = std::time::Instant::now();

    let mut b = Session::start(rig, &format!("{name}-b"), "require-pap 10.65.0.1:10.65.0.52", "user local-pap password local-pap-pw");
    ensure!(rig.wait_up("ppp1", 40), "local session B never reached IP up\n{}", b.logs());
    // Each Start was made before its ip-up script ran: it waits at least from here.
    let b_up = std::time::Instant::now();
    let mut c = Session::start(rig, &format!("{name}-c"), "require-chap 10.65.0.1:10.65.0.50", "user local-chap password \"local chap pw\"");
    ensure!(rig.wait_up("ppp2", 40), "local session C never reached IP up\n{}", c.logs());
    let c_up = std::time::Instant::now();
    let (id_b, id_c) = (session_id_of(rig, "ppp1")?, session_id_of(rig, "ppp2")?);
    // A's Interim-Updates (every 2 s) are spooled behind nothing: its Start was delivered.
    let spool = radius_core::spool::Spool::open_dir(std::path::Path::new(SPOOL_DIR), 1000).map_err(|e| e.to_string())?;
    let interims_of_a = |spool: &radius_core::spool::Spool| {
        spool.entries().unwrap_or_default().iter().filter(|e| e.kind == radius_core::spool::Kind::Interim).count()
    };
    ensure!(wait_for(15, || interims_of_a(&spool) >= 2), "A's Interim-Updates were not spooled:\n{}", a.logs());
    rig::shell(&format!("kill -9 {}", a.pid()))?;
    ensure!(a.wait_exit(5).is_some(), "pppd survived kill -9");
    ensure!(b.hang_up().is_some() && c.hang_up().is_some(), "the local sessions did not end");

    let mut dmd = Dmd::start(rig, name)?;
    ensure!(
        wait_for(15, || dmd.log().contains(&format!("session {id_a}): pppd")) && dmd.log().contains("Accounting-On not delivered now")),
        "the daemon did not spool the lost Stop and Accounting-On:\n{}",
        dmd.log()
    );
    std::thread::sleep(Duration::from_secs(3).saturating_sub(outage.elapsed()));
    let restarted = std::time::Instant::now();
    rig.fr.restart();
    ensure!(
        wait_for(30, || spool.entries().map(|e| e.is_empty()).unwrap_or(false) && ons(rig) > on_before),
        "the spool was not drained: {:?}\n{}",
        spool.entries(),
        dmd.log()
    );
    std::thread::sleep(Duration::from_secs(2)); // a duplicate would have arrived by now
    let status = |r: &str| value_of(r, "Acct-Status-Type").unwrap_or_default();
    for (id, up) in [(&id_b, b_up), (&id_c, c_up)] {
        let records = positioned(rig, id);
        let kinds: Vec<String> = records.iter().map(|(_, r)| status(r)).collect();
        ensure!(kinds == ["Start", "Stop"], "local session {id}: {kinds:?} (one Start then one Stop)");
        let delay: u64 = value_of(&records[0].1, "Acct-Delay-Time").and_then(|d| d.parse().ok()).unwrap_or(0);
        // It waited at least from its ip-up until FreeRADIUS was back.
        let waited = restarted.duration_since(up).as_secs();
        ensure!(waited >= 1 && delay + 1 >= waited, "{id}: Start's Acct-Delay-Time {delay}, spooled {waited}s before FreeRADIUS came back");
        ensure!(records[0].1.contains("Acct-Authentic = Local"), "{}", records[0].1);
    }
    let records = positioned(rig, &id_a);
    let kinds: Vec<String> = records.iter().map(|(_, r)| status(r)).collect();
    ensure!(kinds.first().map(String::as_str) == Some("Start") && kinds.last().map(String::as_str) == Some("Stop"), "A: {kinds:?}");
    ensure!(kinds.iter().filter(|k| *k == "Stop").count() == 1 && kinds.iter().filter(|k| *k == "Start").count() == 1, "A: {kinds:?}");
    let stop = &records.last().unwrap().1;
    ensure!(stop.contains("Acct-Terminate-Cause = Lost-Service"), "A's Stop: {stop}");
    let last_interim = &records.iter().rev().find(|(_, r)| status(r) == "Interim-Update").ok_or("no Interim-Update of A arrived")?.1;
    for counter in ["Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Packets"] {
        ensure!(
            value_of(stop, counter) == value_of(last_interim, counter),
            "A's Stop {counter} {:?}, its last Interim {:?}",
            value_of(stop, counter),
            value_of(last_interim, counter)
        );
    }
    ensure!(ons(rig) == on_before + 1, "Accounting-On arrived {} times", ons(rig) - on_before);
    let last_stop = records.last().unwrap().0;
    let on_at = rig.fr.detail("modern").split("\n\n").enumerate().filter(|(_, r)| r.contains("Acct-Status-Type = Accounting-On")).map(|(i, _)| i).last();
    ensure!(on_at > Some(last_stop), "Accounting-On overtook the Stops spooled before it");
    dmd.stop()
}
