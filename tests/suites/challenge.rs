//! Access-Challenge (RFC 2865 4.4) through the responder API: the OTP user
//! is challenged after the first factor; the right code is accepted, a
//! wrong one rejected, State echoed, the prompt shown, rounds bounded.

mod common;

use common::{server, TestConfig};
use radius_core::auth::Credentials;
use radius_core::{AuthRequest, ChallengePrompt, ChallengeResponder, ClientError, Secret, Service};
use radius_testbed::FreeRadius;

/// Answers every round with `code` and remembers the prompts.
struct Otp {
    code: &'static str,
    prompts: Vec<ChallengePrompt>,
}

impl ChallengeResponder for Otp {
    fn respond(&mut self, prompt: &ChallengePrompt) -> Option<Secret> {
        self.prompts.push(prompt.clone());
        Some(Secret::from(self.code))
    }
}

fn request() -> AuthRequest {
    AuthRequest::new("otpuser", Credentials::pap(Secret::from("otp-first")), Service::Login)
}

/// The right one-time code after the challenge is accepted; the server's prompt reaches the responder.
#[test]
fn right_code_is_accepted() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""));
    let mut otp = Otp { code: "123456", prompts: vec![] };
    let outcome = cfg.client().authenticate(&request(), &mut otp).unwrap();
    assert!(outcome.is_accept());
    assert_eq!(otp.prompts.len(), 1);
    assert_eq!(otp.prompts[0].messages, vec!["Enter your one-time code"]);
    assert_eq!(otp.prompts[0].echo, None, "the test server sends no Prompt");
}

/// A wrong one-time code is rejected.
#[test]
fn wrong_code_is_rejected() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""));
    let mut otp = Otp { code: "654321", prompts: vec![] };
    assert!(!cfg.client().authenticate(&request(), &mut otp).unwrap().is_accept());
    assert_eq!(otp.prompts.len(), 1);
}

/// A wrong first factor is rejected without any challenge.
#[test]
fn wrong_first_factor_gets_no_challenge() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""));
    let mut otp = Otp { code: "123456", prompts: vec![] };
    let req = AuthRequest::new("otpuser", Credentials::pap(Secret::from("nope")), Service::Login);
    assert!(!cfg.client().authenticate(&req, &mut otp).unwrap().is_accept());
    assert!(otp.prompts.is_empty());
}

/// With no rounds allowed, a challenge is an error, never an accept.
#[test]
fn round_limit() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""));
    let mut req = request();
    req.max_challenge_rounds = 0;
    let mut otp = Otp { code: "123456", prompts: vec![] };
    let err = cfg.client().authenticate(&req, &mut otp).unwrap_err();
    assert!(matches!(err, ClientError::TooManyChallenges(0)), "{err}");
}
