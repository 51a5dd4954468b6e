//! Retry and failover logic against a scripted network (no sockets, no waiting).

use super::*;
use crate::auth::Credentials;
use crate::config::Config;
use crate::log::NullLog;
use crate::packet::request;
use crate::secret::Secret;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;

/// What the scripted server does with each datagram sent to it.
#[derive(Clone, Copy, Debug)]
enum Script {
    Silent,
    Refuse,
    AcceptWithMa,
}

#[derive(Default)]
struct Log_ {
    sent: Sent,
}

struct FakeNetwork {
    scripts: std::collections::HashMap<SocketAddr, Script>,
    log: Rc<RefCell<Log_>>,
}

struct FakeLink {
    to: SocketAddr,
    script: Script,
    pending: VecDeque<Vec<u8>>,
    log: Rc<RefCell<Log_>>,
}

impl Network for FakeNetwork {
    type Link = FakeLink;
    fn open(&mut self, to: SocketAddr, _: Option<IpAddr>, _: Option<&str>) -> io::Result<FakeLink> {
        Ok(FakeLink { to, script: self.scripts[&to], pending: VecDeque::new(), log: self.log.clone() })
    }
}

impl Link for FakeLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.log.borrow_mut().sent.push((self.to, bytes.to_vec()));
        self.pending.push_back(bytes.to_vec());
        Ok(())
    }
    fn recv(&mut self, buf: &mut [u8], _: Duration) -> Received {
        let Some(req_bytes) = self.pending.pop_front() else { return Received::TimedOut };
        match self.script {
            Script::Silent => Received::TimedOut,
            Script::Refuse => Received::Unreachable,
            Script::AcceptWithMa => {
                let (h, _) = packet::wire::header(&req_bytes).unwrap();
                let req = EncodedRequest {
                    kind: RequestKind::Access,
                    identifier: h.identifier,
                    authenticator: h.authenticator,
                    bytes: req_bytes.clone(),
                };
                let reply = crate::packet::reply::tests::server_reply(&req, 2, &[], true, b"a-long-enough-secret");
                buf[..reply.len()].copy_from_slice(&reply);
                Received::Datagram { len: reply.len(), from: self.to }
            }
        }
    }
}

struct Pap;
impl RequestFactory for Pap {
    fn encode(&mut self, server: &Server, id: u8) -> Result<EncodedRequest, request::EncodeError> {
        request::access_request(id, &[], &Credentials::pap(Secret::from("pw")), server.secret.expose())
    }
}

fn config(dir: &Path) -> Config {
    let text = format!(
        "[client]\nstate_dir = \"{}\"\nretries = 2\n[[server]]\naddress = \"127.0.0.1\"\nauth_port = 1\nsecret = \"a-long-enough-secret\"\n\
         [[server]]\naddress = \"127.0.0.1\"\nauth_port = 2\nsecret = \"a-long-enough-secret\"\n",
        dir.display()
    );
    Config::from_toml(&text, Path::new("t.toml")).unwrap()
}

type Sent = Vec<(SocketAddr, Vec<u8>)>;

fn run(scripts: &[(u16, Script)], dir: &Path) -> (Result<Answer, ExchangeError>, Sent) {
    let cfg = config(dir);
    let counters = Counters::new(dir);
    let dead = dead::DeadMarks::new(dir);
    let ctx = ExchangeContext { counters: &counters, dead: &dead, log: &NullLog, src_address: None, retries: 2, dead_time: Duration::from_secs(30) };
    let log = Rc::new(RefCell::new(Log_::default()));
    let mut net = FakeNetwork {
        scripts: scripts.iter().map(|(p, s)| (SocketAddr::from(([127, 0, 0, 1], *p)), *s)).collect(),
        log: log.clone(),
    };
    let servers: Vec<&Server> = cfg.servers.iter().collect();
    let r = exchange(&mut net, &ctx, &servers, RequestKind::Access, &mut Pap);
    let sent = log.borrow().sent.clone();
    (r, sent)
}

/// A silent first server gets 1 + retries identical tries (same Identifier and authenticator), then the second answers.
#[test]
fn silent_server_retries_identically_then_fails_over() {
    let dir = tempfile::tempdir().unwrap();
    let (r, sent) = run(&[(1, Script::Silent), (2, Script::AcceptWithMa)], dir.path());
    assert_eq!(r.unwrap().server_index, 1);
    let to_first: Vec<_> = sent.iter().filter(|(a, _)| a.port() == 1).collect();
    assert_eq!(to_first.len(), 3);
    assert!(to_first.iter().all(|(_, b)| b == &to_first[0].1), "retries must be byte-identical");
}

/// A refusing first server is left after one try; the next process skips it without sending.
#[test]
fn refused_server_is_left_at_once_and_skipped_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let (r, sent) = run(&[(1, Script::Refuse), (2, Script::AcceptWithMa)], dir.path());
    assert_eq!(r.unwrap().server_index, 1);
    assert_eq!(sent.iter().filter(|(a, _)| a.port() == 1).count(), 1);
    let (r, sent) = run(&[(1, Script::Refuse), (2, Script::AcceptWithMa)], dir.path());
    assert_eq!(r.unwrap().server_index, 1);
    assert_eq!(sent.iter().filter(|(a, _)| a.port() == 1).count(), 0, "dead server must be skipped");
}

/// When every server is dead they are still tried, and the failure lists each.
#[test]
fn all_dead_are_still_tried() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = run(&[(1, Script::Refuse), (2, Script::Silent)], dir.path());
    let ExchangeError::Failed(f) = r.unwrap_err() else { panic!("expected Failed") };
    assert_eq!(f.attempts.len(), 2);
    let (r, sent) = run(&[(1, Script::Refuse), (2, Script::AcceptWithMa)], dir.path());
    assert!(r.is_ok());
    assert!(sent.iter().any(|(a, _)| a.port() == 2));
}
