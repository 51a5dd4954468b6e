//! pam_radius_rs.so under things going wrong: a panic inside an entry
//! point, garbage from the caller, an unreadable or malformed config.
//! Each gives a failure code and a clear log line — never PAM_SUCCESS.
//! Also: valgrind finds no memory error in a whole pamtester run.

mod pam_support;

use pam_support::{our_module, run_with_input, ConfFile, Module, PamService};
use radius_testbed::FreeRadius;
use std::process::Command;

/// pamtester's stdout and stderr together (it reports on both).
fn stderr(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A panic injected (test builds only) into each entry point is caught at
/// the boundary: the stage fails and the log says why.
#[test]
fn a_panic_in_any_entry_point_fails_closed() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let svc = PamService::single(Module::Ours, &format!("{} log=stderr", conf.arg()));
    for (entry, ops) in [
        ("pam_sm_authenticate", vec!["authenticate"]),
        ("pam_sm_acct_mgmt", vec!["authenticate", "acct_mgmt"]),
        ("pam_sm_open_session", vec!["authenticate", "open_session"]),
        ("pam_sm_close_session", vec!["authenticate", "open_session", "close_session"]),
        ("pam_sm_setcred", vec!["authenticate", "setcred"]),
    ] {
        let mut pamtester = Command::new("pamtester");
        pamtester.env("RADIUS_RS_TEST_PANIC", entry).arg(&svc.name).arg("alice").args(&ops);
        let out = run_with_input(&mut pamtester, "alice-password\n");
        let err = stderr(&out);
        assert!(!out.status.success(), "{entry}: pamtester succeeded:\n{err}");
        assert!(
            err.contains(&format!("pam_radius_rs: {entry}: internal error (panic: test panic injected into {entry}); failing closed")),
            "{entry}: no log line:\n{err}"
        );
    }
}

/// Null handle, negative argc, null argv, a null or non-UTF-8 argument:
/// every entry point refuses (never PAM_SUCCESS = 0).
#[test]
fn garbage_from_the_caller_is_refused() {
    let probe = our_module().parent().unwrap().join("pam-entry-probe");
    assert!(probe.exists(), "{} missing: cargo build -p radius-ffi --bins", probe.display());
    for entry in ["pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_open_session", "pam_sm_close_session", "pam_sm_chauthtok"] {
        for case in ["null-handle", "negative-argc", "null-argv", "null-arg", "non-utf8-arg"] {
            let out = Command::new(&probe).arg(our_module()).arg(entry).arg(case).output().expect("probe");
            assert!(out.status.success(), "{entry} {case}: probe failed: {}", stderr(&out));
            let code: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("a code");
            assert_ne!(code, 0, "{entry} {case} returned PAM_SUCCESS");
            if case == "null-handle" {
                assert!(stderr(&out).contains(&format!("{entry}: called with a null PAM handle; failing closed")), "{}", stderr(&out));
            }
        }
    }
}

/// An unreadable config, a malformed TOML and a malformed
/// pam_radius_auth.conf: PAM_SERVICE_ERR and a message naming the file
/// (and the line).
#[test]
fn broken_configs_refuse_with_a_clear_message() {
    let bad_toml = ConfFile::write("radius.toml", "[client]\ntimeout = \"1s\"\n\n[[server]]\naddress = \"127.0.0.1\"\nsecrett = \"x\"\n");
    let bad_legacy = ConfFile::write("pam_radius_auth.conf", "127.0.0.1 some-secret 3\nonly-a-host\n");
    let cases = [
        ("conf=/nonexistent/radius.toml".to_string(), "/nonexistent/radius.toml: cannot read configuration".to_string()),
        (bad_toml.arg(), format!("{}:6: key `server[0].secrett`: unknown field `secrett`", bad_toml.path.display())),
        (bad_legacy.arg(), format!("{}:2: expected `server[:port] secret", bad_legacy.path.display())),
    ];
    for (arg, message) in cases {
        let svc = PamService::single(Module::Ours, &format!("{arg} log=stderr"));
        let out = svc.pamtester("alice", "alice-password\n", &["authenticate"], &[]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{arg}: succeeded");
        assert!(err.contains("Error in service module"), "{arg}: not PAM_SERVICE_ERR:\n{err}");
        assert!(err.contains(&message), "{arg}: expected `{message}` in:\n{err}");
    }
}

/// pamtester through the module: accept, reject, challenge, session.
#[test]
fn pamtester_accept_reject_and_challenge() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let svc = PamService::single(Module::Ours, &conf.arg());
    let ok = svc.pamtester("alice", "alice-password\n", &["authenticate", "acct_mgmt", "open_session", "close_session"], &[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("successfully authenticated"));
    let bad = svc.pamtester("alice", "wrong\n", &["authenticate"], &[]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("Authentication failure"), "{}", stderr(&bad));
    let otp = svc.pamtester("otpuser", "otp-first\n123456\n", &["authenticate"], &[]);
    assert!(otp.status.success(), "{}", stderr(&otp));
    assert!(stderr(&otp).contains("Enter your one-time code"), "{:?}", otp);
    assert!(fr.wait_detail("modern", "Acct-Status-Type = Stop").contains("User-Name = \"alice\""));
}

/// valgrind: a whole transaction (auth, account, session, a challenge) has
/// no memory error in the module or at the boundary.
#[test]
fn valgrind_finds_no_errors() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let svc = PamService::single(Module::Ours, &conf.arg());
    for (user, input) in [("alice", "alice-password\n"), ("otpuser", "otp-first\n123456\n"), ("alice", "wrong\n")] {
        let mut valgrind = Command::new("valgrind");
        valgrind.args(["--error-exitcode=99", "--quiet", "pamtester", &svc.name, user, "authenticate", "acct_mgmt", "open_session", "close_session"]);
        let out = run_with_input(&mut valgrind, input);
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(99), "valgrind found errors for {user}:\n{err}");
        assert!(!err.contains("Invalid read") && !err.contains("Invalid write") && !err.contains("uninitialised"), "{err}");
        let accepted = input != "wrong\n";
        assert_eq!(out.status.success(), accepted, "{user}: {err}");
    }
}
