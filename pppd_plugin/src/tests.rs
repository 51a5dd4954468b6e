//! The plugin's flow against a fake pppd ([`FakeHost`]) and a scripted
//! RADIUS client ([`FakeRadius`]): who decides, what is applied, what is
//! recorded and sent, what the timers and controls do. pppd itself runs the
//! same code in the VM suite.

use crate::settings::Settings;
use crate::state::{Setup, State};
use crate::{apply, auth, lifecycle, timers};
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::auth::{mppe, Credentials};
use radius_core::client::ChallengeResponder;
use radius_core::config::Config;
use radius_core::log::Level;
use radius_core::packet::attr::{self, terminate_cause};
use radius_core::packet::wire::{self, Attribute};
use radius_core::packet::{code, Reply};
use radius_host::sessions::{Control, SessionDir};
use radius_core::transport::ExchangeFailed;
use radius_core::{AuthOutcome, AuthRequest, ClientError, Radius, Secret};
use radius_ffi::pppd::{ChapDigest, ChapResponse, Ipv6Route, LinkCounters, LinkKind, PapVerdict, PppdHost};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::CStr;
use std::net::Ipv4Addr;
use std::path::Path;
use std::rc::Rc;

/// A pppd that records what the plugin asks of it.
#[derive(Default)]
struct FakeHost {
    ifname: String,
    peer: Option<Ipv4Addr>,
    exit_status: i32,
    idle: Option<u64>,
    counters: LinkCounters,
    calls: RefCell<Vec<String>>,
    scheduled: RefCell<Vec<(usize, u32)>>,
    ended: RefCell<Option<(i32, &'static CStr)>>,
    keys: RefCell<Option<([u8; 16], [u8; 16])>>,
    /// What `radius-rs-config` names.
    config: Option<String>,
}

impl FakeHost {
    fn new() -> FakeHost {
        FakeHost { ifname: "ppp0".into(), peer: Some(Ipv4Addr::new(10, 65, 0, 2)), exit_status: 5, ..Default::default() }
    }
    fn did(&self, what: &str) -> bool {
        self.calls.borrow().iter().any(|c| c.contains(what))
    }
    fn scheduled(&self, timer: usize) -> Option<u32> {
        self.scheduled.borrow().iter().rev().find(|(t, _)| *t == timer).map(|(_, s)| *s)
    }
}

impl PppdHost for FakeHost {
    fn ifname(&self) -> String {
        self.ifname.clone()
    }
    fn unit(&self) -> i32 {
        0
    }
    fn devnam(&self) -> String {
        "/dev/pts/3".into()
    }
    fn remote_number(&self) -> String {
        String::new()
    }
    fn ipparam(&self) -> Option<String> {
        None
    }
    fn pty_command(&self) -> Option<String> {
        None
    }
    fn our_name(&self) -> String {
        "bras".into()
    }
    fn link_kind(&self) -> LinkKind {
        LinkKind::Pty
    }
    fn map_to_ttyname(&self) -> bool {
        false
    }
    fn config_path(&self) -> Option<String> {
        self.config.clone()
    }
    fn radiusclient_path(&self) -> Option<String> {
        None
    }
    fn avpairs(&self) -> Vec<String> {
        Vec::new()
    }
    fn exit_status(&self) -> i32 {
        self.exit_status
    }
    fn peer_address(&self) -> Option<Ipv4Addr> {
        self.peer
    }
    fn configured_peer_address(&self) -> Option<Ipv4Addr> {
        Some(Ipv4Addr::new(10, 65, 0, 99))
    }
    fn add_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()> {
        self.calls.borrow_mut().push(format!("route add {route}"));
        Ok(())
    }
    fn delete_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()> {
        self.calls.borrow_mut().push(format!("route del {route}"));
        Ok(())
    }
    fn set_session_octets_limit(&self, limit: u32, direction: u32) {
        self.calls.borrow_mut().push(format!("maxoctets {limit} dir {direction}"));
    }
    fn suggest_peer_address(&self, addr: Ipv4Addr, accept_others: bool) {
        self.calls.borrow_mut().push(format!("suggest {addr} accept_others={accept_others}"));
    }
    fn end_session(&self, exit_status: i32, reason: &'static CStr) {
        *self.ended.borrow_mut() = Some((exit_status, reason));
    }
    fn idle_seconds(&self) -> Option<u64> {
        self.idle
    }
    fn set_netmask(&self, mask: Ipv4Addr) {
        self.calls.borrow_mut().push(format!("netmask {mask}"));
    }
    fn set_dns_servers(&self, a: Ipv4Addr, b: Ipv4Addr) {
        self.calls.borrow_mut().push(format!("dns {a} {b}"));
    }
    fn set_peer_interface_id(&self, id: [u8; 8]) {
        self.calls.borrow_mut().push(format!("ifaceid {id:?}"));
    }
    fn limit_mtu(&self, mtu: u32) {
        self.calls.borrow_mut().push(format!("mtu {mtu}"));
    }
    fn set_mppe_keys(&self, send: &[u8; 16], recv: &[u8; 16]) {
        *self.keys.borrow_mut() = Some((*send, *recv));
    }
    fn set_mppe_policy(&self, policy: u32, types: u32) {
        self.calls.borrow_mut().push(format!("mppe {policy} {types}"));
    }
    fn script_setenv(&self, name: &str, value: &str) {
        self.calls.borrow_mut().push(format!("env {name}={value}"));
    }
    fn link_counters(&self) -> LinkCounters {
        self.counters
    }
    fn schedule(&self, timer: usize, seconds: u32) {
        self.scheduled.borrow_mut().push((timer, seconds));
    }
    fn cancel(&self, timer: usize) {
        self.calls.borrow_mut().push(format!("cancel {timer}"));
    }
    fn log(&self, level: Level, message: &str) {
        self.calls.borrow_mut().push(format!("log {level:?} {message}"));
    }
    fn pid(&self) -> u32 {
        4242
    }
}

/// What the scripted server answers.
#[derive(Clone)]
enum Answer {
    Accept(Vec<(u8, Vec<u8>)>),
    Reject(Vec<(u8, Vec<u8>)>),
    Unreachable,
}

/// Everything the plugin sent.
#[derive(Default)]
struct Sent {
    requests: Vec<AuthRequest>,
    accounting: Vec<AccountingRecord>,
    /// Accounting servers down: every send fails.
    accounting_down: bool,
    /// Sends tried while down.
    failed_sends: usize,
}

struct FakeRadius {
    config: Config,
    answers: VecDeque<Answer>,
    sent: Rc<RefCell<Sent>>,
}

fn reply(code: u8, attributes: &[(u8, Vec<u8>)]) -> Reply {
    Reply {
        code,
        identifier: 0,
        attributes: attributes.iter().map(|(t, v)| Attribute { typ: *t, value: v.clone(), offset: 0 }).collect(),
        had_message_authenticator: true,
        request_authenticator: [0; 16],
    }
}

impl Radius for FakeRadius {
    fn config(&self) -> &Config {
        &self.config
    }
    fn authenticate(&mut self, request: &AuthRequest, _: &mut dyn ChallengeResponder) -> Result<AuthOutcome, ClientError> {
        self.sent.borrow_mut().requests.push(request.clone());
        match self.answers.pop_front().expect("an answer scripted for every request") {
            Answer::Accept(a) => Ok(AuthOutcome::Accept { reply: reply(code::ACCESS_ACCEPT, &a), server_index: 0 }),
            Answer::Reject(a) => Ok(AuthOutcome::Reject { reply: reply(code::ACCESS_REJECT, &a), server_index: 0 }),
            Answer::Unreachable => Err(ClientError::Unreachable(ExchangeFailed { attempts: Vec::new() })),
        }
    }
    fn account(&mut self, record: &AccountingRecord) -> Result<usize, ClientError> {
        let mut sent = self.sent.borrow_mut();
        if sent.accounting_down {
            sent.failed_sends += 1;
            return Err(ClientError::AccountingUndelivered(ExchangeFailed { attempts: Vec::new() }));
        }
        sent.accounting.push(record.clone());
        Ok(0)
    }
    fn mppe_keys(&self, _: &Reply, _: usize) -> Result<Option<mppe::MppeKeys>, mppe::KeyError> {
        Ok(Some(mppe::MppeKeys { send: [1; 16], recv: [2; 16] }))
    }
    fn mschap_v1_keys(&self, _: &Reply, _: usize) -> Result<Option<mppe::MsChapV1Keys>, mppe::KeyError> {
        Ok(None)
    }
}

/// A world: config and secrets files in a temp dir, the scripted server.
struct World {
    dir: tempfile::TempDir,
    sent: Rc<RefCell<Sent>>,
}

impl World {
    fn new() -> World {
        World { dir: tempfile::tempdir().unwrap(), sent: Rc::default() }
    }

    /// A state whose server answers `answers`, with `[ppp]` settings `ppp`.
    fn state(&self, ppp: &str, answers: &[Answer]) -> State {
        let d = self.dir.path();
        std::fs::write(d.join("pap-secrets"), "local-pap * local-pap-pw *\n").unwrap();
        std::fs::write(d.join("chap-secrets"), "local-chap * \"local chap pw\" 10.65.0.9\n").unwrap();
        std::fs::create_dir_all(d.join("run")).unwrap();
        let text = format!(
            "[client]\nstate_dir = \"{0}/state\"\ncalled_id = \"isp-1\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n\
             [ppp]\npap_secrets = \"{0}/pap-secrets\"\nchap_secrets = \"{0}/chap-secrets\"\nradattr_dir = \"{0}/run\"\ninterim_floor = \"1s\"\n{ppp}\n\
             [sessions]\ndir = \"{0}/sessions\"\n[accounting]\nspool_dir = \"{0}/spool\"\n",
            d.display()
        );
        let config = Config::from_toml(&text, Path::new("t.toml")).unwrap();
        let avpairs: radius_core::packet::AttributeList = [(32, b"bras-1".to_vec())].into_iter().collect();
        let settings = Settings { config: config.clone(), avpairs, avpair_words: vec!["NAS-Identifier=bras-1".into()] };
        let radius = FakeRadius { config, answers: answers.iter().cloned().collect(), sent: self.sent.clone() };
        State::with_setup(Setup::new(Box::new(radius), settings))
    }

    fn sessions(&self) -> SessionDir {
        SessionDir::open(&self.dir.path().join("sessions"), &self.dir.path().join("state")).unwrap()
    }

    fn accounting(&self) -> Vec<AccountingRecord> {
        self.sent.borrow().accounting.clone()
    }
}

fn int(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn alice_grant() -> Vec<(u8, Vec<u8>)> {
    vec![
        (attr::SERVICE_TYPE, int(2)),
        (attr::FRAMED_IP_ADDRESS, vec![10, 65, 0, 2]),
        (attr::FRAMED_IP_NETMASK, vec![255, 255, 255, 255]),
        (attr::FRAMED_MTU, int(1400)),
        (attr::ACCT_INTERIM_INTERVAL, int(2)),
        (attr::SESSION_TIMEOUT, int(3600)),
        (attr::CLASS, b"gold".to_vec()),
        (attr::FILTER_ID, b"std".to_vec()),
        (attr::VENDOR_SPECIFIC, wire::vendor_value(311, 28, &[192, 0, 2, 53])),
    ]
}

/// An IPv6 subscriber: the link's prefix and the delegated prefix are
/// routed through the link at IPv6 up and removed at IPv6 down; both are in
/// every accounting record.
#[test]
fn ipv6_prefixes_routed_and_accounted() {
    let w = World::new();
    let grant = vec![
        (attr::FRAMED_IPV6_PREFIX, vec![0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2]),
        (attr::DELEGATED_IPV6_PREFIX, vec![0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0]),
    ];
    let mut st = w.state("", &[Answer::Accept(grant)]);
    let host = FakeHost::new();
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-v6", Secret::from("pw")), PapVerdict::Accept));
    lifecycle::ip_up(&mut st, &host);
    lifecycle::ipv6_up(&mut st, &host);
    assert!(host.did("route add 2001:db8:1:2::/64") && host.did("route add 2001:db8:100::/56"), "{:?}", host.calls.borrow());
    lifecycle::ipv6_up(&mut st, &host);
    assert_eq!(host.calls.borrow().iter().filter(|c| c.starts_with("route add")).count(), 2, "routes are added once");
    lifecycle::ipv6_down(&mut st, &host);
    assert!(host.did("route del 2001:db8:1:2::/64") && host.did("route del 2001:db8:100::/56"));
    lifecycle::end(&mut st, &host);
    assert_eq!(w.accounting().len(), 2, "Start and Stop");
    for record in w.accounting() {
        assert_eq!(record.attributes.get(attr::DELEGATED_IPV6_PREFIX), Some(&[0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0][..]));
        assert!(record.attributes.contains(attr::FRAMED_IPV6_PREFIX));
    }
}

/// A RADIUS user over PAP: the request says where the peer is, the grant
/// is applied, and the session's Start, Interim and Stop carry it; the
/// registry holds it while it lives, with the last counters.
#[test]
fn pap_radius_session_from_grant_to_stop() {
    let w = World::new();
    let mut st = w.state("", &[Answer::Accept(alice_grant())]);
    let host = FakeHost::new();
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw")), PapVerdict::Accept));
    let req = w.sent.borrow().requests[0].clone();
    assert_eq!(req.attributes.get_integer(attr::SERVICE_TYPE), Some(2));
    assert_eq!(req.attributes.get_integer(attr::NAS_PORT_TYPE), Some(attr::nas_port_type::VIRTUAL));
    assert_eq!(req.attributes.get(attr::NAS_IDENTIFIER), Some(&b"bras-1"[..]), "avpairs go in every request");
    assert!(host.did("netmask 255.255.255.255") && host.did("mtu 1400") && host.did("dns 192.0.2.53 192.0.2.53"));
    assert!(host.did("env RADIUS_FILTER_ID=std"));
    assert_eq!(std::fs::read_to_string(w.dir.path().join("run/radattr.ppp0")).unwrap().lines().count(), 9);
    assert_eq!(apply::choose_ip(&st), Some(Ipv4Addr::new(10, 65, 0, 2)));
    assert_eq!(apply::allowed_address(&st, &host, Ipv4Addr::new(10, 65, 0, 3)), Some(false));

    lifecycle::ip_up(&mut st, &host);
    assert_eq!(host.scheduled(lifecycle::INTERIM_TIMER), Some(2));
    assert_eq!(host.scheduled(lifecycle::SESSION_TIMER), Some(3600));
    assert_eq!(host.scheduled(lifecycle::CONTROL_TIMER), Some(1));
    let record = w.sessions().read("ppp0").unwrap().expect("the registry has the session");
    assert_eq!((record.user.as_str(), record.pid, record.port.called_station_id.as_str()), ("ppp-alice", 4242, "isp-1"));

    let host = FakeHost { counters: LinkCounters { bytes_in: (1 << 32) + 5, bytes_out: 7, packets_in: 1, packets_out: 2 }, ..FakeHost::new() };
    lifecycle::interim(&mut st, &host);
    let kept = w.sessions().read("ppp0").unwrap().unwrap().last_usage.expect("the last counters are kept");
    assert_eq!(kept.bytes_in, (1 << 32) + 5);
    lifecycle::end(&mut st, &host);
    let sent = w.accounting();
    let status: Vec<u32> = sent.iter().map(|r| r.status.value()).collect();
    assert_eq!(status, vec![1, 3, 2], "Start, Interim-Update, Stop");
    let stop = &sent[2];
    assert_eq!(stop.attributes.get(attr::CLASS), Some(&b"gold"[..]));
    assert_eq!(stop.attributes.get_integer(attr::ACCT_INPUT_GIGAWORDS), Some(1));
    assert_eq!(stop.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::USER_REQUEST));
    assert_eq!(stop.attributes.get(attr::CALLED_STATION_ID), Some(&b"isp-1"[..]));
    assert_eq!(sent[0].attributes.types().len() + 8, stop.attributes.types().len(), "the Stop adds 7 usage counters and the cause");
    assert!(w.sessions().read("ppp0").unwrap().is_none(), "the record goes with the session");
    assert!(!w.dir.path().join("run/radattr.ppp0").exists());
}

/// A peer with a local PAP record is left to pppd; RADIUS is not asked.
#[test]
fn local_pap_record_is_pppds_to_check() {
    let w = World::new();
    let mut st = w.state("", &[]);
    assert!(matches!(auth::pap_auth(&mut st, &FakeHost::new(), "local-pap", Secret::from("x")), PapVerdict::LetPppdCheck));
    assert!(w.sent.borrow().requests.is_empty());
}

/// `order = ["radius", "local"]`: RADIUS first; unreachable, the local record decides.
#[test]
fn unreachable_radius_passes_to_the_next_source() {
    let w = World::new();
    let mut st = w.state("order = [\"radius\", \"local\"]", &[Answer::Unreachable]);
    assert!(matches!(auth::pap_auth(&mut st, &FakeHost::new(), "local-pap", Secret::from("x")), PapVerdict::LetPppdCheck));
    assert_eq!(w.sent.borrow().requests.len(), 1);
    let mut st = w.state("order = [\"radius\"]", &[Answer::Unreachable]);
    assert!(matches!(auth::pap_auth(&mut st, &FakeHost::new(), "local-pap", Secret::from("x")), PapVerdict::Reject(m) if m == "Service unavailable"));
}

/// A Reject says the server's Reply-Message; a grant for another service is refused.
#[test]
fn rejects_and_unusable_grants() {
    let w = World::new();
    let reject = Answer::Reject(vec![(attr::REPLY_MESSAGE, b"Account disabled".to_vec())]);
    let login_user = Answer::Accept(vec![(attr::SERVICE_TYPE, int(1))]);
    let mut st = w.state("", &[reject, login_user]);
    let host = FakeHost::new();
    assert!(matches!(auth::pap_auth(&mut st, &host, "mallory", Secret::from("x")), PapVerdict::Reject(m) if m == "Account disabled"));
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-login", Secret::from("x")), PapVerdict::Reject(m) if m == "Service not permitted"));
    assert!(st.auth.is_none());
}

fn chap_response(method: &str, user: &str, password: &str) -> (ChapDigest, u8, Vec<u8>, Vec<u8>) {
    match Credentials::from_password(method.parse().unwrap(), user, &Secret::from(password)) {
        Credentials::Chap { id, challenge, response } => (ChapDigest::Md5, id, challenge, response.to_vec()),
        Credentials::MsChapV2 { id, auth_challenge, peer_challenge, nt_response, flags } => {
            (ChapDigest::MsChapV2, id, auth_challenge.to_vec(), [&peer_challenge[..], &[0u8; 8], &nt_response[..], &[flags]].concat())
        }
        _ => unreachable!(),
    }
}

/// A local CHAP user is checked against chap-secrets (MS-CHAPv2 with its
/// MPPE keys), gets the file's address rule, and RADIUS is not asked.
#[test]
fn local_chap_and_mschapv2() {
    let w = World::new();
    let mut st = w.state("", &[]);
    let host = FakeHost::new();
    for (method, password, accepted) in [("chap", "local chap pw", true), ("mschapv2", "local chap pw", true), ("chap", "wrong", false)] {
        st.new_link();
        let (digest, id, challenge, response) = chap_response(method, "local-chap", password);
        let r = ChapResponse { user: "local-chap", our_name: "bras", id, digest, challenge: &challenge, response: &response };
        let v = auth::chap_verify(&mut st, &host, &r);
        assert_eq!(v.accepted, accepted, "{method} {password}");
    }
    assert!(host.keys.borrow().is_some(), "MS-CHAPv2 keys handed to pppd");
    assert!(w.sent.borrow().requests.is_empty());
    st.new_link();
    let (digest, id, challenge, response) = chap_response("chap", "local-chap", "local chap pw");
    let r = ChapResponse { user: "local-chap", our_name: "bras", id, digest, challenge: &challenge, response: &response };
    assert!(auth::chap_verify(&mut st, &host, &r).accepted);
    assert_eq!(apply::allowed_address(&st, &host, Ipv4Addr::new(10, 65, 0, 9)), Some(true));
    assert_eq!(apply::allowed_address(&st, &host, Ipv4Addr::new(10, 65, 0, 8)), Some(false));
    // The options' peer address (10.65.0.99) is not in the line: pppd would
    // suggest the line's single address, and insist on it.
    assert!(host.did("suggest 10.65.0.9 accept_others=false"), "{:?}", host.calls.borrow());
    assert_eq!(apply::choose_ip(&st), None, "the address is pppd's to negotiate, not forced by the plugin");
}

/// MS-CHAPv2 through RADIUS: accepted only with the server's
/// MS-CHAP2-Success, whose S= goes to the peer, and with the MPPE keys.
#[test]
fn radius_mschapv2_needs_the_authenticator_response() {
    let w = World::new();
    let success = wire::vendor_value(311, 26, b"\x01S=0123456789ABCDEF0123456789ABCDEF01234567");
    let with = Answer::Accept(vec![(attr::VENDOR_SPECIFIC, success)]);
    let without = Answer::Accept(vec![]);
    let mut st = w.state("", &[without, with]);
    let host = FakeHost::new();
    let (digest, id, challenge, response) = chap_response("mschapv2", "ppp-bob", "pw");
    let r = ChapResponse { user: "ppp-bob", our_name: "bras", id, digest, challenge: &challenge, response: &response };
    let refused = auth::chap_verify(&mut st, &host, &r);
    assert!(!refused.accepted && refused.message.starts_with("E=691"));
    let ok = auth::chap_verify(&mut st, &host, &r);
    assert!(ok.accepted);
    assert!(ok.message.starts_with("S=0123456789ABCDEF"));
    assert_eq!(*host.keys.borrow(), Some(([1; 16], [2; 16])));
}

/// `persist`: the next link's peer inherits nothing of the last one's
/// grant (it once got the previous peer's address and Class).
#[test]
fn a_new_link_starts_clean() {
    let w = World::new();
    let bob = Answer::Accept(vec![(attr::FRAMED_IP_ADDRESS, vec![10, 65, 0, 4])]);
    let mut st = w.state("", &[Answer::Accept(alice_grant()), bob]);
    let host = FakeHost::new();
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw")), PapVerdict::Accept));
    lifecycle::ip_up(&mut st, &host);
    lifecycle::end(&mut st, &host);
    lifecycle::phase_changed(&mut st, &host, lifecycle::PHASE_ESTABLISH);
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-bob", Secret::from("pw")), PapVerdict::Accept));
    assert_eq!(apply::choose_ip(&st), Some(Ipv4Addr::new(10, 65, 0, 4)));
    let host = FakeHost { peer: Some(Ipv4Addr::new(10, 65, 0, 4)), ..FakeHost::new() };
    lifecycle::ip_up(&mut st, &host);
    let start = w.accounting().into_iter().rfind(|r| r.status == AcctStatus::Start).unwrap();
    assert_eq!(start.attributes.get(attr::USER_NAME), Some(&b"ppp-bob"[..]));
    assert_eq!(start.attributes.get(attr::CLASS), None, "alice's Class");
}

/// The configuration is loaded when a link starts (LCP), not when the
/// peer's credentials arrive; a configuration that cannot be used is
/// reported then, and the peer is refused.
#[test]
fn the_configuration_is_loaded_when_the_link_starts() {
    fn connect(config: &Config) -> Box<dyn radius_core::Radius> {
        Box::new(FakeRadius { config: config.clone(), answers: Default::default(), sent: Rc::default() })
    }
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("radius.toml");
    std::fs::write(&good, "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n").unwrap();
    let host = FakeHost { config: Some(good.display().to_string()), ..FakeHost::new() };
    let mut st = State::new(connect);
    assert!(st.loaded().is_none());
    lifecycle::phase_changed(&mut st, &host, lifecycle::PHASE_ESTABLISH);
    assert!(st.loaded().is_some(), "not loaded at the start of the link");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[server]]\nadress = \"127.0.0.1\"\n").unwrap();
    let host = FakeHost { config: Some(broken.display().to_string()), ..FakeHost::new() };
    let mut st = State::new(connect);
    lifecycle::phase_changed(&mut st, &host, lifecycle::PHASE_ESTABLISH);
    assert!(host.calls.borrow().iter().any(|c| c.contains("unknown field `adress`")), "{:?}", host.calls.borrow());
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw")), PapVerdict::Reject(_)));
}

/// What radius-rs-dmd leaves is applied at the next poll: Session-Timeout
/// from now, Class for later records, and Admin-Reset as the Stop's cause.
#[test]
fn controls_from_the_daemon() {
    let w = World::new();
    let mut st = w.state("", &[Answer::Accept(alice_grant())]);
    let host = FakeHost::new();
    auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw"));
    lifecycle::ip_up(&mut st, &host);
    let control = Control { pid: 4242, session_timeout: Some(30), class: Some(vec!["70726f".into()]), ..Default::default() };
    w.sessions().write_control("ppp0", &control).unwrap();
    timers::control(&mut st, &host);
    assert!(host.did(&format!("cancel {}", lifecycle::SESSION_TIMER)));
    assert_eq!(host.scheduled(lifecycle::SESSION_TIMER), Some(30));
    assert!(!w.sessions().control_pending("ppp0"), "the control is taken");
    assert_eq!(w.sessions().read("ppp0").unwrap().unwrap().classes, vec!["70726f".to_string()]);
    let other = Control { pid: 1, terminate_cause: Some(terminate_cause::ADMIN_RESET), ..Default::default() };
    w.sessions().write_control("ppp0", &other).unwrap();
    timers::control(&mut st, &host);
    w.sessions().write_control("ppp0", &Control { pid: 4242, terminate_cause: Some(terminate_cause::ADMIN_RESET), ..Default::default() }).unwrap();
    lifecycle::end(&mut st, &host);
    let stop = w.accounting().pop().unwrap();
    assert_eq!(stop.attributes.get(attr::CLASS), Some(&b"pro"[..]));
    assert_eq!(stop.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::ADMIN_RESET));
}

/// The timers end the session as pppd's own do, with a 'static reason
/// (pppd keeps the pointer for every Terminate-Request it resends), and
/// only decide it: pppd is called once the state is let go (its lcp_close
/// calls the plugin back). The Stop says why, whatever pppd's exit status.
#[test]
fn timers_end_the_session_like_pppd() {
    let w = World::new();
    let idle = vec![(attr::IDLE_TIMEOUT, int(60)), (attr::SESSION_TIMEOUT, int(600))];
    let mut st = w.state("", &[Answer::Accept(idle)]);
    let host = FakeHost { idle: Some(20), ..FakeHost::new() };
    auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw"));
    lifecycle::ip_up(&mut st, &host);
    assert_eq!(host.scheduled(lifecycle::IDLE_TIMER), Some(60));
    assert_eq!(timers::idle_check(&mut st, &host), None);
    assert_eq!(host.scheduled(lifecycle::IDLE_TIMER), Some(40), "idle for 20 of 60 s: look again in 40");
    let host = FakeHost { idle: Some(61), ..FakeHost::new() };
    let end = timers::idle_check(&mut st, &host).expect("idle for longer than the limit");
    assert_eq!(end, timers::EndSession { exit_status: timers::EXIT_IDLE_TIMEOUT, reason: c"Link inactive" });
    assert!(host.ended.borrow().is_none(), "pppd is not called while the state is held");
    end.apply(&host);
    assert_eq!(*host.ended.borrow(), Some((timers::EXIT_IDLE_TIMEOUT, c"Link inactive")));
    // The peer hangs up rather than answer: pppd exits with EXIT_HANGUP; the Stop still says Idle-Timeout.
    let host = FakeHost { exit_status: 16, ..FakeHost::new() };
    lifecycle::end(&mut st, &host);
    let stop = w.accounting().pop().unwrap();
    assert_eq!(stop.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::IDLE_TIMEOUT));

    let mut st = w.state("", &[Answer::Accept(vec![(attr::SESSION_TIMEOUT, int(5))])]);
    let host = FakeHost::new();
    auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw"));
    lifecycle::ip_up(&mut st, &host);
    let end = timers::session_expired(&mut st, &host).unwrap();
    assert_eq!(end, timers::EndSession { exit_status: timers::EXIT_CONNECT_TIME, reason: c"Session timeout" });
    lifecycle::end(&mut st, &FakeHost { exit_status: 16, ..FakeHost::new() });
    let stop = w.accounting().pop().unwrap();
    assert_eq!(stop.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(terminate_cause::SESSION_TIMEOUT));
    assert_eq!(timers::session_expired(&mut st, &host), None, "no session, nothing to end");
}

/// The accounting servers down: the Start is spooled, the Interim and the
/// Stop queue behind it without a send, in order; the registry record goes
/// at the Stop as usual. With the spool unusable too, the Stop is lost to
/// the plugin, so the registry record stays, with the last counters, for
/// radius-rs-dmd to send the Stop from.
#[test]
fn accounting_with_the_servers_down_goes_to_the_spool() {
    use radius_core::spool::{Kind, Spool};
    let w = World::new();
    let mut st = w.state("", &[Answer::Accept(alice_grant())]);
    let host = FakeHost::new();
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw")), PapVerdict::Accept));
    w.sent.borrow_mut().accounting_down = true;
    lifecycle::ip_up(&mut st, &host);
    lifecycle::interim(&mut st, &host);
    lifecycle::end(&mut st, &host);
    assert_eq!(w.sent.borrow().failed_sends, 1, "the Interim and Stop overtook the spooled Start");
    let spool = Spool::open_dir(&w.dir.path().join("spool"), 100).unwrap();
    let kinds: Vec<Kind> = spool.entries().unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::Start, Kind::Interim, Kind::Stop]);
    assert!(host.did("spooled as"), "{:?}", host.calls.borrow());
    assert!(w.sessions().read("ppp0").unwrap().is_none(), "the Stop is safe in the spool: the record goes");

    // A spool others can write in is refused: the Stop is lost to the plugin.
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    std::fs::create_dir(w.dir.path().join("spool")).unwrap();
    std::fs::set_permissions(w.dir.path().join("spool"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut st = w.state("", &[Answer::Accept(alice_grant())]);
    assert!(matches!(auth::pap_auth(&mut st, &host, "ppp-alice", Secret::from("pw")), PapVerdict::Accept));
    w.sent.borrow_mut().accounting_down = true;
    lifecycle::ip_up(&mut st, &host);
    let host = FakeHost { counters: LinkCounters { bytes_in: 99, bytes_out: 77, packets_in: 1, packets_out: 2 }, ..FakeHost::new() };
    lifecycle::end(&mut st, &host);
    assert!(host.did("lost"), "{:?}", host.calls.borrow());
    let kept = w.sessions().read("ppp0").unwrap().expect("the registry keeps the session for radius-rs-dmd");
    assert_eq!(kept.last_usage.map(|u| (u.bytes_in, u.bytes_out)), Some((99, 77)));
}
