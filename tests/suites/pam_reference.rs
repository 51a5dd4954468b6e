//! The same scenarios through Debian's pam_radius_auth.so and through
//! pam_radius_rs.so, with the same pam_radius_auth.conf against the same
//! FreeRADIUS (its legacy virtual server: pam_radius_auth 2.0.0 sends no
//! Message-Authenticator, so the modern one would refuse it). Where
//! pam_radius_auth has the feature, both must give the same answer.

mod pam_support;

use pam_support::{ConfFile, Module, PamService};
use radius_ffi::pam::{PamError, Style};
use radius_testbed::{closed_port, FreeRadius};

const BOTH: [Module; 2] = [Module::Reference, Module::Ours];

/// Accept (with Framed-IP-Address and Privilege in the environment),
/// wrong password and unknown user.
#[test]
fn accept_reject_unknown_alike() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("127.0.0.1", fr.legacy_auth)], 3);
    for module in BOTH {
        let svc = PamService::single(module, &format!("{} privilege_level", conf.arg()));
        let mut d = svc.start("alice", &["alice-password"]);
        assert_eq!(d.authenticate(), Ok(()), "{module:?}");
        assert_eq!(*d.prompts.borrow(), vec![(Style::PromptEchoOff, "Password: ".to_string())], "{module:?}");
        assert_eq!(d.tx.getenv("Framed-IP-Address").as_deref(), Some("10.64.0.7"), "{module:?}");
        assert_eq!(d.tx.getenv("Privilege").as_deref(), Some("15"), "{module:?}");
        assert_eq!(svc.start("alice", &["wrong"]).authenticate(), Err(PamError::AuthErr), "{module:?}");
        assert_eq!(svc.start("nobody-here", &["x"]).authenticate(), Err(PamError::AuthErr), "{module:?}");
        // Where they differ: upstream pam_radius_auth (and we) refuse an
        // Accept without Management-Privilege-Level under privilege_level;
        // Debian's 2.0.0 lets it through.
        let bob = svc.start("bob", &["bob-password"]).authenticate();
        match module {
            Module::Ours => assert_eq!(bob, Err(PamError::AuthinfoUnavail), "privilege_level without the attribute"),
            Module::Reference => assert_eq!(bob, Ok(())),
        }
    }
}

/// OTP: the same prompts (password hidden, challenge echoed) and answers.
#[test]
fn otp_challenge_alike() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("127.0.0.1", fr.legacy_auth)], 3);
    let mut transcripts = Vec::new();
    for module in BOTH {
        let svc = PamService::single(module, &conf.arg());
        let mut right = svc.start("otpuser", &["otp-first", "123456"]);
        assert_eq!(right.authenticate(), Ok(()), "{module:?}");
        transcripts.push(right.prompts.borrow().clone());
        assert_eq!(svc.start("otpuser", &["otp-first", "999999"]).authenticate(), Err(PamError::AuthErr), "{module:?}");
    }
    assert_eq!(transcripts[0], transcripts[1], "the user sees the same prompts");
}

/// use_first_pass after pam_unix: one prompt, accepted.
#[test]
fn use_first_pass_alike() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("127.0.0.1", fr.legacy_auth)], 3);
    for module in BOTH {
        let svc = PamService::new(&format!(
            "auth optional pam_unix.so nodelay\nauth required {} {} use_first_pass\n",
            module.path().display(),
            conf.arg()
        ));
        let mut d = svc.start("alice", &["alice-password"]);
        assert_eq!(d.authenticate(), Ok(()), "{module:?}");
        assert_eq!(d.prompts.borrow().len(), 1, "{module:?}");
    }
}

/// Server down: PAM_AUTHINFO_UNAVAIL; with localifdown the next module decides.
#[test]
fn server_down_alike() {
    let port = closed_port();
    let conf = ConfFile::legacy(&[("127.0.0.1", port)], 3);
    for module in BOTH {
        for (extra, expected) in [("", Err(PamError::AuthinfoUnavail)), ("localifdown", Ok(()))] {
            let svc = PamService::new(&format!(
                "auth required {} {} {extra}\nauth required pam_permit.so\n",
                module.path().display(),
                conf.arg()
            ));
            assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), expected, "{module:?} {extra}");
        }
    }
}

/// Session accounting: both send Start and Stop for the user; we also echo
/// the Class of the Accept (Debian's 2.0.0 does not).
#[test]
fn session_accounting_alike() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("127.0.0.1", fr.legacy_auth)], 3);
    for module in BOTH {
        let svc = PamService::single(module, &conf.arg());
        let mut d = svc.start("alice", &["alice-password"]);
        assert_eq!(d.authenticate(), Ok(()), "{module:?}");
        assert_eq!(d.tx.open_session(0), Ok(()), "{module:?}");
        assert_eq!(d.tx.close_session(0), Ok(()), "{module:?}");
    }
    let detail = fr.wait_detail("legacy", "Acct-Status-Type = Stop");
    let records: Vec<&str> = detail.split("\n\n").filter(|r| r.contains("Acct-Status-Type")).collect();
    assert_eq!(records.len(), 4, "two Starts and two Stops:\n{detail}");
    for r in &records {
        assert!(r.contains("User-Name = \"alice\""), "{r}");
    }
    let is_ours = |r: &str| {
        r.lines().any(|l| l.contains("Acct-Session-Id") && l.split('=').nth(1).is_some_and(|v| v.contains('-')))
    };
    let ours: Vec<&&str> = records.iter().filter(|r| is_ours(r)).collect();
    assert_eq!(ours.len(), 2, "{records:?}");
    assert!(ours.iter().all(|r| r.contains("Class = 0x616c6963652d636c617373")), "{ours:?}");
    // Where they differ: our session id is unique across hosts and reboots,
    // pam_radius_auth's is the process id.
    let ids: Vec<&str> = records.iter().filter_map(|r| r.lines().find(|l| l.contains("Acct-Session-Id"))).collect();
    assert!(ids.iter().any(|l| l.contains(&format!("\"{:08}\"", std::process::id()))), "{ids:?}");
    assert!(ids.iter().any(|l| l.split('=').nth(1).is_some_and(|v| v.contains('-'))), "{ids:?}");
    // Both name the NAS the same way.
    for r in &records {
        for attr in ["NAS-IP-Address = ", "NAS-Port = ", "NAS-Port-Type = Virtual", "NAS-Identifier = \"radius-rs-test-"] {
            assert!(r.contains(attr), "{attr} missing:\n{r}");
        }
    }
}
