//! The whole PAM flow against a scripted conversation and a scripted
//! server. Each test lists the exact prompts (style and text) and the
//! answers, and fails on any prompt it did not expect or any left over;
//! the real libpam, FreeRADIUS and sshd run the same code in the suites.

use crate::args::Args;
use crate::{run_stage, stored, Deps};
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::auth::{mppe, Credentials};
use radius_core::client::{ChallengePrompt, ChallengeResponder};
use radius_core::config::{Config, ConfigError};
use radius_core::log::{Level, Log};
use radius_core::packet::attr;
use radius_core::packet::wire::Attribute;
use radius_core::packet::{code, Reply};
use radius_core::transport::ExchangeFailed;
use radius_core::{AuthOutcome, AuthRequest, ClientError, Radius};
use radius_ffi::pam::entry::Stage;
use radius_ffi::pam::{Item, PamError, PamHandler, PamResult, Style};
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::{CStr, CString};
use std::path::Path;
use std::rc::Rc;
use zeroize::Zeroizing;

/// One step of the conversation the test expects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The module asks this (style, text); the user answers these bytes.
    Ask(Style, String, Vec<u8>),
}

/// libpam as a module sees it, with a scripted conversation.
#[derive(Default)]
struct Script {
    user: String,
    items: HashMap<u8, String>,
    authtok: Option<Vec<u8>>,
    env: HashMap<String, String>,
    data: HashMap<CString, Box<dyn Any>>,
    steps: RefCell<VecDeque<Step>>,
    wrong: RefCell<Vec<String>>,
}

impl Script {
    fn new(user: &str, steps: &[Step]) -> Script {
        Script { user: user.into(), steps: RefCell::new(steps.iter().cloned().collect()), ..Script::default() }
    }
    fn rhost(mut self, host: &str) -> Script {
        self.items.insert(Item::RemoteHost as u8, host.into());
        self
    }
    fn authtok(mut self, token: &str) -> Script {
        self.authtok = Some(token.as_bytes().to_vec());
        self
    }
    /// Fails on anything unexpected or left over.
    fn done(&self) {
        assert!(self.wrong.borrow().is_empty(), "unexpected: {:?}", self.wrong.borrow());
        assert!(self.steps.borrow().is_empty(), "never asked: {:?}", self.steps.borrow());
    }
}

impl PamHandler for Script {
    fn user(&mut self) -> PamResult<String> {
        Ok(self.user.clone())
    }
    fn item(&self, item: Item) -> PamResult<Option<String>> {
        Ok(match item {
            Item::Service => Some("sshd".into()),
            other => self.items.get(&(other as u8)).cloned(),
        })
    }
    fn authtok(&self) -> PamResult<Option<Zeroizing<Vec<u8>>>> {
        Ok(self.authtok.clone().map(Zeroizing::new))
    }
    fn set_authtok(&mut self, token: &[u8]) -> PamResult<()> {
        self.authtok = Some(token.to_vec());
        Ok(())
    }
    fn prompt(&self, style: Style, text: &str) -> PamResult<Zeroizing<Vec<u8>>> {
        match self.steps.borrow_mut().pop_front() {
            Some(Step::Ask(s, t, answer)) if s == style && t == text => Ok(Zeroizing::new(answer)),
            other => {
                self.wrong.borrow_mut().push(format!("asked {style:?} {text:?}, expected {other:?}"));
                Err(PamError::ConvErr)
            }
        }
    }
    fn message(&self, style: Style, text: &str) -> PamResult<()> {
        self.wrong.borrow_mut().push(format!("message {style:?} {text:?}"));
        Ok(())
    }
    fn putenv(&mut self, name: &str, value: &str) -> PamResult<()> {
        self.env.insert(name.into(), value.into());
        Ok(())
    }
    fn getenv(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
    fn set_data<T: 'static>(&mut self, name: &CStr, value: T) -> PamResult<()> {
        self.data.insert(name.to_owned(), Box::new(value));
        Ok(())
    }
    fn data<T: 'static>(&self, name: &CStr) -> Option<&T> {
        self.data.get(name).and_then(|b| b.downcast_ref::<T>())
    }
}

/// What the scripted server answers, in turn.
#[derive(Clone, Debug)]
enum Answer {
    Accept(Vec<(u8, Vec<u8>)>),
    Reject,
    Challenge(&'static str, Option<u32>),
    Unreachable,
}

/// What the module sent.
#[derive(Default, Debug)]
struct Sent {
    passwords: Vec<Vec<u8>>,
    requests: Vec<AuthRequest>,
    accounting: Vec<AccountingRecord>,
    connects: usize,
}

struct Server {
    config: Config,
    answers: Rc<RefCell<VecDeque<Answer>>>,
    sent: Rc<RefCell<Sent>>,
}

fn reply(code: u8, attrs: &[(u8, Vec<u8>)]) -> Reply {
    Reply {
        code,
        identifier: 0,
        attributes: attrs.iter().map(|(t, v)| Attribute { typ: *t, value: v.clone(), offset: 0 }).collect(),
        had_message_authenticator: true,
        request_authenticator: [0; 16],
    }
}

fn password_of(request: &AuthRequest) -> Vec<u8> {
    match &request.credentials {
        Credentials::Pap { password } => password.expose().to_vec(),
        _ => Vec::new(),
    }
}

impl Radius for Server {
    fn config(&self) -> &Config {
        &self.config
    }
    fn authenticate(&mut self, request: &AuthRequest, responder: &mut dyn ChallengeResponder) -> Result<AuthOutcome, ClientError> {
        self.sent.borrow_mut().requests.push(request.clone());
        self.sent.borrow_mut().passwords.push(password_of(request));
        let mut round = 0;
        loop {
            let answer = self.answers.borrow_mut().pop_front().expect("an answer scripted for every request");
            match answer {
                Answer::Accept(a) => return Ok(AuthOutcome::Accept { reply: reply(code::ACCESS_ACCEPT, &a), server_index: 0 }),
                Answer::Reject => return Ok(AuthOutcome::Reject { reply: reply(code::ACCESS_REJECT, &[]), server_index: 0 }),
                Answer::Unreachable => return Err(ClientError::Unreachable(ExchangeFailed { attempts: Vec::new() })),
                Answer::Challenge(message, prompt) => {
                    round += 1;
                    let p = ChallengePrompt { messages: vec![message.into()], echo: prompt.map(|p| p == 1), round };
                    let answer = responder.respond(&p).ok_or(ClientError::ChallengeUnanswered)?;
                    self.sent.borrow_mut().passwords.push(answer.expose().to_vec());
                }
            }
        }
    }
    fn account(&mut self, record: &AccountingRecord) -> Result<usize, ClientError> {
        match self.answers.borrow_mut().front() {
            Some(Answer::Unreachable) => Err(ClientError::AccountingUndelivered(ExchangeFailed { attempts: Vec::new() })),
            _ => {
                self.sent.borrow_mut().accounting.push(record.clone());
                Ok(0)
            }
        }
    }
    fn mppe_keys(&self, _: &Reply, _: usize) -> Result<Option<mppe::MppeKeys>, mppe::KeyError> {
        Ok(None)
    }
    fn mschap_v1_keys(&self, _: &Reply, _: usize) -> Result<Option<mppe::MsChapV1Keys>, mppe::KeyError> {
        Ok(None)
    }
}

struct Quiet;
impl Log for Quiet {
    fn log(&self, _: Level, _: &str) {}
}

/// A module run: the configuration `toml` (servers are never reached),
/// the server's answers, the module arguments.
struct Rig {
    config: Config,
    answers: Rc<RefCell<VecDeque<Answer>>>,
    sent: Rc<RefCell<Sent>>,
    loads: Rc<RefCell<usize>>,
}

impl Rig {
    fn new(extra: &str, answers: &[Answer]) -> Rig {
        let text = format!("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n{extra}");
        Rig {
            config: Config::from_toml(&text, Path::new("t.toml")).unwrap(),
            answers: Rc::new(RefCell::new(answers.iter().cloned().collect())),
            sent: Rc::default(),
            loads: Rc::default(),
        }
    }

    fn run(&self, stage: Stage, script: &mut Script, args: &[&str]) -> PamResult<()> {
        let (args, warnings) = Args::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(warnings.is_empty(), "{warnings:?}");
        let load = |_: &Args| -> Result<std::sync::Arc<Config>, ConfigError> {
            *self.loads.borrow_mut() += 1;
            Ok(std::sync::Arc::new(self.config.clone()))
        };
        let connect = |config: &std::sync::Arc<Config>| -> Box<dyn Radius> {
            self.sent.borrow_mut().connects += 1;
            Box::new(Server { config: Config::clone(config), answers: self.answers.clone(), sent: self.sent.clone() })
        };
        run_stage(stage, script, &args, &Deps { load: &load, connect: &connect, log: &Quiet })
    }

    fn passwords(&self) -> Vec<Vec<u8>> {
        self.sent.borrow().passwords.clone()
    }
}

fn ask(style: Style, text: &str, answer: &str) -> Step {
    Step::Ask(style, text.into(), answer.as_bytes().to_vec())
}

fn password(answer: &str) -> Step {
    ask(Style::PromptEchoOff, "Password: ", answer)
}

/// The default (try_first_pass): asked once, sent, passed on as PAM_AUTHTOK.
#[test]
fn asks_for_the_password_and_passes_it_on() {
    let rig = Rig::new("", &[Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[password("alice-password")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    s.done();
    assert_eq!(rig.passwords(), vec![b"alice-password".to_vec()]);
    assert_eq!(s.authtok.as_deref(), Some(&b"alice-password"[..]));
    assert_eq!(rig.run(Stage::SetCred, &mut s, &[]), Ok(()), "setcred returns what authenticate did");
}

/// try_first_pass with PAM_AUTHTOK set: not asked. use_first_pass without it: refused, not asked.
#[test]
fn first_pass_rules() {
    let rig = Rig::new("", &[Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[]).authtok("from-pam-unix");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["try_first_pass"]), Ok(()));
    s.done();
    assert_eq!(rig.passwords(), vec![b"from-pam-unix".to_vec()]);
    let mut s = Script::new("alice", &[]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["use_first_pass"]), Err(PamError::AuthErr));
    s.done();
    assert_eq!(rig.run(Stage::SetCred, &mut s, &[]), Err(PamError::AuthErr));
}

/// force_prompt asks even when PAM_AUTHTOK is set, with prompt= text.
#[test]
fn force_prompt_asks_anyway() {
    let rig = Rig::new("", &[Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[ask(Style::PromptEchoOff, "Token: ", "typed")]).authtok("earlier");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["force_prompt", "prompt=Token"]), Ok(()));
    s.done();
    assert_eq!(rig.passwords(), vec![b"typed".to_vec()]);
}

/// A password that is not UTF-8 (Latin-1 "päss") reaches the request byte for byte.
#[test]
fn password_bytes_are_not_converted() {
    let rig = Rig::new("", &[Answer::Accept(vec![])]);
    let latin1 = vec![b'p', 0xE4, b's', b's'];
    let mut s = Script::new("alice", &[Step::Ask(Style::PromptEchoOff, "Password: ".into(), latin1.clone())]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    s.done();
    assert_eq!(rig.passwords(), vec![latin1]);
}

/// Challenge rounds through the conversation: echo on by default; with
/// prompt_attribute, the server's Prompt = No-Echo hides the answer.
#[test]
fn challenge_rounds() {
    let rig = Rig::new("", &[Answer::Challenge("Enter your one-time code", None), Answer::Accept(vec![])]);
    let mut s = Script::new("otpuser", &[password("otp-first"), ask(Style::PromptEchoOn, "Enter your one-time code", "123456")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    s.done();
    assert_eq!(rig.passwords(), vec![b"otp-first".to_vec(), b"123456".to_vec()]);
    let rig = Rig::new("", &[Answer::Challenge("PIN", Some(0)), Answer::Challenge("Code", Some(1)), Answer::Reject]);
    let steps = [password("pw"), ask(Style::PromptEchoOff, "PIN", "1111"), ask(Style::PromptEchoOn, "Code", "2222")];
    let mut s = Script::new("otpuser", &steps);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["prompt_attribute"]), Err(PamError::AuthErr));
    s.done();
}

/// No server answers: PAM_AUTHINFO_UNAVAIL, or PAM_IGNORE with localifdown.
#[test]
fn server_down_with_and_without_localifdown() {
    let rig = Rig::new("", &[Answer::Unreachable, Answer::Unreachable]);
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Err(PamError::AuthinfoUnavail));
    s.done();
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["localifdown"]), Err(PamError::Ignore));
    s.done();
}

/// The Accept's attributes go to the PAM environment; privilege_level
/// refuses an Accept without Management-Privilege-Level.
#[test]
fn environment_from_the_accept() {
    let accept = Answer::Accept(vec![(attr::MANAGEMENT_PRIVILEGE_LEVEL, 15u32.to_be_bytes().to_vec()), (attr::FRAMED_IP_ADDRESS, vec![10, 64, 0, 7])]);
    let rig = Rig::new("", &[accept, Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    assert_eq!(s.getenv("Privilege").as_deref(), Some("15"));
    assert_eq!(s.getenv("Framed-IP-Address").as_deref(), Some("10.64.0.7"));
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &["privilege_level"]), Err(PamError::AuthinfoUnavail));
    s.done();
}

/// The registry: policies in RADIUS_POLICIES; an unregistered user without
/// default policies refused; bound_cidrs checked before the password is asked.
#[test]
fn registry_policies_and_bound_cidrs() {
    let registry = "[registry]\nbound_cidrs = [\"192.0.2.0/24\"]\n[users.alice]\npolicies = [\"admin\", \"ops\"]\n";
    let rig = Rig::new(registry, &[Answer::Accept(vec![]), Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[password("pw")]).rhost("192.0.2.9");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    assert_eq!(s.getenv("RADIUS_POLICIES").as_deref(), Some("admin,ops"));
    let mut s = Script::new("alice", &[]).rhost("198.51.100.1");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Err(PamError::AuthErr));
    s.done();
    assert_eq!(rig.sent.borrow().requests.len(), 1, "refused before any request");
    let mut s = Script::new("carol", &[password("pw")]).rhost("192.0.2.9");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Err(PamError::AuthErr), "unregistered, no default policies");
    s.done();
}

/// The account stage: require_policy against the login's policies;
/// someone this module did not authenticate is refused, or left to others.
#[test]
fn account_stage() {
    let rig = Rig::new("[users.alice]\npolicies = [\"ops\"]\n", &[Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    assert_eq!(rig.run(Stage::AcctMgmt, &mut s, &["require_policy=ops"]), Ok(()));
    assert_eq!(rig.run(Stage::AcctMgmt, &mut s, &["require_policy=admin"]), Err(PamError::PermDenied));
    let mut stranger = Script::new("bob", &[]);
    assert_eq!(rig.run(Stage::AcctMgmt, &mut stranger, &[]), Err(PamError::UserUnknown));
    assert_eq!(rig.run(Stage::AcctMgmt, &mut stranger, &["skip_unknown"]), Err(PamError::Ignore));
    s.user = "mallory".into();
    assert_eq!(rig.run(Stage::AcctMgmt, &mut s, &[]), Err(PamError::PermDenied), "PAM_USER changed after authentication");
}

/// The session stages: a Start and a Stop with the same session id, the
/// Class and the remote host; the configuration is read once for the
/// whole transaction; the Stop needs the Start's session.
#[test]
fn session_stages() {
    let class = Answer::Accept(vec![(attr::CLASS, b"gold".to_vec())]);
    let rig = Rig::new("", &[class]);
    let mut s = Script::new("alice", &[password("pw")]).rhost("192.0.2.44");
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    assert_eq!(rig.run(Stage::OpenSession, &mut s, &[]), Ok(()));
    assert_eq!(rig.run(Stage::CloseSession, &mut s, &[]), Ok(()));
    s.done();
    assert_eq!(*rig.loads.borrow(), 1, "one configuration read for auth, session open and close");
    let sent = rig.sent.borrow();
    let [start, stop] = &sent.accounting[..] else { panic!("{:?}", sent.accounting) };
    assert_eq!((start.status, stop.status), (AcctStatus::Start, AcctStatus::Stop));
    assert_eq!(start.attributes.get(attr::ACCT_SESSION_ID), stop.attributes.get(attr::ACCT_SESSION_ID));
    for r in [start, stop] {
        assert_eq!(r.attributes.get(attr::CLASS), Some(&b"gold"[..]));
        assert_eq!(r.attributes.get(attr::CALLING_STATION_ID), Some(&b"192.0.2.44"[..]));
        assert_eq!(r.attributes.get(attr::NAS_IDENTIFIER), Some(&b"sshd"[..]));
    }
    assert_eq!(stop.attributes.get_integer(attr::ACCT_TERMINATE_CAUSE), Some(attr::terminate_cause::USER_REQUEST));
    drop(sent);
    let mut fresh = Script::new("alice", &[]);
    assert_eq!(rig.run(Stage::CloseSession, &mut fresh, &[]), Err(PamError::SessionErr));
}

/// A configuration loaded for other arguments is not reused.
#[test]
fn config_cache_follows_the_arguments() {
    let rig = Rig::new("", &[Answer::Accept(vec![])]);
    let mut s = Script::new("alice", &[password("pw")]);
    assert_eq!(rig.run(Stage::Authenticate, &mut s, &[]), Ok(()));
    assert_eq!(rig.run(Stage::OpenSession, &mut s, &["retry=3"]), Ok(()));
    assert_eq!(*rig.loads.borrow(), 2);
    assert!(s.data::<stored::Loaded>(stored::CONFIG).is_some());
}

/// Password change is not RADIUS's: refused.
#[test]
fn no_password_change() {
    let rig = Rig::new("", &[]);
    let mut s = Script::new("alice", &[]);
    assert_eq!(rig.run(Stage::ChAuthTok, &mut s, &[]), Err(PamError::ServiceErr));
    s.done();
}
