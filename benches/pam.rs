//! pam_radius_rs.so beside Debian's pam_radius_auth.so, in one run, against
//! the same FreeRADIUS: in-process logins (pam_start → pam_authenticate →
//! pam_end), the contenders of each line interleaved login by login so that
//! drift hits both; medians and ratios. Lines:
//!
//! - one live server, both modules on the same pam_radius_auth.conf;
//! - our TOML config against a server that signs its replies (the
//!   product's default path) beside pam_radius_auth on its own file, with
//!   the floor: PAM's own cost (pam_permit.so kept loaded, as
//!   pam_radius_rs.so keeps itself) plus the bare exchange;
//! - a process per login (pamtester), as sshd's child and su log in:
//!   module loading and configuration reading included;
//! - the user registry's store with one user, and with 100,000;
//! - a closed port as the first server;
//! - slow is not dead: a silent first server, and a back end that takes
//!   8 s (an MFA push), each beside the same login against the live server
//!   alone, with our defaults untouched.
//!
//! Each line is timed once its configuration files have been left alone
//! for `radius_core::config::cache::SETTLE`, as an installed host's are.
//!
//! Not a test: nothing fails on a number. Run with `bash scripts/bench.sh`.

use radius_core::auth::Credentials;
use radius_core::packet::{attr, request, AttributeList};
use radius_ffi::pam::app::Transaction;
use radius_ffi::pam::Style;
use radius_testbed::{closed_port, silent_server, FreeRadius, SECRET};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn our_module() -> PathBuf {
    let exe = std::env::current_exe().expect("bench exe");
    let so = exe.parent().and_then(Path::parent).expect("target/<profile>").join("libpam_radius_rs.so");
    assert!(so.exists(), "{} missing: cargo build --release -p pam_radius_rs", so.display());
    so
}

fn reference_module() -> PathBuf {
    system_module("pam_radius_auth.so")
}

/// A module in the system's PAM module directory.
fn system_module(name: &str) -> PathBuf {
    ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} missing (apt-get install libpam-modules libpam-radius-auth)"))
}

/// What one contender of a line does each round.
enum Run {
    /// pam_start → pam_authenticate → pam_end of a service (one `auth`
    /// line) for `user`; without `authenticate`, pam_start → pam_end only
    /// (what loading the module costs).
    Pam { service: String, user: &'static str, password: &'static str, authenticate: bool },
    /// The bare exchange with a server, as radclient does it: an
    /// Access-Request for alice built beforehand (a new Identifier and
    /// authenticator each, so none is a duplicate), timed from send to the
    /// reply.
    Bare { socket: std::net::UdpSocket, attributes: AttributeList },
    /// pamtester authenticating `user` through `service` (a file in
    /// /etc/pam.d, as pamtester reads no other place): a process of its
    /// own per login, as sshd's child and su are, timed from spawn to exit.
    Process { service: EtcService, user: &'static str, password: &'static str },
}

/// A service file in /etc/pam.d, removed when dropped.
struct EtcService {
    name: String,
}

impl EtcService {
    fn new(name: String, text: &str) -> EtcService {
        std::fs::write(Path::new("/etc/pam.d").join(&name), text).expect("write /etc/pam.d (the bench runs as root)");
        EtcService { name }
    }
}

impl Drop for EtcService {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(Path::new("/etc/pam.d").join(&self.name));
    }
}

struct Contender {
    label: String,
    run: Run,
    /// Run before each login, untimed (e.g. forget dead marks).
    before: Option<Box<dyn Fn()>>,
}

/// What the rounds of one contender gave.
struct Outcome {
    times: Vec<Duration>,
    failures: Vec<String>,
}

impl Outcome {
    fn median(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        t[t.len() / 2]
    }
}

struct Bench {
    confdir: tempfile::TempDir,
    services: usize,
    /// Where the modules' configuration files are written.
    configs: PathBuf,
}

impl Bench {
    fn new(configs: &Path) -> Bench {
        Bench { confdir: tempfile::tempdir().unwrap(), services: 0, configs: configs.to_path_buf() }
    }

    /// A contender logging `user` in through `module` with `args`.
    fn contender(&mut self, label: &str, module: &Path, args: &str, user: &'static str, password: &'static str) -> Contender {
        self.services += 1;
        let service = format!("rrs-bench-{}", self.services);
        std::fs::write(self.confdir.path().join(&service), format!("auth required {} {args}\n", module.display())).unwrap();
        Contender { label: label.to_string(), run: Run::Pam { service, user, password, authenticate: true }, before: None }
    }

    /// As [`Bench::contender`], each login a pamtester process of its own.
    fn process(&mut self, label: &str, module: &Path, args: &str) -> Contender {
        self.services += 1;
        let service = EtcService::new(format!("rrs-bench-process-{}-{}", std::process::id(), self.services), &format!("auth required {} {args}\n", module.display()));
        Contender { label: label.to_string(), run: Run::Process { service, user: "alice", password: "alice-password" }, before: None }
    }

    /// As [`Bench::contender`], pam_start → pam_end only.
    fn load_only(&mut self, label: &str, module: &Path, args: &str) -> Contender {
        let mut c = self.contender(label, module, args, "alice", "");
        if let Run::Pam { authenticate, .. } = &mut c.run {
            *authenticate = false;
        }
        c
    }

    /// The bare exchange with the server on `port`.
    fn bare(label: &str, port: u16) -> Contender {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(("127.0.0.1", port)).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut attributes = AttributeList::new();
        attributes.text(attr::USER_NAME, "alice");
        Contender { label: label.to_string(), run: Run::Bare { socket, attributes }, before: None }
    }

    /// One round of `c`: how long it took, and whether it failed.
    fn once(&self, c: &Contender, round: usize) -> (Duration, Result<(), String>) {
        match &c.run {
            Run::Pam { service, user, password, authenticate } => {
                let password = password.as_bytes().to_vec();
                let answer = Box::new(move |style: Style, _: &str| style.is_prompt().then(|| password.clone()));
                let t = Instant::now();
                let mut tx = Transaction::start(service, user, Some(self.confdir.path()), answer).expect("pam_start");
                let result = if *authenticate { tx.authenticate(0) } else { Ok(()) };
                drop(tx);
                (t.elapsed(), result.map_err(|e| format!("{e:?}")))
            }
            Run::Process { service, user, password } => {
                use std::io::Write;
                use std::process::{Command, Stdio};
                let t = Instant::now();
                let mut child = Command::new("pamtester")
                    .args([service.name.as_str(), user, "authenticate"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("pamtester (scripts/setup.sh installs it)");
                let _ = child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes());
                let status = child.wait().expect("wait for pamtester");
                (t.elapsed(), if status.success() { Ok(()) } else { Err(format!("pamtester: {status}")) })
            }
            Run::Bare { socket, attributes } => {
                let id = round as u8;
                let credentials = Credentials::pap(radius_core::Secret::from("alice-password"));
                let req = request::access_request(id, attributes, &credentials, SECRET.as_bytes()).unwrap();
                let mut buf = [0u8; 4096];
                let t = Instant::now();
                socket.send(&req.bytes).unwrap();
                let answer = socket.recv(&mut buf);
                let took = t.elapsed();
                let result = match answer {
                    Ok(len) if len > 20 && buf[0] == 2 && buf[1] == id => Ok(()),
                    other => Err(format!("no Access-Accept: {other:?}")),
                };
                (took, result)
            }
        }
    }

    /// `n` rounds; each round runs every contender once, the order
    /// rotating from round to round.
    fn interleaved(&self, contenders: &[Contender], n: usize) -> Vec<Outcome> {
        settle(&self.configs);
        let mut outcomes: Vec<Outcome> = contenders.iter().map(|_| Outcome { times: Vec::new(), failures: Vec::new() }).collect();
        for round in 0..n {
            for k in 0..contenders.len() {
                let i = (round + k) % contenders.len();
                let c = &contenders[i];
                if let Some(before) = &c.before {
                    before();
                }
                let (took, result) = self.once(c, round);
                outcomes[i].times.push(took);
                if let Err(e) = result {
                    outcomes[i].failures.push(e);
                }
            }
        }
        outcomes
    }
}

/// Waits until every file in `dir` was last changed
/// `radius_core::config::cache::SETTLE` ago, as an installed host's
/// configuration was: a file changed more recently than that is read anew
/// at every login (see that module), which no host meets but the minute
/// after an edit.
fn settle(dir: &Path) {
    use std::os::unix::fs::MetadataExt;
    let newest = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| std::time::UNIX_EPOCH + Duration::new(u64::try_from(m.ctime()).unwrap_or(0), u32::try_from(m.ctime_nsec()).unwrap_or(0)))
        .max();
    if let Some(wait) = newest.and_then(|t| (t + radius_core::config::cache::SETTLE).duration_since(std::time::SystemTime::now()).ok()) {
        std::thread::sleep(wait + Duration::from_millis(50));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Prints a line's medians; the ratio of each contender to the first.
fn report(title: &str, contenders: &[Contender], outcomes: &[Outcome]) {
    println!("{title}");
    let base = outcomes[0].median();
    for (c, o) in contenders.iter().zip(outcomes) {
        let failed = if o.failures.is_empty() {
            String::new()
        } else {
            format!("  ({} of {} failed: {})", o.failures.len(), o.times.len(), o.failures[0])
        };
        println!("  {:<50} median {:>10.3} ms  ratio {:>6.2}{failed}", c.label, ms(o.median()), o.median().as_secs_f64() / base.as_secs_f64());
    }
}

/// Writes a file holding shared secrets as an install leaves it: mode
/// 0600 (a file others can read makes the module warn on every login).
fn write_config(path: &Path, text: impl AsRef<[u8]>) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?.write_all(text.as_ref())
}

/// Our TOML config: `servers` as (auth port, accounting port) on
/// 127.0.0.1, everything else at its default, state in `state`.
fn toml_config(dir: &Path, name: &str, state: &Path, servers: &[(u16, u16)]) -> PathBuf {
    let mut text = format!("[client]\nstate_dir = \"{}\"\n", state.display());
    for (auth, acct) in servers {
        text += &format!("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\nauth_port = {auth}\nacct_port = {acct}\n");
    }
    let path = dir.join(name);
    write_config(&path, text).unwrap();
    path
}

fn main() {
    let n: usize = std::env::var("BENCH_LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let fr = FreeRadius::start_quiet();
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let state_mem = radius_testbed::memory_tempdir();
    let state = state_mem.path().join("state");
    let (ours, reference) = (our_module(), reference_module());
    let mut bench = Bench::new(dir);

    let direct = dir.join("direct.conf");
    write_config(&direct, format!("127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let permit = Path::new("pam_permit.so");
    let load_only = [
        bench.load_only("pam_permit.so", permit, ""),
        bench.load_only("pam_radius_auth.so", &reference, &format!("conf={}", direct.display())),
        bench.load_only("pam_radius_rs.so", &ours, &format!("conf={}", direct.display())),
    ];
    report(&format!("pam_start → pam_end alone, loading and unloading the module ({n} rounds):"), &load_only, &bench.interleaved(&load_only, n));
    let line = [
        bench.contender("pam_radius_auth.so, pam_radius_auth.conf", &reference, &format!("conf={}", direct.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, the same pam_radius_auth.conf", &ours, &format!("conf={}", direct.display()), "alice", "alice-password"),
    ];
    report(&format!("login, one live server, the same pam_radius_auth.conf ({n} rounds):"), &line, &bench.interleaved(&line, n));

    let signed = toml_config(dir, "signed.toml", &state, &[(fr.modern_auth, fr.modern_acct)]);
    // pam_radius_rs.so is linked NODELETE: after the first login, libpam's
    // dlopen and dlclose of it only count references. A copy of
    // pam_permit.so kept loaded the same way is PAM's own cost for it;
    // pam_permit.so by its name is loaded and unloaded at every login, as
    // pam_radius_auth.so is.
    let kept_permit = dir.join("pam_permit_kept.so");
    std::fs::copy(system_module("pam_permit.so"), &kept_permit).expect("copy pam_permit.so");
    radius_ffi::pam::app::keep_loaded(&kept_permit).expect("keep pam_permit.so loaded");
    let line = [
        bench.contender("pam_radius_auth.so, pam_radius_auth.conf", &reference, &format!("conf={}", direct.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, radius.toml, signed replies", &ours, &format!("conf={}", signed.display()), "alice", "alice-password"),
        bench.contender("pam_permit.so, kept loaded (PAM's own cost)", &kept_permit, "", "alice", "alice-password"),
        bench.contender("pam_permit.so, loaded and unloaded", permit, "", "alice", "alice-password"),
        Bench::bare("bare exchange with the same server", fr.modern_auth),
    ];
    let outcomes = bench.interleaved(&line, n);
    report(&format!("login, our TOML config against a server that signs its replies ({n} rounds):"), &line, &outcomes);
    let (reference_login, ours_login, pam_own, bare) = (outcomes[0].median(), outcomes[1].median(), outcomes[2].median(), outcomes[4].median());
    let ours_over_pam = ours_login.saturating_sub(pam_own);
    println!(
        "  pam_radius_rs.so − PAM's own cost: {:.3} ms, beside the bare exchange {:.3} ms: ratio {:.2}",
        ms(ours_over_pam),
        ms(bare),
        ours_over_pam.as_secs_f64() / bare.as_secs_f64()
    );
    // No module that stays loaded can beat PAM's own cost plus one
    // exchange with the server.
    let floor = pam_own + bare;
    println!(
        "  floor (PAM's own cost + the bare exchange): {:.3} ms, {:.2} of pam_radius_auth.so; pam_radius_rs.so is {:.2}× the floor",
        ms(floor),
        floor.as_secs_f64() / reference_login.as_secs_f64(),
        ours_login.as_secs_f64() / floor.as_secs_f64()
    );

    // sshd authenticates in a child process, and su and sudo are processes
    // of their own: there the module is loaded, and its configuration
    // read, once per login.
    let line = [
        bench.process("pam_radius_auth.so, pam_radius_auth.conf", &reference, &format!("conf={}", direct.display())),
        bench.process("pam_radius_rs.so, the same pam_radius_auth.conf", &ours, &format!("conf={}", direct.display())),
        bench.process("pam_radius_rs.so, radius.toml, signed replies", &ours, &format!("conf={}", signed.display())),
        bench.process("pam_permit.so (pamtester and PAM alone)", permit, ""),
    ];
    let outcomes = bench.interleaved(&line, n);
    report(&format!("login in a process of its own (pamtester, as sshd's child), {n} rounds:"), &line, &outcomes);
    let alone = outcomes[3].median();
    let beyond = |o: &Outcome| o.median().saturating_sub(alone);
    println!(
        "  beyond pamtester and PAM alone: pam_radius_auth.so {:.3} ms, pam_radius_rs.so {:.3} ms (same file), {:.3} ms (TOML): ratios {:.2}, {:.2}",
        ms(beyond(&outcomes[0])),
        ms(beyond(&outcomes[1])),
        ms(beyond(&outcomes[2])),
        beyond(&outcomes[1]).as_secs_f64() / beyond(&outcomes[0]).as_secs_f64(),
        beyond(&outcomes[2]).as_secs_f64() / beyond(&outcomes[0]).as_secs_f64()
    );

    // The registry: a user in a store of one, and the same user among 100,000.
    let registry_config = |name: &str, users: usize| {
        let store = radius_host::user_store::UserStore::new(dir.join(format!("{name}-users")));
        let lines: String = (0..users.saturating_sub(1)).map(|i| format!("user{i:06} staff\n")).collect::<String>() + "alice admin\n";
        store.import(Path::new(name), &lines).expect("import the users");
        let path = toml_config(dir, &format!("{name}.toml"), &state, &[(fr.modern_auth, fr.modern_acct)]);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text += &format!("[registry]\nstore = \"{}\"\n", store.path().display());
        write_config(&path, text).unwrap();
        path
    };
    let (one, many) = (registry_config("one", 1), registry_config("many", 100_000));
    let line = [
        bench.contender("pam_radius_rs.so, registry store of 1 user", &ours, &format!("conf={} require_policy=admin", one.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, registry store of 100,000 users", &ours, &format!("conf={} require_policy=admin", many.display()), "alice", "alice-password"),
    ];
    report(&format!("login with the user registry, 1 vs 100,000 users ({n} rounds):"), &line, &bench.interleaved(&line, n));

    // pam_radius_auth waits its full timeout (3 s) on a closed port; a few
    // rounds are enough to see it.
    let few = 5;
    let closed = dir.join("closed-first.conf");
    write_config(&closed, format!("127.0.0.1:{} {SECRET} 3\n127.0.0.1:{} {SECRET} 3\n", closed_port(), fr.legacy_auth)).unwrap();
    let line = [
        bench.contender("pam_radius_auth.so, closed port first", &reference, &format!("conf={}", closed.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, closed port first", &ours, &format!("conf={}", closed.display()), "alice", "alice-password"),
    ];
    report(&format!("login, first server a closed port ({few} rounds):"), &line, &bench.interleaved(&line, few));

    // Slow is not dead, our defaults untouched. A silent first server, met
    // for the first time on every login (its dead mark is forgotten before
    // each, as on the first login after it went silent).
    let (_silent, silent_port) = silent_server();
    let alone = toml_config(dir, "alone.toml", &state, &[(fr.modern_auth, fr.modern_acct)]);
    let silent_state = state_mem.path().join("silent-state");
    let silent_first = toml_config(dir, "silent-first.toml", &silent_state, &[(silent_port, silent_port), (fr.modern_auth, fr.modern_acct)]);
    let silent_legacy = dir.join("silent-first.conf");
    write_config(&silent_legacy, format!("127.0.0.1:{silent_port} {SECRET} 3\n127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let mut through_silent = bench.contender("pam_radius_rs.so, silent server first", &ours, &format!("conf={}", silent_first.display()), "alice", "alice-password");
    through_silent.before = Some(Box::new(move || {
        let _ = std::fs::remove_dir_all(silent_state.join("dead"));
    }));
    let line = [
        bench.contender("pam_radius_rs.so, live server alone", &ours, &format!("conf={}", alone.display()), "alice", "alice-password"),
        through_silent,
        bench.contender("pam_radius_auth.so, silent server first", &reference, &format!("conf={}", silent_legacy.display()), "alice", "alice-password"),
    ];
    report(&format!("slow is not dead: a silent first server, defaults ({few} rounds):"), &line, &bench.interleaved(&line, few));

    // A back end that takes 8 s (FreeRADIUS exec, wait = yes) while the
    // server answers Status-Server.
    let slow_rounds = 3;
    let slow_legacy = dir.join("slow.conf");
    write_config(&slow_legacy, format!("127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let line = [
        bench.contender("pam_radius_rs.so, live server alone", &ours, &format!("conf={}", alone.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, 8 s back end", &ours, &format!("conf={}", alone.display()), "slow-mfa", "slow-mfa-pw"),
        bench.contender("pam_radius_auth.so, 8 s back end, timeout 3", &reference, &format!("conf={}", slow_legacy.display()), "slow-mfa", "slow-mfa-pw"),
    ];
    report(&format!("slow is not dead: an 8 s back end, defaults ({slow_rounds} rounds):"), &line, &bench.interleaved(&line, slow_rounds));

    // RadSec against the same FreeRADIUS as UDP (one more instance of it,
    // with TLS listeners): each PAM login its own TCP connection and TLS
    // handshake. The server lets this client keep 4096 connections, as
    // FreeRADIUS keeps each for seconds after it closes (its stock 16
    // would make this a measure of the back-off).
    let pki = radius_testbed::pki::Pki::generate();
    let (tls_fr, ports) = FreeRadius::start_radsec_with(&pki, &[], Some(4096));
    let udp = toml_config(dir, "radsec-udp.toml", &state, &[(tls_fr.modern_auth, tls_fr.modern_acct)]);
    let radsec = dir.join("radsec.toml");
    let server = pki.server_toml(ports.good, &pki.client, radius_testbed::pki::SERVER_NAME);
    write_config(&radsec, format!("[client]\nstate_dir = \"{}\"\n{server}", state.display())).unwrap();
    let line = [
        bench.contender("pam_radius_rs.so, UDP", &ours, &format!("conf={}", udp.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, RadSec (TLS 1.3, a connection per login)", &ours, &format!("conf={}", radsec.display()), "alice", "alice-password"),
    ];
    report(&format!("login over RadSec vs UDP, the same FreeRADIUS ({n} rounds):"), &line, &bench.interleaved(&line, n));
}
