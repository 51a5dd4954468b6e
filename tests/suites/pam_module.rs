//! pam_radius_rs.so through the real libpam, in process (pam_start →
//! pam_authenticate → pam_acct_mgmt → pam_open_session →
//! pam_close_session → pam_end), against the real FreeRADIUS.

mod pam_support;

use pam_support::{ConfFile, Module, PamService};
use radius_ffi::pam::{PamError, Style};
use radius_testbed::{closed_port, FreeRadius};

fn modern(fr: &FreeRadius) -> ConfFile {
    ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "")
}

/// Accept: the password prompt, the PAM environment from the reply, the
/// attributes of the Access-Request, and accounting Start/Stop with the
/// Class, the remote host and the session time.
#[test]
fn accept_with_environment_request_attributes_and_accounting() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let mut d = svc.start("alice", &["alice-password"]).rhost("192.0.2.44");
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(*d.prompts.borrow(), vec![(Style::PromptEchoOff, "Password: ".to_string())]);
    assert_eq!(d.tx.getenv("Framed-IP-Address").as_deref(), Some("10.64.0.7"));
    assert_eq!(d.tx.getenv("Privilege").as_deref(), Some("15"));
    assert_eq!(d.tx.getenv("RADIUS_POLICIES"), None, "no registry configured");
    assert_eq!(d.tx.setcred(0), Ok(()));
    assert_eq!(d.tx.acct_mgmt(0), Ok(()));
    assert_eq!(d.tx.open_session(0), Ok(()));
    assert_eq!(d.tx.close_session(0), Ok(()));

    let log = fr.debug_log();
    for expected in [
        "User-Name = \"alice\"",
        "Service-Type = Authenticate-Only",
        "NAS-Port-Type = Virtual",
        "Calling-Station-Id = \"192.0.2.44\"",
        &format!("NAS-Identifier = \"{}\"", svc.name),
        "Message-Authenticator = 0x",
    ] {
        assert!(log.contains(expected), "Access-Request lacks {expected}:\n{log}");
    }
    let detail = fr.wait_detail("modern", "Acct-Status-Type = Stop");
    let start = detail.split("\n\n").find(|r| r.contains("Acct-Status-Type = Start")).expect("a Start record");
    let stop = detail.split("\n\n").find(|r| r.contains("Acct-Status-Type = Stop")).expect("a Stop record");
    for record in [start, stop] {
        for expected in [
            "User-Name = \"alice\"",
            "Class = 0x616c6963652d636c617373",
            "Calling-Station-Id = \"192.0.2.44\"",
            "Acct-Authentic = RADIUS",
            "NAS-Port-Type = Virtual",
            "Event-Timestamp = ",
        ] {
            assert!(record.contains(expected), "record lacks {expected}:\n{record}");
        }
    }
    let id_of = |r: &str| r.lines().find(|l| l.contains("Acct-Session-Id")).unwrap().to_string();
    assert_eq!(id_of(start), id_of(stop), "Start and Stop share the session id");
    assert!(stop.contains("Acct-Session-Time = ") && stop.contains("Acct-Terminate-Cause = User-Request"), "{stop}");
}

/// Two logins get different Acct-Session-Ids.
#[test]
fn session_ids_are_unique_per_login() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    for _ in 0..2 {
        let mut d = svc.start("alice", &["alice-password"]);
        assert_eq!(d.authenticate(), Ok(()));
        assert_eq!(d.tx.open_session(0), Ok(()));
    }
    let detail = fr.wait_detail("modern", "Acct-Session-Id");
    let mut ids: Vec<&str> = detail.lines().filter(|l| l.contains("Acct-Session-Id")).collect();
    assert_eq!(ids.len(), 2, "{detail}");
    ids.dedup();
    assert_eq!(ids.len(), 2, "ids repeat: {detail}");
}

/// Logins one after another in one process (a long-lived host): the
/// state directory and the UDP socket stay open between them (the module
/// keeps them), every
/// login is counted where `radius-rs monitor` reads, and a state_dir
/// removed and made anew is where the next login's counts go.
#[test]
fn logins_in_one_process_keep_the_state_dir_and_count_in_it() {
    use radius_core::counters::{self, Counter};
    use radius_core::state::FileState;
    let fr = FreeRadius::start();
    // A source address of its own: no other test in this process shares
    // the kept socket (kept per address family, source and VRF).
    let conf = ConfFile::toml_with("timeout = \"1s\"\nsrc_address = \"127.0.0.1\"\n", &[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let state_dir = conf.dir.path().join("state");
    let svc = PamService::single(Module::Ours, &conf.arg());
    let login = || assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), Ok(()));
    let accepts = || {
        let config = radius_core::config::Config::load(&conf.path).unwrap();
        counters::snapshot(&FileState::open(&state_dir), &config.servers[0]).unwrap().get(Counter::Accepts)
    };
    let held_open = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .any(|target| target == state_dir)
    };
    for _ in 0..3 {
        login();
    }
    assert_eq!(accepts(), 3);
    assert!(held_open(), "state_dir was not kept open after the transactions ended");
    // The three requests came from one kept socket, Identifiers counting up.
    let log = fr.debug_log();
    let requests: Vec<(u8, String)> = log
        .lines()
        .filter_map(|l| {
            let rest = l.split("Received Access-Request Id ").nth(1)?;
            let (id, rest) = rest.split_once(" from ")?;
            Some((id.parse().ok()?, rest.split_whitespace().next()?.to_string()))
        })
        .collect();
    assert_eq!(requests.len(), 3, "{log}");
    assert!(requests.iter().all(|(_, from)| *from == requests[0].1), "not one source port: {requests:?}");
    assert!(requests.windows(2).all(|w| w[1].0 == w[0].0.wrapping_add(1)), "Identifiers not counting up: {requests:?}");
    std::fs::remove_dir_all(&state_dir).unwrap();
    login();
    assert_eq!(accepts(), 1, "the login after state_dir was made anew is counted in the new one");
}

/// Wrong password and unknown user: PAM_AUTH_ERR, nothing in the environment.
#[test]
fn wrong_password_and_unknown_user_fail() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let mut d = svc.start("alice", &["not-her-password"]);
    assert_eq!(d.authenticate(), Err(PamError::AuthErr));
    assert_eq!(d.tx.getenv("Framed-IP-Address"), None);
    assert_eq!(d.tx.setcred(0), Err(PamError::AuthErr), "setcred repeats the auth result");
    assert_eq!(d.tx.acct_mgmt(0), Err(PamError::UserUnknown), "not authenticated by us");
    let mut d = svc.start("nobody-here", &["whatever"]);
    assert_eq!(d.authenticate(), Err(PamError::AuthErr));
}

/// OTP: the Reply-Message of the Access-Challenge is the prompt (echo on,
/// as in pam_radius_auth); the right code is accepted, a wrong one is not.
#[test]
fn otp_challenge_right_and_wrong() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let mut d = svc.start("otpuser", &["otp-first", "123456"]);
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(
        *d.prompts.borrow(),
        vec![
            (Style::PromptEchoOff, "Password: ".to_string()),
            (Style::PromptEchoOn, "Enter your one-time code".to_string())
        ]
    );
    let mut d = svc.start("otpuser", &["otp-first", "000000"]);
    assert_eq!(d.authenticate(), Err(PamError::AuthErr));
    assert_eq!(d.prompts.borrow().len(), 2);
    // max_challenge=1 still allows the one round this server asks for.
    let limited = PamService::single(Module::Ours, &format!("{} max_challenge=1", conf.arg()));
    assert_eq!(limited.start("otpuser", &["otp-first", "123456"]).authenticate(), Ok(()));
}

/// use_first_pass / try_first_pass with pam_unix before us: the password
/// typed once is reused without a second prompt.
#[test]
fn first_pass_from_a_stacked_module() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let ours = Module::Ours.path();
    for mode in ["use_first_pass", "try_first_pass"] {
        let svc = PamService::new(&format!(
            "auth optional pam_unix.so nodelay\nauth required {} {} {mode}\n",
            ours.display(),
            conf.arg()
        ));
        let mut d = svc.start("alice", &["alice-password"]);
        assert_eq!(d.authenticate(), Ok(()), "{mode}");
        assert_eq!(d.prompts.borrow().len(), 1, "{mode}: asked once, by pam_unix: {:?}", d.prompt_texts());
    }
    // use_first_pass without an earlier password fails without asking.
    let svc = PamService::single(Module::Ours, &format!("{} use_first_pass", conf.arg()));
    let mut d = svc.start("alice", &["alice-password"]);
    assert_eq!(d.authenticate(), Err(PamError::AuthErr));
    assert!(d.prompts.borrow().is_empty());
    // force_prompt asks even when an earlier module set the password.
    let svc = PamService::new(&format!(
        "auth optional pam_unix.so nodelay\nauth required {} {} force_prompt prompt=Token\n",
        ours.display(),
        conf.arg()
    ));
    let mut d = svc.start("alice", &["typo", "alice-password"]);
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(d.prompt_texts().last().map(String::as_str), Some("Token: "));
}

/// Server down: PAM_AUTHINFO_UNAVAIL, which fails a `required` line; with
/// localifdown PAM_IGNORE, so the next module (here pam_permit) decides.
#[test]
fn server_down_with_and_without_localifdown() {
    let port = closed_port();
    let conf = ConfFile::toml(&[("127.0.0.1", port, port)], "");
    let ours = Module::Ours.path();
    let stack = |extra: &str| {
        PamService::new(&format!("auth required {} {} {extra}\nauth required pam_permit.so\n", ours.display(), conf.arg()))
    };
    assert_eq!(stack("").start("alice", &["alice-password"]).authenticate(), Err(PamError::AuthinfoUnavail));
    assert_eq!(stack("localifdown").start("alice", &["alice-password"]).authenticate(), Ok(()));
}

/// A closed first server costs nothing: the second answers.
#[test]
fn failover_to_the_second_server() {
    let fr = FreeRadius::start();
    let port = closed_port();
    let conf = ConfFile::toml(&[("127.0.0.1", port, port), ("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let svc = PamService::single(Module::Ours, &conf.arg());
    let t = std::time::Instant::now();
    assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), Ok(()));
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "took {:?}", t.elapsed());
}

/// A pam_radius_auth.conf file works unchanged (legacy server, no
/// Message-Authenticator); with `require_message_authenticator` the same
/// server is refused.
#[test]
fn legacy_pam_radius_auth_conf() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("127.0.0.1", fr.legacy_auth)], 1);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let mut d = svc.start("alice", &["alice-password"]);
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(d.tx.open_session(0), Ok(()), "accounting goes to port + 1");
    assert_eq!(d.tx.close_session(0), Ok(()));
    assert!(fr.wait_detail("legacy", "Acct-Status-Type = Stop").contains("User-Name = \"alice\""));
    assert_eq!(svc.start("alice", &["wrong"]).authenticate(), Err(PamError::AuthErr));
    let strict = PamService::single(Module::Ours, &format!("{} require_message_authenticator", conf.arg()));
    assert_eq!(strict.start("alice", &["alice-password"]).authenticate(), Err(PamError::AuthinfoUnavail));
}

const REGISTRY: &str = r#"
[registry]
unregistered_user_policies = ["guest"]
bound_cidrs = ["127.0.0.0/8", "192.0.2.0/24"]

[users.alice]
policies = ["admin", "ops"]
"#;

/// Registered and unregistered users get their policies in
/// RADIUS_POLICIES; `require_policy` in the account stage holds the line.
#[test]
fn policies_and_require_policy() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], REGISTRY);
    let svc = PamService::single(Module::Ours, &format!("{} require_policy=admin", conf.arg()));
    let mut d = svc.start("alice", &["alice-password"]).rhost("127.0.0.1");
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(d.tx.getenv("RADIUS_POLICIES").as_deref(), Some("admin,ops"));
    assert_eq!(d.tx.acct_mgmt(0), Ok(()));

    let mut d = svc.start("bob", &["bob-password"]).rhost("127.0.0.1");
    assert_eq!(d.authenticate(), Ok(()), "unregistered, with unregistered_user_policies");
    assert_eq!(d.tx.getenv("RADIUS_POLICIES").as_deref(), Some("guest"));
    assert_eq!(d.tx.acct_mgmt(0), Err(PamError::PermDenied), "guest lacks admin");

    // Not authenticated by this module: refused, or left to others with skip_unknown.
    assert_eq!(svc.start("alice", &[]).tx.acct_mgmt(0), Err(PamError::UserUnknown));
    // skip_unknown returns PAM_IGNORE, so the next account module decides.
    let ours = Module::Ours.path();
    let then = |next: &str| {
        PamService::new(&format!(
            "account required {} {} require_policy=admin skip_unknown\naccount required {next}\n",
            ours.display(),
            conf.arg()
        ))
    };
    assert_eq!(then("pam_permit.so").start("alice", &[]).tx.acct_mgmt(0), Ok(()));
    assert_eq!(then("pam_deny.so").start("alice", &[]).tx.acct_mgmt(0), Err(PamError::AuthErr), "pam_deny's answer");
}

/// Without unregistered_user_policies an unregistered user is refused even
/// though RADIUS accepts.
#[test]
fn unregistered_user_without_default_policies_is_refused() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "[users.alice]\npolicies = [\"admin\"]\n");
    let svc = PamService::single(Module::Ours, &conf.arg());
    assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), Ok(()));
    assert_eq!(svc.start("bob", &["bob-password"]).authenticate(), Err(PamError::AuthErr));
}

/// bound_cidrs: PAM_RHOST inside is allowed, outside (or absent) refused
/// before any password is asked.
#[test]
fn bound_cidrs_against_rhost() {
    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], REGISTRY);
    let svc = PamService::single(Module::Ours, &conf.arg());
    assert_eq!(svc.start("alice", &["alice-password"]).rhost("192.0.2.7").authenticate(), Ok(()));
    let mut outside = svc.start("alice", &["alice-password"]).rhost("198.51.100.7");
    assert_eq!(outside.authenticate(), Err(PamError::AuthErr));
    assert!(outside.prompts.borrow().is_empty(), "refused before the password prompt");
    assert_eq!(svc.start("alice", &["alice-password"]).authenticate(), Err(PamError::AuthErr), "no PAM_RHOST");
}

/// privilege_level requires Management-Privilege-Level in the Accept.
#[test]
fn privilege_level_requires_the_attribute() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &format!("{} privilege_level", conf.arg()));
    let mut alice = svc.start("alice", &["alice-password"]);
    assert_eq!(alice.authenticate(), Ok(()));
    assert_eq!(alice.tx.getenv("Privilege").as_deref(), Some("15"));
    assert_eq!(svc.start("bob", &["bob-password"]).authenticate(), Err(PamError::AuthinfoUnavail));
}

/// Password change is not supported: PAM_SERVICE_ERR, never success.
#[test]
fn chauthtok_is_refused() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let mut d = svc.start("alice", &["old", "new", "new"]);
    assert_eq!(d.tx.chauthtok(0), Err(PamError::ServiceErr));
}

/// ruser: when PAM_USER is root, PAM_RUSER is authenticated.
#[test]
fn ruser_authenticates_the_remote_user_for_root() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &format!("{} ruser", conf.arg()));
    let mut d = svc.start("root", &["alice-password"]);
    assert_eq!(d.tx.set_item(radius_ffi::pam::Item::RemoteUser, "alice"), Ok(()));
    assert_eq!(d.authenticate(), Ok(()));
    assert!(fr.debug_log().contains("User-Name = \"alice\""));
}

/// A password that is not UTF-8 (Latin-1 "päss-wörd", FreeRADIUS's users
/// file holds those bytes) logs in through the real libpam: pamtester's
/// conversation hands the bytes over and they reach the server as typed.
/// The same word in UTF-8 is another password and is rejected.
#[test]
fn latin1_password_through_libpam() {
    let fr = FreeRadius::start();
    let conf = modern(&fr);
    let svc = PamService::single(Module::Ours, &conf.arg());
    let latin1 = svc.pamtester_bytes("latin1", b"p\xe4ss-w\xf6rd\n", &["authenticate"], &[]);
    assert!(latin1.status.success(), "{}{}", String::from_utf8_lossy(&latin1.stdout), String::from_utf8_lossy(&latin1.stderr));
    let utf8 = svc.pamtester("latin1", "päss-wörd\n", &["authenticate"], &[]);
    assert!(!utf8.status.success(), "the UTF-8 spelling is another password");
}

/// `ipv6=no` drops the IPv6 server listed first in a pam_radius_auth.conf;
/// the challenge's second round still goes to the server that challenged
/// (it went to a position that no longer existed: PAM_AUTHINFO_UNAVAIL or a panic).
#[test]
fn challenge_after_family_filtering_goes_to_the_right_server() {
    let fr = FreeRadius::start();
    let conf = ConfFile::legacy(&[("[::1]", fr.modern_auth), ("127.0.0.1", fr.modern_auth)], 3);
    let svc = PamService::single(Module::Ours, &format!("{} ipv6=no", conf.arg()));
    let mut d = svc.start("otpuser", &["otp-first", "123456"]);
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(d.prompt_texts(), vec!["Password: ".to_string(), "Enter your one-time code".to_string()]);
    let log = fr.debug_log();
    assert!(!log.contains("from client lo6"), "the IPv6 server was asked despite ipv6=no");
}

/// A user in the registry's store (what `radius-rs users` writes) gets his
/// policies from it, beside 10,000 others; a store anyone may write in is
/// not believed: the login fails closed.
#[test]
fn store_users_get_their_policies() {
    let fr = FreeRadius::start();
    let dir = tempfile::tempdir().unwrap();
    let store = radius_host::user_store::UserStore::new(dir.path().join("users"));
    let lines: String = (0..10_000).map(|i| format!("user{i:05} staff\n")).collect::<String>() + "alice admin,store\n";
    store.import(std::path::Path::new("bulk"), &lines).unwrap();
    let extra = format!("[registry]\nstore = \"{}\"\n", store.path().display());
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], &extra);
    let svc = PamService::single(Module::Ours, &format!("{} require_policy=admin", conf.arg()));
    let mut d = svc.start("alice", &["alice-password"]);
    assert_eq!(d.authenticate(), Ok(()));
    assert_eq!(d.tx.getenv("RADIUS_POLICIES").as_deref(), Some("admin,store"));
    assert_eq!(d.tx.acct_mgmt(0), Ok(()));
    assert_eq!(svc.start("bob", &["bob-password"]).authenticate(), Err(PamError::AuthErr), "not in the store, no unregistered policies");
    std::fs::set_permissions(store.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    assert_ne!(svc.start("alice", &["alice-password"]).authenticate(), Ok(()), "a world-writable store is not trusted");
}
