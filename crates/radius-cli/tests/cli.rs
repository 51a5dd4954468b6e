//! The `radius-rs` command as an administrator runs it, against a real
//! FreeRADIUS: exit codes, printed reply attributes, challenge answers on
//! stdin, counters aggregated across processes, dead marks shared across
//! processes, and check-config's messages.

use radius_testbed::{silent_server, FreeRadius, SECRET};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn setup(client: &str, servers: &[(u16, u16)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("radius.toml");
    let mut text = format!("[client]\nnas_identifier = \"cli-test\"\nstate_dir = \"{}\"\n{client}\n", dir.path().join("state").display());
    for (auth, acct) in servers {
        text += &format!("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\nauth_port = {auth}\nacct_port = {acct}\n");
    }
    std::fs::write(&config, text).unwrap();
    Setup { dir, config }
}

fn radius_rs(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_radius-rs"))
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// An accepted login exits 0 and prints the reply code and every reply attribute by name.
#[test]
fn login_accept_prints_every_attribute() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    let o = radius_rs(&s.config, &["login", "alice", "--password-stdin"], "alice-password\n");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    for line in [
        "Access-Accept",
        "Reply-Message = \"Hello, alice\"",
        "Framed-IP-Address = 10.64.0.7",
        "Framed-IP-Netmask = 255.255.255.255",
        "Session-Timeout = 3600",
        "Idle-Timeout = 600",
        "Class = 0x616c6963652d636c617373",
        "Mikrotik-Rate-Limit = \"10M/20M\"",
        "Message-Authenticator = 0x",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

/// A rejected login exits 1; every method is selectable.
#[test]
fn login_reject_exits_1_for_each_method() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    for method in ["pap", "chap", "mschapv1", "mschapv2"] {
        let o = radius_rs(&s.config, &["login", "alice", "--password", "nope", "--method", method], "");
        assert_eq!(o.status.code(), Some(1), "{method}: {:?}", text(&o));
        assert!(text(&o).0.contains("Access-Reject"));
        let o = radius_rs(&s.config, &["login", "alice", "--password", "alice-password", "--method", method], "");
        assert_eq!(o.status.code(), Some(0), "{method}: {:?}", text(&o));
    }
}

/// MS-CHAPv2 through the CLI checks the server's authenticator response.
#[test]
fn mschapv2_authenticator_response_is_checked() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    let o = radius_rs(&s.config, &["login", "bob", "--password", "bob-password", "--method", "mschapv2"], "");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("MS-CHAP2-Success authenticator response: valid"), "{out}");
    assert!(out.contains("MS-MPPE-Send-Key = <hidden, 34 bytes>"), "{out}");
}

/// Access-Challenge rounds are answered with further lines of stdin.
#[test]
fn challenge_answered_from_stdin() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    let o = radius_rs(&s.config, &["login", "otpuser", "--password-stdin"], "otp-first\n123456\n");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(err.contains("Enter your one-time code"), "{err}");
    let o = radius_rs(&s.config, &["login", "otpuser", "--password-stdin"], "otp-first\n000000\n");
    assert_eq!(o.status.code(), Some(1));
}

/// No reachable server and a broken config both exit 2 with a clear message.
#[test]
fn errors_exit_2() {
    let (_sock, port) = silent_server();
    let s = setup("timeout = \"100ms\"\nretries = 0", &[(port, port)]);
    let o = radius_rs(&s.config, &["login", "alice", "--password", "x"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no RADIUS server answered"), "{:?}", text(&o));

    std::fs::write(&s.config, "[client]\ntimeout = \"fast\"\n").unwrap();
    let o = radius_rs(&s.config, &["login", "alice", "--password", "x"], "");
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o).1;
    assert!(err.contains(&format!("{}:2: key `client.timeout`", s.config.display())), "{err}");
    let o = radius_rs(&s.config, &["check-config"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("client.timeout"));
}

/// Counters add up over separate processes and are shown by monitor.
#[test]
fn monitor_aggregates_processes() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    assert_eq!(radius_rs(&s.config, &["login", "alice", "--password", "alice-password"], "").status.code(), Some(0));
    assert_eq!(radius_rs(&s.config, &["login", "alice", "--password", "bad"], "").status.code(), Some(1));
    assert_eq!(radius_rs(&s.config, &["login", "bob", "--password", "bob-password"], "").status.code(), Some(0));
    let o = radius_rs(&s.config, &["monitor"], "");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    for line in ["pending: 0", "requests: 3", "accepts: 2", "rejects: 1", "timeouts: 0", "bad-replies: 0"] {
        assert!(out.contains(line), "missing `{line}`:\n{out}");
    }
    // The same for Prometheus: every sample a valid line, the counters as above.
    let o = radius_rs(&s.config, &["monitor", "--prometheus"], "");
    let (prom, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let labels = format!("{{server=\"127.0.0.1\",auth_port=\"{}\",acct_port=\"{}\"}}", fr.modern_auth, fr.modern_acct);
    for sample in [format!("radius_rs_server_requests_total{labels} 3"), format!("radius_rs_server_accepts_total{labels} 2"), format!("radius_rs_server_rejects_total{labels} 1")] {
        assert!(prom.lines().any(|l| l == sample), "missing `{sample}`:\n{prom}");
    }
    assert!(prom.contains("# TYPE radius_rs_server_pending gauge") && prom.contains("# TYPE radius_rs_dmd_naks_total counter"));
    for l in prom.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = l.rsplit_once(' ').expect("NAME{LABELS} VALUE");
        assert!(value.parse::<f64>().is_ok() && name.starts_with("radius_rs_"), "bad sample `{l}`");
    }
    // --watch refreshes in place every second.
    let started = Instant::now();
    let o = radius_rs(&s.config, &["monitor", "--watch", "--count", "2"], "");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o).0.matches("\x1b[H\x1b[2J").count(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let _ = &s.dir;
}

/// A second process right after skips the server the first found dead, without waiting.
#[test]
fn second_process_skips_dead_server() {
    let fr = FreeRadius::start();
    let (_sock, port) = silent_server();
    let s = setup("timeout = \"800ms\"\nretries = 0\ndead_time = \"1m\"", &[(port, port), (fr.modern_auth, fr.modern_acct)]);
    let t = Instant::now();
    assert_eq!(radius_rs(&s.config, &["login", "alice", "--password", "alice-password"], "").status.code(), Some(0));
    assert!(t.elapsed() >= Duration::from_millis(800), "the first process must have waited the timeout");
    let t = Instant::now();
    assert_eq!(radius_rs(&s.config, &["login", "alice", "--password", "alice-password"], "").status.code(), Some(0));
    assert!(t.elapsed() < Duration::from_millis(700), "second process waited {:?}", t.elapsed());
}

/// check-config explains a valid file and warns about short secrets and loose permissions.
#[test]
fn check_config_explains_and_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("radius.toml");
    std::fs::write(&config, "[[server]]\naddress = \"::1\"\nsecret = \"short\"\nservices = [\"ppp\"]\n").unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = radius_rs(&config, &["check-config"], "");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("valid"));
    assert!(out.contains("server 0: ::1 auth 1812 acct 1813, services ppp"), "{out}");
    assert!(err.contains("shared secret of 5 bytes"), "{err}");
    assert!(err.contains("readable by every user"), "{err}");
}

/// `radius-rs sessions` lists the registry; `radius-rs disconnect --user`
/// ends exactly that user's session (its "pppd" gets SIGTERM, the Admin-Reset
/// cause is left for the plugin's Stop) and a record whose pid is not its
/// pppd is never signalled.
#[test]
fn sessions_and_disconnect() {
    use radius_host::sessions::{self, PppSession};
    let s = setup("", &[(1812, 1813)]);
    let dir = s.dir.path().join("sessions");
    std::fs::write(&s.config, std::fs::read_to_string(&s.config).unwrap() + &format!("[sessions]\ndir = \"{}\"\n", dir.display())).unwrap();
    let pppd = s.dir.path().join("pppd");
    // A link, not a copy: a copy's write descriptor, inherited by a test
    // forking on another thread, makes running it fail with ETXTBSY. The
    // kernel names the process after the link ("pppd").
    std::os::unix::fs::symlink("/bin/sleep", &pppd).unwrap();
    let spawn = || Command::new(&pppd).arg("60").spawn().unwrap();
    let (mut alice, mut bob) = (spawn(), spawn());
    let record = |ifname: &str, user: &str, pid: u32| PppSession {
        acct_session_id: format!("ID-{user}"),
        process_start: sessions::process_identity(pid).map(|(_, t)| t),
        ..PppSession::example(ifname, user, pid)
    };
    let reg = sessions::SessionDir::open(&dir, &s.dir.path().join("state")).unwrap();
    reg.write(&record("ppp0", "alice", alice.id())).unwrap();
    reg.write(&record("ppp1", "bob", bob.id())).unwrap();
    // A record naming this test process: the pid is not a pppd.
    reg.write(&record("ppp2", "carol", std::process::id())).unwrap();

    let out = radius_rs(&s.config, &["sessions"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("alice") && text.contains("live") && text.contains("pid reused"), "{text}");

    let out = radius_rs(&s.config, &["disconnect", "--user", "alice"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("disconnected ppp0 (alice"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alice.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(alice.try_wait().unwrap().is_some(), "alice's pppd was not signalled");
    assert!(bob.try_wait().unwrap().is_none(), "bob's pppd was signalled");
    let control = reg.read_control("ppp0").unwrap().unwrap();
    assert_eq!(control.terminate_cause, Some(6), "Admin-Reset left for the Stop");

    let out = radius_rs(&s.config, &["disconnect", "--user", "carol"], "");
    assert_eq!(out.status.code(), Some(2), "a reused pid is not a session");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Session-Context-Not-Found"));
    let out = radius_rs(&s.config, &["disconnect", "--ip", "10.0.0.9"], "");
    assert_eq!(out.status.code(), Some(2));
    let _ = bob.kill();
    let _ = bob.wait();
}

/// `radius-rs import` turns a real-looking pam_radius_auth.conf and a
/// radiusclient.conf + servers (host names, ports, a dead first server,
/// timeouts) into a radius.toml that authenticates against the server.
#[test]
fn import_old_configurations_that_then_authenticate() {
    let fr = FreeRadius::start();
    let dir = tempfile::tempdir().unwrap();
    let dead = radius_testbed::closed_port();
    let pam = dir.path().join("pam_radius_auth.conf");
    std::fs::write(
        &pam,
        format!(
            "# server[:port]\tshared_secret\ttimeout (s)\n127.0.0.1:{dead}\t{SECRET}\t1\nlocalhost:{}\t{SECRET}\t3\n# other-server    other-secret       3\n",
            fr.legacy_auth
        ),
    )
    .unwrap();
    let rc = dir.path().join("radiusclient.conf");
    std::fs::write(dir.path().join("servers"), format!("# Server Name or Client/Server pair\t\tKey\nlocalhost\t{SECRET}\n")).unwrap();
    std::fs::write(
        &rc,
        format!(
            "auth_order\tradius\nlogin_tries\t4\nlogin_timeout\t60\nnologin /etc/nologin\nissue\t/etc/radiusclient/issue\n\
             authserver \tlocalhost:{}\nacctserver \tlocalhost:{}\nservers\t\t{}\ndictionary \t/etc/radiusclient/dictionary\n\
             login_radius\t/usr/sbin/login.radius\nseqfile\t\t/var/run/radius.seq\nmapfile\t\t/etc/radiusclient/port-id-map\n\
             default_realm\nradius_timeout\t3\nradius_retries\t2\nnas_identifier\timported-bras\n",
            fr.legacy_auth,
            fr.legacy_acct,
            dir.path().join("servers").display()
        ),
    )
    .unwrap();
    for (format, file, servers) in [("pam_radius_auth.conf", &pam, 2), ("radiusclient", &rc, 1)] {
        let o = radius_rs(Path::new("/nonexistent"), &["import", format, &file.display().to_string()], "");
        let (toml, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert_eq!(toml.matches("[[server]]").count(), servers, "{toml}");
        assert!(toml.contains(&format!("secret = \"{SECRET}\"")) && toml.contains("address = \"localhost\""), "{toml}");
        let imported = dir.path().join(format!("{format}.toml"));
        let state = dir.path().join(format!("state-{format}"));
        std::fs::write(&imported, toml.replacen("[client]\n", &format!("[client]\nstate_dir = \"{}\"\n", state.display()), 1)).unwrap();
        let o = radius_rs(&imported, &["login", "alice", "--password-stdin"], "alice-password\n");
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{format}: {out}{err}\n{toml}");
        assert!(out.contains("Access-Accept"), "{out}");
        if format == "radiusclient" {
            assert!(toml.contains("nas_identifier = \"imported-bras\"") && toml.contains("retries = 1"), "{toml}");
        }
    }
    let o = radius_rs(Path::new("/nonexistent"), &["import", "radiusclient", "/nonexistent.conf"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("/nonexistent.conf"));
}

/// `radius-rs users`: add, show, list in order with pagination over
/// 100,000 imported users, delete; bad input exits 2 with a clear error;
/// `login` prints the policies the registry gives.
#[test]
fn users_store_round_trip() {
    let fr = FreeRadius::start();
    let s = setup("", &[(fr.modern_auth, fr.modern_acct)]);
    let store = s.dir.path().join("users");
    let mut conf = std::fs::read_to_string(&s.config).unwrap();
    conf += &format!("[registry]\nstore = \"{}\"\n", store.display());
    std::fs::write(&s.config, conf).unwrap();
    let run = |args: &[&str]| {
        let o = radius_rs(&s.config, args, "");
        let (out, err) = text(&o);
        (o.status.code(), out, err)
    };
    assert_eq!(run(&["users", "add", "alice", "--policy", "admin", "--policy", "ops"]).0, Some(0));
    let (code, out, _) = run(&["users", "show", "alice"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("policies: admin,ops"), "{out}");
    let (code, _, err) = run(&["users", "add", "alice", "--policy", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("already in the registry"), "{err}");
    let (code, _, err) = run(&["users", "show", "nobody"]);
    assert_eq!((code, err.contains("no user `nobody`")), (Some(2), true), "{err}");
    let (code, _, err) = run(&["users", "add", "../etc/passwd", "--policy", "x"]);
    assert_eq!((code, err.contains("not a valid user name")), (Some(2), true), "{err}");

    let o = radius_rs(&s.config, &["login", "alice", "--password-stdin"], "alice-password\n");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("policies: admin,ops (registered)"), "{out}");

    let bulk = s.dir.path().join("bulk.txt");
    let mut lines = String::from("# name policies\n");
    for i in 0..100_000 {
        lines += &format!("user{i:06} staff,vpn\n");
    }
    std::fs::write(&bulk, lines).unwrap();
    let started = Instant::now();
    let (code, out, err) = run(&["users", "import", &bulk.display().to_string()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("100000 users imported"), "{out}");
    eprintln!("imported 100,000 users in {:?}", started.elapsed());
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["users", "list", "--limit", "25000"];
        let a;
        if let Some(x) = &after {
            a = x.clone();
            args.extend(["--after", a.as_str()]);
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(0), "{err}");
        let page: Vec<String> = out.lines().map(str::to_string).collect();
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        all.extend(page);
    }
    assert_eq!(all.len(), 100_001, "every user once, alice included");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    assert_eq!(run(&["users", "show", "user054321"]).1.lines().nth(1), Some("policies: staff,vpn"));
    assert_eq!(run(&["users", "delete", "user054321"]).0, Some(0));
    assert_eq!(run(&["users", "delete", "user054321"]).0, Some(2));
    let (code, _, err) = run(&["users", "import", "/nonexistent/users.txt"]);
    assert_eq!((code, err.contains("/nonexistent/users.txt")), (Some(2), true));
}
