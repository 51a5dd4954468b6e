//! The exchange logic against scripted servers on a fake clock: no
//! sockets, no waiting. Each server answers (or not) as a real one would:
//! silent, refusing, answering after a delay, answering Status-Server or not.

use super::*;
use crate::auth::Credentials;
use crate::config::Config;
use crate::counters::Snapshot;
use crate::log::Log;
use crate::packet::{attr, request, wire};
use crate::secret::Secret;
use crate::state::{MemoryState, Record};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

const SECRET: &[u8] = b"a-long-enough-secret";

/// How a scripted server behaves.
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Reads everything, answers nothing.
    Silent,
    /// Its host answers with ICMP port unreachable.
    Refuse,
    /// Answers the request with `code` `after` its first copy arrived;
    /// answers Status-Server at once when `status`; signs with MA when `signs`.
    Answer { code: u8, after: Duration, status: bool, signs: bool },
    /// Answers Status-Server for `alive_for`, then goes silent; never answers the request.
    DiesWhileWorking { alive_for: Duration },
    /// Another host sends an ICMP port unreachable about our datagram; the server itself is silent.
    ForeignIcmp,
    /// (A stream.) Closes the connection as soon as anything is read: a
    /// RadSec server refusing our certificate after a TLS 1.3 handshake.
    Closes,
}

/// The fake clock shared by the network and its links.
#[derive(Clone)]
struct Clock {
    base: Instant,
    offset: Rc<RefCell<Duration>>,
}

impl Clock {
    fn now(&self) -> Instant {
        self.base + *self.offset.borrow()
    }
    fn elapsed(&self) -> Duration {
        *self.offset.borrow()
    }
    fn advance_to(&self, t: Duration) {
        let mut o = self.offset.borrow_mut();
        if t > *o {
            *o = t;
        }
    }
}

/// Everything sent, by whom, when.
type Sent = Rc<RefCell<Vec<(Duration, SocketAddr, Vec<u8>)>>>;

struct FakeNetwork {
    clock: Clock,
    scripts: HashMap<SocketAddr, Script>,
    sent: Sent,
    /// Links are streams (RadSec).
    stream: bool,
    /// Opens refused as "busy" (a server at its connection limit) before one succeeds.
    busy: u32,
    opens: u32,
}

struct FakeLink {
    stream: bool,
    to: SocketAddr,
    script: Script,
    clock: Clock,
    sent: Sent,
    /// Scheduled deliveries: (at, what).
    queue: Vec<(Duration, Delivery)>,
    first_seen: HashMap<u8, Duration>,
}

enum Delivery {
    Datagram(Vec<u8>, SocketAddr),
    Icmp { from: IpAddr, about: SocketAddr },
}

impl Network for FakeNetwork {
    type Link = FakeLink;
    fn open(&mut self, _: &Server, to: SocketAddr, _: Option<IpAddr>) -> Result<FakeLink, OpenError> {
        self.opens += 1;
        if self.busy > 0 {
            self.busy -= 1;
            return Err(OpenError::Busy);
        }
        Ok(FakeLink {
            stream: self.stream,
            to,
            script: self.scripts[&to],
            clock: self.clock.clone(),
            sent: self.sent.clone(),
            queue: Vec::new(),
            first_seen: HashMap::new(),
        })
    }
    fn now(&self) -> Instant {
        self.clock.now()
    }
    fn pause(&mut self, pause: Duration) {
        self.clock.advance_to(self.clock.elapsed() + pause);
    }
    fn wall_clock(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000) + self.clock.elapsed()
    }
}

fn reply_to(bytes: &[u8], code: u8, signs: bool) -> Vec<u8> {
    let (h, _) = wire::header(bytes).unwrap();
    let kind = match h.code {
        code::STATUS_SERVER => RequestKind::StatusServer,
        code::ACCOUNTING_REQUEST => RequestKind::Accounting,
        _ => RequestKind::Access,
    };
    let req = EncodedRequest { kind, identifier: h.identifier, authenticator: h.authenticator, bytes: bytes.to_vec() };
    crate::packet::reply::tests::server_reply(&req, code, &[], signs, SECRET)
}

impl Link for FakeLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let now = self.clock.elapsed();
        self.sent.borrow_mut().push((now, self.to, bytes.to_vec()));
        let (h, _) = wire::header(bytes).unwrap();
        let status = h.code == code::STATUS_SERVER;
        let status_code = if self.to.port() % 2 == 1 { code::ACCESS_ACCEPT } else { code::ACCOUNTING_RESPONSE };
        let ok = |code| reply_to(bytes, code, true);
        match self.script {
            Script::Silent | Script::Closes => {}
            Script::Refuse => self.queue.push((now, Delivery::Icmp { from: self.to.ip(), about: self.to })),
            Script::ForeignIcmp => {
                if let (false, std::collections::hash_map::Entry::Vacant(e)) = (status, self.first_seen.entry(h.identifier)) {
                    e.insert(now);
                    let from = IpAddr::from([127, 0, 0, 2]);
                    self.queue.push((now + Duration::from_millis(1), Delivery::Icmp { from, about: self.to }));
                }
            }
            Script::Answer { code, after, status: answers_status, signs } => {
                if status {
                    if answers_status {
                        self.queue.push((now + Duration::from_millis(1), Delivery::Datagram(reply_to(bytes, status_code, signs), self.to)));
                    }
                } else if let std::collections::hash_map::Entry::Vacant(e) = self.first_seen.entry(h.identifier) {
                    // Duplicates of a request in progress are dropped, as FreeRADIUS does.
                    e.insert(now);
                    self.queue.push((now + after, Delivery::Datagram(reply_to(bytes, code, signs), self.to)));
                }
            }
            Script::DiesWhileWorking { alive_for } => {
                if status && now < alive_for {
                    self.queue.push((now + Duration::from_millis(1), Delivery::Datagram(ok(status_code), self.to)));
                }
            }
        }
        Ok(())
    }

    fn source_ip(&mut self) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, 7]))
    }

    fn reliable(&self) -> bool {
        self.stream
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received {
        if matches!(self.script, Script::Closes) {
            return Received::Closed(None);
        }
        let now = self.clock.elapsed();
        let limit = now + timeout;
        let next = self.queue.iter().enumerate().filter(|(_, (at, _))| *at <= limit).min_by_key(|(_, (at, _))| *at).map(|(i, _)| i);
        let Some(i) = next else {
            self.clock.advance_to(limit);
            return Received::TimedOut;
        };
        let (at, what) = self.queue.remove(i);
        self.clock.advance_to(at);
        match what {
            Delivery::Datagram(bytes, from) => {
                buf[..bytes.len()].copy_from_slice(&bytes);
                Received::Datagram { len: bytes.len(), from }
            }
            Delivery::Icmp { from, about } => Received::IcmpError { port_unreachable: true, from: Some(from), about: Some(about) },
        }
    }
}

struct Pap;
impl RequestFactory for Pap {
    fn encode(&mut self, server: &Server, id: u8, _: &mut dyn FnMut() -> Option<IpAddr>) -> Result<EncodedRequest, EncodeError> {
        request::access_request(id, &AttributeList::new(), &Credentials::pap(Secret::from("pw")), server.secret.expose())
    }
}

/// A log that keeps its lines.
#[derive(Default, Clone)]
struct Lines(Rc<RefCell<Vec<String>>>);
impl Log for Lines {
    fn log(&self, level: Level, message: &str) {
        self.0.borrow_mut().push(format!("{level:?}: {message}"));
    }
}
impl Lines {
    fn contains(&self, needle: &str) -> bool {
        self.0.borrow().iter().any(|l| l.contains(needle))
    }
}

/// Two servers on 127.0.0.1 ports 1 and 3 (odd: auth), `server` settings appended to each.
fn config(server: &str) -> Config {
    let text = format!(
        "[client]\nretries = 2\ntimeout = \"300ms\"\n\
         [[server]]\naddress = \"127.0.0.1\"\nauth_port = 1\nsecret = \"a-long-enough-secret\"\n{server}\n\
         [[server]]\naddress = \"127.0.0.1\"\nauth_port = 3\nsecret = \"a-long-enough-secret\"\n{server}\n"
    );
    Config::from_toml(&text, Path::new("t.toml")).unwrap()
}

struct Run {
    result: Result<Answer, ExchangeError>,
    sent: Vec<(Duration, SocketAddr, Vec<u8>)>,
    took: Duration,
    log: Lines,
}

impl Run {
    fn to(&self, port: u16, code: u8) -> Vec<&(Duration, SocketAddr, Vec<u8>)> {
        self.sent.iter().filter(|(_, a, b)| a.port() == port && b[0] == code).collect()
    }
}

fn run_with(cfg: &Config, state: &dyn SharedState, scripts: &[(u16, Script)], max_wait: Duration) -> Run {
    run_on(cfg, state, scripts, max_wait, false, 0).0
}

/// As [`run_with`], over streams when `stream`, the first `busy` opens
/// refused as busy; also how many opens there were.
fn run_on(cfg: &Config, state: &dyn SharedState, scripts: &[(u16, Script)], max_wait: Duration, stream: bool, busy: u32) -> (Run, u32) {
    run_sending_into(cfg, state, scripts, max_wait, stream, busy, Rc::default())
}

/// As [`run_on`], what is sent going into `sent` as it is sent.
fn run_sending_into(
    cfg: &Config,
    state: &dyn SharedState,
    scripts: &[(u16, Script)],
    max_wait: Duration,
    stream: bool,
    busy: u32,
    sent: Sent,
) -> (Run, u32) {
    let log = Lines::default();
    let ctx = ExchangeContext {
        state,
        log: &log,
        src_address: None,
        retries: cfg.client.retries,
        dead_time: Duration::from_secs(30),
        max_wait,
        nas_identifier: Some("nas"),
    };
    let clock = Clock { base: Instant::now(), offset: Rc::new(RefCell::new(Duration::ZERO)) };
    let mut net = FakeNetwork {
        clock: clock.clone(),
        scripts: scripts.iter().map(|(p, s)| (SocketAddr::from(([127, 0, 0, 1], *p)), *s)).collect(),
        sent: sent.clone(),
        stream,
        busy,
        opens: 0,
    };
    let servers: Vec<&Server> = cfg.servers.iter().collect();
    let result = exchange(&mut net, &ctx, &servers, RequestKind::Access, &mut Pap);
    let sent = sent.borrow().clone();
    (Run { result, sent, took: clock.elapsed(), log }, net.opens)
}

/// Over a stream (RadSec) the request goes out once, never again (RFC
/// 6614 2.2), while Status-Server still tells a working server (the
/// delayed Reject comes) from a dead one (silent: dead after the same
/// waits as over UDP, the next server asked).
#[test]
fn on_a_stream_the_request_is_sent_once_and_status_server_still_watches() {
    let state = MemoryState::new();
    let reject = Script::Answer { code: code::ACCESS_REJECT, after: Duration::from_secs(1), status: true, signs: true };
    let (r, _) = run_on(&config(""), &state, &[(1, reject), (3, Script::Silent)], Duration::from_secs(60), true, 0);
    assert_eq!(r.result.as_ref().unwrap().reply.code, code::ACCESS_REJECT);
    assert_eq!(r.to(1, code::ACCESS_REQUEST).len(), 1, "no RADIUS-level retransmission on a stream");
    assert!(!r.to(1, code::STATUS_SERVER).is_empty());
    assert_eq!(counters_of(&state, &config(""), 0).get(Counter::Resends), 0);

    let state = MemoryState::new();
    let (r, _) = run_on(&config(""), &state, &[(1, Script::Silent), (3, accept_after(Duration::from_millis(2)))], Duration::from_secs(60), true, 0);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert_eq!(r.to(1, code::ACCESS_REQUEST).len(), 1);
    assert_eq!(r.to(1, code::STATUS_SERVER).len(), 3);
    assert_eq!(r.took, Duration::from_millis(1200 + 2));
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_some());
}

/// A server at its connection limit is alive: asked again after 0.5 s,
/// 1 s, 2 s … (each up to half as much again at random) and used once it
/// takes the connection, never marked dead; one that stays full until
/// max_wait runs out fails as busy, not dead.
#[test]
fn a_server_at_its_connection_limit_is_asked_again_with_back_off() {
    let state = MemoryState::new();
    let (r, opens) = run_on(&config(""), &state, &[(1, accept_after(Duration::from_millis(2))), (3, Script::Silent)], Duration::from_secs(60), true, 3);
    assert_eq!(r.result.as_ref().unwrap().server_index, 0);
    assert_eq!(opens, 4);
    assert!(r.took >= Duration::from_millis(3500 + 2) && r.took <= Duration::from_millis(5250 + 2), "{:?}", r.took);
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_none());

    let state = MemoryState::new();
    let (r, _) = run_on(&config(""), &state, &[(1, Script::Silent), (3, Script::Silent)], Duration::from_secs(5), true, u32::MAX);
    let Err(ExchangeError::Failed(f)) = &r.result else { panic!("expected Failed") };
    assert!(matches!(f.attempts[..], [(_, ServerFailure::Busy { .. })]), "{f}");
    assert!(f.to_string().contains("connection limit"), "{f}");
    assert!(r.took <= Duration::from_secs(5));
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_none(), "busy is not dead");
}

/// A stream closed before any answer (a RadSec server refusing our
/// certificate) is a TLS failure: counted, the server dead, the next asked
/// at once, and the log says so rather than "no answer".
#[test]
fn a_stream_closed_before_any_answer_is_a_refusal_not_a_timeout() {
    let state = MemoryState::new();
    let (r, _) = run_on(&config(""), &state, &[(1, Script::Closes), (3, accept_after(Duration::from_millis(2)))], Duration::from_secs(60), true, 0);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert_eq!(r.took, Duration::from_millis(2));
    assert!(r.log.contains("refused our certificate") && r.log.contains("marking it dead"), "{:?}", r.log.0.borrow());
    let c = counters_of(&state, &config(""), 0);
    assert_eq!((c.get(Counter::TlsFailures), c.get(Counter::Timeouts), c.get(Counter::Pending)), (1, 0, 0));
}

fn run(scripts: &[(u16, Script)], state: &MemoryState) -> Run {
    run_with(&config(""), state, scripts, Duration::from_secs(60))
}

fn counters_of(state: &MemoryState, cfg: &Config, i: usize) -> Snapshot {
    counters::snapshot(state, &cfg.servers[i]).unwrap()
}

fn accept_after(after: Duration) -> Script {
    Script::Answer { code: code::ACCESS_ACCEPT, after, status: true, signs: true }
}

/// A silent first server gets 1 + retries identical tries (same Identifier
/// and authenticator) and Status-Server probes, then is dead; the second answers.
/// Detecting it costs (retries + 2) × timeout.
#[test]
fn silent_server_retries_identically_probes_then_fails_over() {
    let state = MemoryState::new();
    let r = run(&[(1, Script::Silent), (3, accept_after(Duration::from_millis(2)))], &state);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    let tries = r.to(1, code::ACCESS_REQUEST);
    assert_eq!(tries.len(), 3);
    assert!(tries.iter().all(|(_, _, b)| *b == tries[0].2), "retries must be byte-identical");
    assert_eq!(r.to(1, code::STATUS_SERVER).len(), 3, "one probe after each unanswered try");
    assert_eq!(r.took, Duration::from_millis(1200 + 2));
    let c = counters_of(&state, &config(""), 0);
    assert_eq!((c.get(Counter::Requests), c.get(Counter::Resends), c.get(Counter::Timeouts), c.get(Counter::Pending)), (1, 2, 3, 0));
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_some(), "the silent server is marked dead");
}

/// Every server down: the first failure of each is a warning that marks it
/// dead; while it stays dead (tried anyway, as every server is), its
/// failures say "still dead" at debug level, not a warning per request.
#[test]
fn a_server_still_dead_is_not_warned_about_again() {
    let state = MemoryState::new();
    let first = run(&[(1, Script::Silent), (3, Script::Silent)], &state);
    assert!(first.result.is_err());
    assert!(first.log.contains("Warning: RADIUS server 127.0.0.1 (127.0.0.1:1): ") && first.log.contains("marking it dead"), "{:?}", first.log.0.borrow());
    let again = run(&[(1, Script::Silent), (3, Script::Silent)], &state);
    assert!(again.result.is_err());
    assert!(!again.log.contains("Warning: RADIUS server"), "{:?}", again.log.0.borrow());
    assert!(again.log.contains("Debug: RADIUS server 127.0.0.1 (127.0.0.1:1): ") && again.log.contains("still dead"), "{:?}", again.log.0.borrow());
}

/// A stock FreeRADIUS delays its Reject by a second: a Reject it is, after
/// the server answered the probe; no timeout failure and no dead mark.
#[test]
fn delayed_reject_is_a_reject() {
    let state = MemoryState::new();
    let reject = Script::Answer { code: code::ACCESS_REJECT, after: Duration::from_secs(1), status: true, signs: true };
    let r = run(&[(1, reject), (3, Script::Silent)], &state);
    let answer = r.result.as_ref().unwrap();
    assert_eq!((answer.reply.code, answer.server_index), (code::ACCESS_REJECT, 0));
    assert_eq!(r.took, Duration::from_secs(1));
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_none());
    assert!(r.to(3, code::ACCESS_REQUEST).is_empty(), "the second server is never asked");
    let c = counters_of(&state, &config(""), 0);
    assert_eq!((c.get(Counter::Rejects), c.get(Counter::SlowAnswers), c.get(Counter::Timeouts)), (1, 1, 0), "a wait on a working server is no timeout");
    assert!(r.log.contains("was slow: Access-Reject after 1s"));
}

/// A push-MFA back end answering after 8 s is waited for; the request is
/// resent with back-off (not every 300 ms) and the server probed meanwhile.
#[test]
fn working_server_is_waited_for_with_backoff() {
    let state = MemoryState::new();
    let r = run(&[(1, accept_after(Duration::from_secs(8))), (3, Script::Silent)], &state);
    assert_eq!(r.result.as_ref().unwrap().reply.code, code::ACCESS_ACCEPT);
    assert_eq!(r.took, Duration::from_secs(8));
    let copies: Vec<Duration> = r.to(1, code::ACCESS_REQUEST).iter().map(|(t, _, _)| *t).collect();
    // 0, 0.3 (the first retry, before the probe answered), then gaps of 0.6, 1.2, 2.4, 4.8 s.
    let gaps: Vec<Duration> = copies.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.windows(2).skip(1).all(|g| g[1] >= g[0] * 2 || g[1] == MAX_RESEND_GAP), "no back-off: {gaps:?}");
    assert!(copies.len() <= 6, "a slow server is not flooded: {copies:?}");
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_none());
}

/// The service's limit applies: a server still working at the limit is
/// too slow this time, not dead, and the exchange ends.
#[test]
fn working_server_past_the_limit_is_not_dead() {
    let state = MemoryState::new();
    let r = run_with(&config(""), &state, &[(1, accept_after(Duration::from_secs(70))), (3, accept_after(Duration::ZERO))], Duration::from_secs(20));
    let Err(ExchangeError::Failed(f)) = &r.result else { panic!("expected Failed") };
    assert!(matches!(f.attempts[..], [(_, ServerFailure::TooSlow { .. })]), "{f}");
    assert_eq!(r.took, Duration::from_secs(20));
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_none(), "slow is not dead");
}

/// A server that stops answering Status-Server while we wait is dead after all.
#[test]
fn server_dying_while_working_is_dead() {
    let state = MemoryState::new();
    let r = run(&[(1, Script::DiesWhileWorking { alive_for: Duration::from_secs(2) }), (3, accept_after(Duration::ZERO))], &state);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert!(r.took < Duration::from_secs(7), "took {:?}", r.took);
    assert!(state.mark(MarkKind::Dead, "127.0.0.1_1").is_some());
}

/// Without Status-Server a slow server cannot be told from a dead one:
/// its waits grow (300, 600, 1200 ms), so a Reject delayed by a second
/// is still caught, and an 8 s answer is not.
#[test]
fn without_status_server_waits_grow() {
    let cfg = config("status_server = false");
    let state = MemoryState::new();
    let reject = Script::Answer { code: code::ACCESS_REJECT, after: Duration::from_secs(1), status: false, signs: true };
    let r = run_with(&cfg, &state, &[(1, reject), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(r.result.as_ref().unwrap().reply.code, code::ACCESS_REJECT);
    assert!(r.to(1, code::STATUS_SERVER).is_empty());
    let slow = Script::Answer { code: code::ACCESS_ACCEPT, after: Duration::from_secs(8), status: false, signs: true };
    let r = run_with(&cfg, &MemoryState::new(), &[(1, slow), (3, accept_after(Duration::ZERO))], Duration::from_secs(60));
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert_eq!(r.to(1, code::ACCESS_REQUEST).len(), 3);
    assert_eq!(r.took, Duration::from_millis(300 + 600 + 1200));
}

/// A refusing first server is left after one try; the next exchange skips it without sending.
#[test]
fn refused_server_is_left_at_once_and_skipped_next_time() {
    let state = MemoryState::new();
    let r = run(&[(1, Script::Refuse), (3, accept_after(Duration::ZERO))], &state);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert_eq!(r.to(1, code::ACCESS_REQUEST).len(), 1);
    assert_eq!(r.took, Duration::ZERO, "a closed port costs no wait");
    let r = run(&[(1, Script::Refuse), (3, accept_after(Duration::ZERO))], &state);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert!(r.to(1, code::ACCESS_REQUEST).is_empty(), "dead server must be skipped");
}

/// An ICMP port unreachable from another host does not end the server's turn.
#[test]
fn foreign_icmp_is_ignored() {
    let state = MemoryState::new();
    let r = run(&[(1, Script::ForeignIcmp), (3, accept_after(Duration::ZERO))], &state);
    assert_eq!(r.result.as_ref().unwrap().server_index, 1);
    assert_eq!(r.to(1, code::ACCESS_REQUEST).len(), 3, "the server kept its full turn");
    assert!(r.log.contains("ignored an ICMP port-unreachable from 127.0.0.2"));
    assert!(counters_of(&state, &config(""), 0).get(Counter::BadReplies) >= 1);
}

/// When every server is dead they are still tried, and the failure lists each.
#[test]
fn all_dead_are_still_tried() {
    let state = MemoryState::new();
    let r = run(&[(1, Script::Refuse), (3, Script::Silent)], &state);
    let Err(ExchangeError::Failed(f)) = &r.result else { panic!("expected Failed") };
    assert_eq!(f.attempts.len(), 2);
    let r = run(&[(1, Script::Refuse), (3, accept_after(Duration::ZERO))], &state);
    assert!(r.result.is_ok());
    assert!(!r.to(3, code::ACCESS_REQUEST).is_empty());
}

/// A server seen to sign its replies (not required by the configuration)
/// has its unsigned replies refused from then on, by every process.
#[test]
fn a_server_that_signs_is_held_to_it() {
    let cfg = config("require_message_authenticator = false");
    let state = MemoryState::new();
    let unsigned = Script::Answer { code: code::ACCESS_ACCEPT, after: Duration::ZERO, status: false, signs: false };
    let r = run_with(&cfg, &state, &[(1, unsigned), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(r.result.as_ref().unwrap().server_index, 0, "unsigned is accepted from a server never seen to sign");
    let r = run_with(&cfg, &state, &[(1, accept_after(Duration::ZERO)), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(r.result.as_ref().unwrap().server_index, 0);
    assert!(r.log.contains("signs its replies"));
    let r = run_with(&cfg, &state, &[(1, unsigned), (3, accept_after(Duration::ZERO))], Duration::from_secs(60));
    assert_eq!(r.result.as_ref().unwrap().server_index, 1, "the unsigned reply was refused");
    assert!(r.log.contains("without Message-Authenticator refused"));
}

/// Without a configured address, NAS-IP-Address is the address the
/// request goes out from (no name lookup); a configured one is kept, and
/// accounting gets the same.
#[test]
fn nas_address_is_the_source_unless_configured() {
    use crate::accounting::{AccountingRecord, AcctStatus};
    use crate::client::{AuthRequest, Client, NoChallenge};
    use crate::config::Service;
    let nas_ips = |client_section: &str| {
        let cfg = Config::from_toml(
            &format!("[client]\n{client_section}\n[[server]]\naddress = \"127.0.0.1\"\nauth_port = 1\nacct_port = 3\nsecret = \"a-long-enough-secret\"\n"),
            Path::new("t.toml"),
        )
        .unwrap();
        let clock = Clock { base: Instant::now(), offset: Rc::new(RefCell::new(Duration::ZERO)) };
        let sent: Sent = Rc::default();
        let accept = Script::Answer { code: code::ACCESS_ACCEPT, after: Duration::ZERO, status: true, signs: true };
        let acct = Script::Answer { code: code::ACCOUNTING_RESPONSE, after: Duration::ZERO, status: true, signs: false };
        let net = FakeNetwork {
            clock,
            scripts: [(1, accept), (3, acct)].iter().map(|(p, s)| (SocketAddr::from(([127, 0, 0, 1], *p)), *s)).collect(),
            sent: sent.clone(),
            stream: false,
            busy: 0,
            opens: 0,
        };
        let mut client = Client::with_network(cfg, net, Box::new(MemoryState::new()), Box::new(Lines::default()));
        let request = AuthRequest::new("bob", Credentials::pap(Secret::from("pw")), Service::Login);
        client.authenticate(&request, &mut NoChallenge).unwrap();
        client.account(&AccountingRecord::new(AcctStatus::Start, Service::Login).text(attr::ACCT_SESSION_ID, "S1")).unwrap();
        let sent = sent.borrow();
        sent.iter()
            .filter(|(_, _, b)| b[0] == code::ACCESS_REQUEST || b[0] == code::ACCOUNTING_REQUEST)
            .map(|(_, _, b)| {
                let (_, packet) = wire::header(b).unwrap();
                let attrs = wire::attributes(packet).unwrap();
                let ip = attrs.iter().find(|a| a.typ == attr::NAS_IP_ADDRESS).map(|a| a.value.to_vec());
                (b[0], ip)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(nas_ips(""), vec![(code::ACCESS_REQUEST, Some(vec![192, 0, 2, 7])), (code::ACCOUNTING_REQUEST, Some(vec![192, 0, 2, 7]))]);
    assert_eq!(
        nas_ips("nas_ip_address = \"198.51.100.1\""),
        vec![(code::ACCESS_REQUEST, Some(vec![198, 51, 100, 1])), (code::ACCOUNTING_REQUEST, Some(vec![198, 51, 100, 1]))]
    );
}

/// A store that keeps every record an update left, in order.
#[derive(Default)]
struct Recording {
    inner: MemoryState,
    updates: RefCell<Vec<Record>>,
}

impl SharedState for Recording {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        let r = self.inner.update(name, change)?;
        self.updates.borrow_mut().push(r);
        Ok(r)
    }
    fn read(&self, name: &str) -> Result<Record, StateError> {
        self.inner.read(name)
    }
    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        self.inner.mark(kind, key)
    }
    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        self.inner.set_mark(kind, key, value)
    }
    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        self.inner.clear_mark(kind, key)
    }
}

/// A request answered within PENDING_AFTER costs one counter update (sent
/// and answered together); one that waits longer shows as pending while
/// it waits, and its answer takes it off. Either way each is counted once.
#[test]
fn a_quick_answer_is_one_update_a_slow_one_shows_pending() {
    let quick = Recording::default();
    let r = run_with(&config(""), &quick, &[(1, accept_after(Duration::from_millis(2)))], Duration::from_secs(10));
    assert_eq!(r.result.unwrap().server_index, 0);
    let updates = quick.updates.borrow();
    assert_eq!(updates.len(), 1, "{updates:?}");
    let at = |c: Counter| updates[0][c as usize];
    assert_eq!((at(Counter::Requests), at(Counter::Accepts), at(Counter::Pending), at(Counter::LastRequestRttMicros)), (1, 1, 0, 2000));

    let slow = Recording::default();
    let r = run_with(&config(""), &slow, &[(1, accept_after(Duration::from_millis(200)))], Duration::from_secs(10));
    assert_eq!(r.result.unwrap().server_index, 0);
    let updates = slow.updates.borrow();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!((updates[0][Counter::Requests as usize], updates[0][Counter::Pending as usize]), (1, 1), "pending while it waits");
    assert_eq!((updates[1][Counter::Requests as usize], updates[1][Counter::Accepts as usize], updates[1][Counter::Pending as usize]), (1, 1, 0));

    // Refused at once: sent, counted once, never pending.
    let refused = Recording::default();
    let _ = run_with(&config(""), &refused, &[(1, Script::Refuse), (3, Script::Refuse)], Duration::from_secs(10));
    let c = counters::snapshot(&refused, &config("").servers[0]).unwrap();
    assert_eq!((c.get(Counter::Requests), c.get(Counter::Pending)), (1, 0));
}

/// One server: its dead mark is not read before asking it (it is asked
/// either way), yet a dead server failing again is "still dead" at debug
/// level, not a new warning.
#[test]
fn a_lone_server_still_dead_is_not_warned_about_again() {
    let text = "[client]\nretries = 2\ntimeout = \"300ms\"\n\
                [[server]]\naddress = \"127.0.0.1\"\nauth_port = 1\nsecret = \"a-long-enough-secret\"\n";
    let cfg = Config::from_toml(text, Path::new("t.toml")).unwrap();
    let state = MemoryState::new();
    let first = run_with(&cfg, &state, &[(1, Script::Silent)], Duration::from_secs(60));
    assert!(first.result.is_err());
    assert!(first.log.contains("Warning: RADIUS server") && first.log.contains("marking it dead"), "{:?}", first.log.0.borrow());
    let again = run_with(&cfg, &state, &[(1, Script::Silent)], Duration::from_secs(60));
    assert!(again.result.is_err());
    assert!(!again.log.contains("Warning: RADIUS server"), "{:?}", again.log.0.borrow());
    assert!(again.log.contains("still dead"), "{:?}", again.log.0.borrow());
    let back = run_with(&cfg, &state, &[(1, accept_after(Duration::from_millis(2)))], Duration::from_secs(60));
    assert_eq!(back.result.unwrap().server_index, 0, "a lone dead server is still asked, and its answer taken");
}

/// A store that notes, for each call to it, how many datagrams were out.
struct Watching {
    inner: MemoryState,
    sent: Sent,
    calls: RefCell<Vec<(&'static str, usize)>>,
}

impl Watching {
    fn note(&self, what: &'static str) {
        self.calls.borrow_mut().push((what, self.sent.borrow().len()));
    }
}

impl SharedState for Watching {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        self.note("update");
        self.inner.update(name, change)
    }
    fn read(&self, name: &str) -> Result<Record, StateError> {
        self.note("read");
        self.inner.read(name)
    }
    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        self.note(kind.dir_name());
        self.inner.mark(kind, key)
    }
    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        self.note("set_mark");
        self.inner.set_mark(kind, key, value)
    }
    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        self.note("clear_mark");
        self.inner.clear_mark(kind, key)
    }
    fn prepare(&self, record: &str) -> Option<String> {
        self.note("prepare");
        assert_eq!(record, counters::server_key(&config("").servers[0]));
        Some("state_dir is world-writable".to_string())
    }
}

/// Nothing of the shared store stands between a lone server's request and
/// the wire: the store is readied (and a problem with it said), and
/// whether the server signs is read, once the request is out, while the
/// server works on it.
#[test]
fn the_store_is_readied_while_the_request_is_out() {
    let text = "[client]\nretries = 2\ntimeout = \"300ms\"\n\
                [[server]]\naddress = \"127.0.0.1\"\nauth_port = 1\nsecret = \"a-long-enough-secret\"\n\
                require_message_authenticator = false\n";
    let cfg = Config::from_toml(text, Path::new("t.toml")).unwrap();
    let sent: Sent = Rc::default();
    let state = Watching { inner: MemoryState::new(), sent: sent.clone(), calls: RefCell::default() };
    let (r, _) = run_sending_into(&cfg, &state, &[(1, accept_after(Duration::from_millis(2)))], Duration::from_secs(10), false, 0, sent);
    assert_eq!(r.result.unwrap().server_index, 0);
    // (Its signed answer then marks it as a server that signs.)
    assert_eq!(*state.calls.borrow(), vec![("prepare", 1), ("signs", 1), ("set_mark", 1), ("update", 1)]);
    assert!(r.log.contains("Warning: state_dir: state_dir is world-writable"), "{:?}", r.log.0.borrow());
}

/// A server that sends no Message-Authenticator is said to in the log
/// once an hour for every process sharing the counters, not at every
/// answer; an hour on, it is said again.
#[test]
fn an_unsigned_server_is_said_once_an_hour() {
    let cfg = config("require_message_authenticator = false");
    let state = MemoryState::new();
    let unsigned = Script::Answer { code: code::ACCESS_ACCEPT, after: Duration::ZERO, status: false, signs: false };
    let said = |r: &Run| r.log.0.borrow().iter().filter(|l| l.contains("sent no Message-Authenticator")).count();
    let first = run_with(&cfg, &state, &[(1, unsigned), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(first.result.as_ref().unwrap().server_index, 0);
    assert_eq!(said(&first), 1, "{:?}", first.log.0.borrow());
    assert!(first.log.contains("Warning: server 127.0.0.1 (127.0.0.1:1) sent no Message-Authenticator"), "{:?}", first.log.0.borrow());
    let again = run_with(&cfg, &state, &[(1, unsigned), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(said(&again), 0, "{:?}", again.log.0.borrow());
    let key = counters::server_key(&cfg.servers[0]);
    state.update(&key, &mut |r| r[counters::UNSIGNED_SAID] -= counters::UNSIGNED_SAID_EVERY).unwrap();
    let later = run_with(&cfg, &state, &[(1, unsigned), (3, Script::Silent)], Duration::from_secs(60));
    assert_eq!(said(&later), 1, "{:?}", later.log.0.borrow());
    let signed = run_with(&config(""), &MemoryState::new(), &[(1, accept_after(Duration::ZERO))], Duration::from_secs(60));
    assert_eq!(said(&signed), 0, "{:?}", signed.log.0.borrow());
}
