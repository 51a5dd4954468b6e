//! radius-rs-dmd: Disconnect-Requests per second and latency (p50/p99) on
//! the NAK path (no session matches) and on the match path (the session's
//! pppd is checked, Admin-Reset left for it, SIGTERM), beside a bare UDP
//! echo loop driven by the same load generator in the same run, the two
//! interleaved chunk by chunk so that drift hits both. Then the cost
//! growth: the NAK path with 1 session and with 100,000 in the registry.
//! Not a test: it prints numbers and ratios.
//!
//! The "pppd" processes are copies of sleep(1) named pppd, so the daemon's
//! pid checks (name, start time) and SIGTERM are the real ones.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use radius_core::packet::{code, dynauth};
use radius_host::sessions::{self, PppSession};
use std::collections::HashMap;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SESSIONS: usize = 10_000;
const MATCHED: usize = 2_000;
const NAK_REQUESTS: usize = 20_000;
const CHUNKS: usize = 10;
const WINDOW: usize = 16;
const SECRET: &[u8] = b"bench-secret-0123456789";

/// What a run of requests gave: answers, their latencies, the time taken.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or_default()
    }
}

/// Sends `requests` keeping `WINDOW` outstanding; one answer per request.
fn load(target: &str, requests: &[Vec<u8>]) -> Tally {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(target).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut sent_at: HashMap<u8, Instant> = HashMap::new();
    let mut latencies = Vec::with_capacity(requests.len());
    let mut next = 0;
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    while latencies.len() < requests.len() {
        while next < requests.len() && sent_at.len() < WINDOW {
            sent_at.insert(requests[next][1], Instant::now());
            socket.send(&requests[next]).unwrap();
            next += 1;
        }
        match socket.recv(&mut buf) {
            Ok(n) if n >= 2 => {
                if let Some(t) = sent_at.remove(&buf[1]) {
                    latencies.push(t.elapsed());
                }
            }
            _ => break,
        }
    }
    Tally { latencies, elapsed: started.elapsed() }
}

/// `requests` in `chunks`, each chunk sent to the echo loop and then to the
/// daemon (order alternating); the two tallies. After each of the
/// daemon's chunks, untimed, `settle` is given the requests' positions
/// (to wait for what they set off to end before the next chunk).
fn interleaved(echo: &str, daemon: &str, requests: &[Vec<u8>], chunks: usize, settle: &dyn Fn(std::ops::Range<usize>)) -> (Tally, Tally) {
    let (mut e, mut d) = (Tally::default(), Tally::default());
    let size = requests.len().div_ceil(chunks);
    for (i, chunk) in requests.chunks(size).enumerate() {
        let positions = i * size..i * size + chunk.len();
        if i % 2 == 0 {
            e.add(load(echo, chunk));
            d.add(load(daemon, chunk));
            settle(positions);
        } else {
            d.add(load(daemon, chunk));
            settle(positions);
            e.add(load(echo, chunk));
        }
    }
    (e, d)
}

/// For requests that set nothing off.
fn nothing_to_settle(_: std::ops::Range<usize>) {}

fn echo_server() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    addr
}

fn record(i: usize, pid: u32, start: Option<u64>) -> PppSession {
    let mut s = PppSession::example(&format!("ppp{i}"), &format!("user{i}"), pid);
    s.unit = i as i32;
    s.acct_session_id = format!("BENCH-{i:08}");
    s.framed_ip_address = Some([10, 100 + (i / 65536) as u8, (i / 256 % 256) as u8, (i % 256) as u8].into());
    s.port.nas_port = i as u32;
    s.process_start = start;
    s
}

/// A copy of sleep(1) named pppd in `dir`, for the daemon's pid checks.
fn fake_pppd(dir: &Path) -> PathBuf {
    let pppd = dir.join("pppd");
    std::fs::copy("/bin/sleep", &pppd).unwrap();
    pppd
}

/// One "pppd" that runs until it is signalled.
fn start(pppd: &Path) -> Child {
    Command::new(pppd).arg("600").stdin(Stdio::null()).spawn().unwrap()
}

fn daemon_binary() -> PathBuf {
    // target/release/deps/dmd-… → target/release/radius-rs-dmd
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|d| d.parent()).unwrap().join("radius-rs-dmd")
}

fn request(identifier: u8, attribute: (u8, Vec<u8>)) -> Vec<u8> {
    dynauth::encode_request(code::DISCONNECT_REQUEST, identifier, &[attribute].into_iter().collect(), SECRET, true).expect("encodes")
}

/// A radius-rs-dmd serving a registry of `sessions` records, the first
/// `matched` of them with a "pppd" of their own; every process it started.
struct Daemon {
    target: String,
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
    children: Vec<Child>,
}

impl Daemon {
    fn start(sessions: usize, matched: usize) -> Daemon {
        let daemon = daemon_binary();
        assert!(daemon.exists(), "{} is missing: cargo build --release --workspace", daemon.display());
        let dir = tempfile::tempdir().unwrap();
        // state_dir (where a Disconnect leaves its control) in memory; the
        // registry stays on disk, as /var/lib/radius_rs/sessions is.
        let state = radius_testbed::memory_tempdir();
        let sessions_dir = dir.path().join("sessions");
        let registry = sessions::SessionDir::open(&sessions_dir, state.path()).unwrap();
        let pppd = fake_pppd(dir.path());
        let mut children: Vec<Child> = Vec::new();
        let mut spawn = || {
            let c = start(&pppd);
            let pid = c.id();
            children.push(c);
            (pid, sessions::process_identity(pid).map(|(_, s)| s))
        };
        // One long-lived "pppd" stands behind the unmatched sessions.
        let (shared_pid, shared_start) = spawn();
        for i in 0..sessions {
            let (pid, start) = if i < matched { spawn() } else { (shared_pid, shared_start) };
            registry.write(&record(i, pid, start)).unwrap();
        }
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        drop(socket);
        let config = dir.path().join("radius.toml");
        std::fs::write(
            &config,
            format!(
                "[client]\nstate_dir = \"{}\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{}\"\nacct_port = 9\nauth_port = 9\n\
                 [sessions]\ndir = \"{}\"\n[incoming]\naccept = true\nport = {port}\nlisten = [\"127.0.0.1\"]\nstale_check = \"1h\"\n",
                state.path().display(),
                String::from_utf8_lossy(SECRET),
                sessions_dir.display()
            ),
        )
        .unwrap();
        let dmd = Command::new(&daemon)
            .args(["--foreground", "--config"])
            .arg(&config)
            .stderr(std::fs::File::create(dir.path().join("dmd.log")).unwrap())
            .spawn()
            .unwrap();
        children.push(dmd);
        let d = Daemon { target: format!("127.0.0.1:{port}"), dir, state, children };
        // Wait until it listens and answers (having read the records once).
        let warm = (0..300).any(|i| {
            std::thread::sleep(Duration::from_millis(200));
            load(&d.target, &[request(i as u8, (1, format!("warm-up-{i}").into_bytes()))]).latencies.len() == 1
        });
        assert!(warm, "radius-rs-dmd does not answer:\n{}", std::fs::read_to_string(d.dir.path().join("dmd.log")).unwrap_or_default());
        // And until its start-up sweep (every record read, every pppd
        // checked, on its other thread) is over: what is measured is the
        // daemon at work, not the daemon starting.
        let log = || std::fs::read_to_string(d.dir.path().join("dmd.log")).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !log().contains("live sessions: Accounting-On not sent") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(log().contains("live sessions: Accounting-On not sent"), "radius-rs-dmd's start-up sweep did not end:\n{}", log());
        d
    }

    /// Waits (up to 10 s) until the "pppd" of each of the matched
    /// `sessions` has exited: the echo loop's next chunk is then timed
    /// without hundreds of processes ending beside it on the same cores,
    /// which the daemon's own chunk never has either.
    fn wait_ended(&self, sessions: std::ops::Range<usize>) {
        let pids: Vec<u32> = sessions.filter_map(|i| self.children.get(1 + i).map(Child::id)).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|pid| Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many of the matched sessions' "pppd" got their SIGTERM: those
    /// that have exited, given a few seconds to (the last ones signalled
    /// may still be on their way out when the last answer arrives).
    fn signalled(&self, matched: usize) -> usize {
        let ended = || self.children.iter().skip(1).take(matched).filter(|c| !Path::new(&format!("/proc/{}", c.id())).exists() || is_zombie(c.id())).count();
        let deadline = Instant::now() + Duration::from_secs(5);
        while ended() < matched && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        ended()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
}

fn line(name: &str, t: &Tally) {
    println!("  {name:<40} {:>9.0} req/s  p50 {:>7.1} µs  p99 {:>8.1} µs", t.rate(), t.pct(0.5).as_secs_f64() * 1e6, t.pct(0.99).as_secs_f64() * 1e6);
}

fn versus(name: &str, ours: &Tally, echo: &Tally) {
    line(name, ours);
    line("  bare UDP echo loop, same requests", echo);
    println!("  {:<40} {:.2} of the echo loop's rate", "", ours.rate() / echo.rate());
}

/// What the match path costs on this machine without any daemon: for
/// each of `n` fresh "pppd" processes, the pid check (its /proc stat read)
/// and the SIGTERM, in a bare loop, while the kernel ends each process.
/// No daemon that checks and signals can match sessions faster.
fn kill_loop(n: usize) -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let pppd = fake_pppd(dir.path());
    let mut children: Vec<Child> = (0..n).map(|_| start(&pppd)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for c in &children {
        let t = Instant::now();
        assert!(sessions::process_identity(c.id()).is_some_and(|(comm, _)| comm == "pppd"), "a pppd to signal");
        kill(Pid::from_raw(c.id() as i32), Signal::SIGTERM).unwrap();
        latencies.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    for c in &mut children {
        let _ = c.wait();
    }
    Tally { latencies, elapsed }
}

fn nak_requests(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| request(i as u8, (1, format!("nobody-{i}").into_bytes()))).collect()
}

fn main() {
    let echo = echo_server();
    {
        let d = Daemon::start(SESSIONS, MATCHED);
        println!("radius-rs-dmd, {SESSIONS} sessions in the registry, {WINDOW} requests in flight, one client socket, {CHUNKS} chunks interleaved:");
        let (e, ours) = interleaved(&echo, &d.target, &nak_requests(NAK_REQUESTS), CHUNKS, &nothing_to_settle);
        versus("Disconnect, no match (NAK 503)", &ours, &e);
        let matched: Vec<Vec<u8>> = (0..MATCHED).map(|i| request(i as u8, (44, format!("BENCH-{i:08}").into_bytes()))).collect();
        let (e, ours) = interleaved(&echo, &d.target, &matched, 4, &|sessions| d.wait_ended(sessions));
        versus("Disconnect, match (pid check, SIGTERM)", &ours, &e);
        println!("  matched sessions whose pppd got SIGTERM: {} of {MATCHED}", d.signalled(MATCHED));
        let floor = kill_loop(MATCHED);
        line("  floor: pid check + SIGTERM, bare loop", &floor);
        println!(
            "  {:<40} {:.2} of the echo loop's rate; radius-rs-dmd is {:.2} of the floor",
            "",
            floor.rate() / e.rate(),
            ours.rate() / floor.rate()
        );
    }
    println!("cost growth, the NAK path with 1 and with 100,000 sessions in the registry:");
    let mut rates = Vec::new();
    for sessions in [1, 100_000] {
        let d = Daemon::start(sessions, 0);
        let (e, ours) = interleaved(&echo, &d.target, &nak_requests(NAK_REQUESTS / 2), CHUNKS, &nothing_to_settle);
        println!("  {sessions:>7} sessions: {:>9.0} req/s ({:.2} of the echo loop's rate)", ours.rate(), ours.rate() / e.rate());
        rates.push(ours.rate() / e.rate());
    }
    println!("  100,000 sessions / 1 session: {:.2}", rates[1] / rates[0]);

    // Sessions start and end while requests come (an ISP sees several a
    // second): each is a change of the registry directory.
    let d = Daemon::start(100_000, 0);
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (stop, path, state) = (Arc::clone(&stop), d.dir.path().join("sessions"), d.state.path().to_path_buf());
        std::thread::spawn(move || {
            let registry = sessions::SessionDir::open(&path, &state).unwrap();
            let me = std::process::id();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                registry.write(&record(200_000 + n, me, None)).unwrap();
                if n > 0 {
                    registry.remove(&format!("ppp{}", 200_000 + n - 1), me).unwrap();
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            n
        })
    };
    let (e, ours) = interleaved(&echo, &d.target, &nak_requests(NAK_REQUESTS / 2), CHUNKS, &nothing_to_settle);
    stop.store(true, Ordering::Relaxed);
    let changes = churn.join().unwrap();
    println!(
        "  100,000 sessions, one starting and one ending about every 2 ms ({changes} of each): {:>9.0} req/s ({:.2} of the echo loop's rate)",
        ours.rate(),
        ours.rate() / e.rate()
    );
}
