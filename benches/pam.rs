//! pam_radius_rs.so beside Debian's pam_radius_auth.so, in one run, against
//! the same FreeRADIUS: in-process logins (pam_start → pam_authenticate →
//! pam_end), the contenders of each line interleaved login by login so that
//! drift hits both; medians and ratios. Lines:
//!
//! - one live server, both modules on the same pam_radius_auth.conf;
//! - our TOML config against a server that signs its replies (the
//!   product's default path) beside pam_radius_auth on its own file;
//! - a closed port as the first server;
//! - slow is not dead: a silent first server, and a back end that takes
//!   8 s (an MFA push), each beside the same login against the live server
//!   alone, with our defaults untouched.
//!
//! Not a test: nothing fails on a number. Run with `bash scripts/bench.sh`.

use radius_ffi::pam::app::Transaction;
use radius_ffi::pam::{PamError, Style};
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
    ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security"]
        .iter()
        .map(|d| Path::new(d).join("pam_radius_auth.so"))
        .find(|p| p.exists())
        .expect("pam_radius_auth.so (apt-get install libpam-radius-auth)")
}

/// One contender of a line: a PAM service (one `auth` line) and whom it
/// logs in.
struct Contender {
    label: String,
    service: String,
    user: &'static str,
    password: &'static str,
    /// Run before each login, untimed (e.g. forget dead marks).
    before: Option<Box<dyn Fn()>>,
}

/// What the logins of one contender gave.
struct Outcome {
    times: Vec<Duration>,
    failures: Vec<PamError>,
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
}

impl Bench {
    fn new() -> Bench {
        Bench { confdir: tempfile::tempdir().unwrap(), services: 0 }
    }

    /// A contender loading `module` with `args`.
    fn contender(&mut self, label: &str, module: &Path, args: &str, user: &'static str, password: &'static str) -> Contender {
        self.services += 1;
        let service = format!("rrs-bench-{}", self.services);
        std::fs::write(self.confdir.path().join(&service), format!("auth required {} {args}\n", module.display())).unwrap();
        Contender { label: label.to_string(), service, user, password, before: None }
    }

    /// `n` rounds; each round logs in once with every contender, the
    /// order rotating from round to round.
    fn interleaved(&self, contenders: &[Contender], n: usize) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = contenders.iter().map(|_| Outcome { times: Vec::new(), failures: Vec::new() }).collect();
        for round in 0..n {
            for k in 0..contenders.len() {
                let i = (round + k) % contenders.len();
                let c = &contenders[i];
                if let Some(before) = &c.before {
                    before();
                }
                let password = c.password.as_bytes().to_vec();
                let answer = Box::new(move |style: Style, _: &str| style.is_prompt().then(|| password.clone()));
                let t = Instant::now();
                let mut tx = Transaction::start(&c.service, c.user, Some(self.confdir.path()), answer).expect("pam_start");
                let result = tx.authenticate(0);
                drop(tx);
                outcomes[i].times.push(t.elapsed());
                if let Err(e) = result {
                    outcomes[i].failures.push(e);
                }
            }
        }
        outcomes
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
            format!("  ({} of {} failed: {:?})", o.failures.len(), o.times.len(), o.failures[0])
        };
        println!("  {:<50} median {:>10.3} ms  ratio {:>6.2}{failed}", c.label, ms(o.median()), o.median().as_secs_f64() / base.as_secs_f64());
    }
}

/// Our TOML config: `servers` as (auth port, accounting port) on
/// 127.0.0.1, everything else at its default, state in `state`.
fn toml_config(dir: &Path, name: &str, state: &Path, servers: &[(u16, u16)]) -> PathBuf {
    let mut text = format!("[client]\nstate_dir = \"{}\"\n", state.display());
    for (auth, acct) in servers {
        text += &format!("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\nauth_port = {auth}\nacct_port = {acct}\n");
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn main() {
    let n: usize = std::env::var("BENCH_LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let fr = FreeRadius::start();
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let state = dir.join("state");
    let (ours, reference) = (our_module(), reference_module());
    let mut bench = Bench::new();

    let direct = dir.join("direct.conf");
    std::fs::write(&direct, format!("127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let line = [
        bench.contender("pam_radius_auth.so, pam_radius_auth.conf", &reference, &format!("conf={}", direct.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, the same pam_radius_auth.conf", &ours, &format!("conf={}", direct.display()), "alice", "alice-password"),
    ];
    report(&format!("login, one live server, the same pam_radius_auth.conf ({n} rounds):"), &line, &bench.interleaved(&line, n));

    let signed = toml_config(dir, "signed.toml", &state, &[(fr.modern_auth, fr.modern_acct)]);
    let line = [
        bench.contender("pam_radius_auth.so, pam_radius_auth.conf", &reference, &format!("conf={}", direct.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, radius.toml, signed replies", &ours, &format!("conf={}", signed.display()), "alice", "alice-password"),
    ];
    report(&format!("login, our TOML config against a server that signs its replies ({n} rounds):"), &line, &bench.interleaved(&line, n));

    // pam_radius_auth waits its full timeout (3 s) on a closed port; a few
    // rounds are enough to see it.
    let few = 5;
    let closed = dir.join("closed-first.conf");
    std::fs::write(&closed, format!("127.0.0.1:{} {SECRET} 3\n127.0.0.1:{} {SECRET} 3\n", closed_port(), fr.legacy_auth)).unwrap();
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
    let silent_state = dir.join("silent-state");
    let silent_first = toml_config(dir, "silent-first.toml", &silent_state, &[(silent_port, silent_port), (fr.modern_auth, fr.modern_acct)]);
    let silent_legacy = dir.join("silent-first.conf");
    std::fs::write(&silent_legacy, format!("127.0.0.1:{silent_port} {SECRET} 3\n127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
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
    std::fs::write(&slow_legacy, format!("127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let line = [
        bench.contender("pam_radius_rs.so, live server alone", &ours, &format!("conf={}", alone.display()), "alice", "alice-password"),
        bench.contender("pam_radius_rs.so, 8 s back end", &ours, &format!("conf={}", alone.display()), "slow-mfa", "slow-mfa-pw"),
        bench.contender("pam_radius_auth.so, 8 s back end, timeout 3", &reference, &format!("conf={}", slow_legacy.display()), "slow-mfa", "slow-mfa-pw"),
    ];
    report(&format!("slow is not dead: an 8 s back end, defaults ({slow_rounds} rounds):"), &line, &bench.interleaved(&line, slow_rounds));
}
