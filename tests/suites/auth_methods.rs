//! PAP, CHAP-MD5, MS-CHAPv1 and MS-CHAPv2 against a real FreeRADIUS 3.2:
//! accepted with the right password, rejected with a wrong one; MS-CHAPv2's
//! authenticator response and MPPE keys checked against RFC 2759/3079
//! arithmetic done independently here; IPv6; legacy servers without
//! Message-Authenticator refused by default and allowed per server.

mod common;

use common::{server, CapturedLog, TestConfig};
use radius_core::auth::{mppe, mschap, Credentials, Method};
use radius_core::client::{verify_mschap_v2_success, NoChallenge};
use radius_core::counters::Counter;
use radius_core::packet::attr;
use radius_core::{AuthOutcome, AuthRequest, Client, ClientError, Secret, Service};
use radius_testbed::FreeRadius;

fn modern(fr: &FreeRadius) -> TestConfig {
    TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""))
}

fn login(client: &mut Client, method: Method, user: &str, password: &str) -> (AuthOutcome, Credentials) {
    let creds = Credentials::from_password(method, user, &Secret::from(password));
    let req = AuthRequest::new(user, creds.clone(), Service::Login);
    (client.authenticate(&req, &mut NoChallenge).expect("a decision"), creds)
}

fn accept_and_reject(method: Method) {
    let fr = FreeRadius::start();
    let cfg = modern(&fr);
    let mut client = cfg.client();
    let (ok, _) = login(&mut client, method, "alice", "alice-password");
    assert!(ok.is_accept(), "{method:?}: right password must be accepted: {ok:?}");
    assert_eq!(ok.reply().get(attr::FRAMED_IP_ADDRESS), Some(&[10u8, 64, 0, 7][..]));
    assert!(ok.reply().had_message_authenticator);
    let (bad, _) = login(&mut client, method, "alice", "wrong-password");
    assert!(!bad.is_accept(), "{method:?}: wrong password must be rejected");
    let (unknown, _) = login(&mut client, method, "nobody", "whatever");
    assert!(!unknown.is_accept(), "{method:?}: unknown user must be rejected");
    let snap = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    assert_eq!((snap.get(Counter::Accepts), snap.get(Counter::Rejects), snap.get(Counter::Pending)), (1, 2, 0));
}

/// PAP: accepted with the right password, rejected with a wrong one and for an unknown user.
#[test]
fn pap() {
    accept_and_reject(Method::Pap);
}

/// CHAP-MD5: accepted with the right password, rejected otherwise.
#[test]
fn chap_md5() {
    accept_and_reject(Method::Chap);
}

/// MS-CHAPv1: accepted with the right password, rejected otherwise; MS-CHAP-MPPE-Keys decrypts to the NT hash's hash.
#[test]
fn mschap_v1() {
    accept_and_reject(Method::MsChapV1);
    let fr = FreeRadius::start();
    let cfg = modern(&fr);
    let mut client = cfg.client();
    let (ok, _) = login(&mut client, Method::MsChapV1, "bob", "bob-password");
    let AuthOutcome::Accept { reply, server_index } = &ok else { panic!("bob must be accepted") };
    let keys = client.mschap_v1_keys(reply, *server_index).unwrap().expect("MS-CHAP-MPPE-Keys in the reply");
    assert_eq!(keys.nt, mschap::hash_nt_password_hash(&mschap::nt_password_hash(b"bob-password")));
}

/// MS-CHAPv2: the server's authenticator response verifies, and the MPPE keys equal RFC 3079's for the same password and challenges.
#[test]
fn mschap_v2_authenticator_and_mppe_keys() {
    accept_and_reject(Method::MsChapV2);
    let fr = FreeRadius::start();
    let cfg = modern(&fr);
    let mut client = cfg.client();
    let (ok, creds) = login(&mut client, Method::MsChapV2, "alice", "alice-password");
    let AuthOutcome::Accept { reply, server_index } = &ok else { panic!("alice must be accepted") };
    assert_eq!(verify_mschap_v2_success(reply, &creds, "alice", &Secret::from("alice-password")), Some(true));
    assert_eq!(verify_mschap_v2_success(reply, &creds, "alice", &Secret::from("not-her-password")), Some(false));
    let Credentials::MsChapV2 { nt_response, .. } = creds else { unreachable!() };
    let expected = mppe::v2_server_keys(&mschap::nt_password_hash(b"alice-password"), &nt_response);
    let got = client.mppe_keys(reply, *server_index).unwrap().expect("MS-MPPE keys in the reply");
    assert_eq!(got.send, expected.send, "MS-MPPE-Send-Key");
    assert_eq!(got.recv, expected.recv, "MS-MPPE-Recv-Key");
}

/// IPv6 transport: the same login over ::1.
#[test]
fn ipv6_server() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("::1", fr.modern_auth, fr.modern_acct, ""));
    let (ok, _) = login(&mut cfg.client(), Method::Pap, "alice", "alice-password");
    assert!(ok.is_accept());
}

/// A legacy server (replies without Message-Authenticator) is refused by default with a log line saying how to allow it; allowed per server it works.
#[test]
fn legacy_server_needs_explicit_opt_out() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("timeout = \"200ms\"\nretries = 0", &server("127.0.0.1", fr.legacy_auth, fr.legacy_acct, ""));
    let log = CapturedLog::default();
    let mut client = Client::new(cfg.config(), Box::new(log.clone()));
    let creds = Credentials::pap(Secret::from("alice-password"));
    let err = client.authenticate(&AuthRequest::new("alice", creds.clone(), Service::Login), &mut NoChallenge).unwrap_err();
    assert!(matches!(err, ClientError::Unreachable(_)), "{err}");
    assert!(log.contains("Access-Accept without Message-Authenticator refused"), "log must say why");
    assert!(log.contains("require_message_authenticator = false in its [[server]] section"), "log must say how");
    let snap = client.counters().snapshot(&cfg.config().servers[0]).unwrap();
    // The unsigned Access-Accept, and the unsigned answer to the Status-Server probe that followed.
    assert_eq!(snap.get(Counter::BadReplies), 2);
    assert_eq!(snap.get(Counter::Probes), 1);
    assert_eq!(snap.get(Counter::Accepts), 0);

    let cfg = TestConfig::new(
        "",
        &server("127.0.0.1", fr.legacy_auth, fr.legacy_acct, "require_message_authenticator = false"),
    );
    let ok = cfg.client().authenticate(&AuthRequest::new("alice", creds, Service::Login), &mut NoChallenge).unwrap();
    assert!(ok.is_accept());
    assert!(!ok.reply().had_message_authenticator);
}

/// Status-Server (RFC 5997) gets a verified Access-Accept from the live server.
#[test]
fn status_server_answered() {
    let fr = FreeRadius::start();
    let cfg = modern(&fr);
    let reply = cfg.client().status_server(0).expect("Status-Server answered");
    assert_eq!(reply.code, radius_core::packet::code::ACCESS_ACCEPT);
}
