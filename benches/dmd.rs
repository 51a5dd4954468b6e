//! radius-rs-dmd with 10,000 sessions in the registry: Disconnect-Requests
//! per second and latency (p50/p99) on the NAK path (no session matches)
//! and on the match path (the session's pppd is checked and signalled),
//! beside a bare UDP echo loop measured in the same run with the same load
//! generator. Not a test: it prints numbers and ratios.
//!
//! The "pppd" processes are copies of sleep(1) named pppd, so the daemon's
//! pid checks (name, start time) and SIGTERM are the real ones.

use radius_core::packet::{code, dynauth};
use radius_host::sessions::{self, PppSession};
use std::collections::HashMap;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SESSIONS: usize = 10_000;
const MATCHED: usize = 2_000;
const NAK_REQUESTS: usize = 20_000;
const WINDOW: usize = 16;
const SECRET: &[u8] = b"bench-secret-0123456789";

struct Result {
    rate: f64,
    p50: Duration,
    p99: Duration,
    answered: usize,
}

/// Sends `requests` keeping `WINDOW` outstanding; one answer per request.
fn load(target: &str, requests: &[Vec<u8>]) -> Result {
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
    let elapsed = started.elapsed();
    let answered = latencies.len();
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied().unwrap_or_default();
    Result { rate: answered as f64 / elapsed.as_secs_f64(), p50: pct(0.50), p99: pct(0.99), answered }
}

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

fn fake_pppd(dir: &Path) -> PathBuf {
    let exe = dir.join("pppd");
    std::fs::copy("/bin/sleep", &exe).unwrap();
    exe
}

fn daemon_binary() -> PathBuf {
    // target/release/deps/dmd-… → target/release/radius-rs-dmd
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|d| d.parent()).unwrap().join("radius-rs-dmd")
}

fn request(identifier: u8, attribute: (u8, Vec<u8>)) -> Vec<u8> {
    dynauth::encode_request(code::DISCONNECT_REQUEST, identifier, &[attribute].into_iter().collect(), SECRET, true).expect("encodes")
}

fn print(name: &str, r: &Result, echo: &Result) {
    println!(
        "{name:<34} {:>9.0} req/s  p50 {:>7.1} µs  p99 {:>8.1} µs  ({} answered)  = {:.2} of the UDP echo loop's rate",
        r.rate,
        r.p50.as_secs_f64() * 1e6,
        r.p99.as_secs_f64() * 1e6,
        r.answered,
        r.rate / echo.rate
    );
}

fn main() {
    let daemon = daemon_binary();
    assert!(daemon.exists(), "{} is missing: cargo build --release --workspace", daemon.display());
    let dir = tempfile::tempdir().unwrap();
    let sessions_dir = dir.path().join("sessions");
    let registry = sessions::SessionDir::open(&sessions_dir).unwrap();
    let pppd = fake_pppd(dir.path());
    // One long-lived "pppd" stands behind the unmatched sessions; each matched one has its own.
    let mut children: Vec<Child> = Vec::new();
    let spawn = |children: &mut Vec<Child>| {
        let c = Command::new(&pppd).arg("600").stdin(Stdio::null()).spawn().unwrap();
        let pid = c.id();
        children.push(c);
        (pid, sessions::process_identity(pid).map(|(_, s)| s))
    };
    let (shared_pid, shared_start) = spawn(&mut children);
    for i in 0..SESSIONS {
        let (pid, start) = if i < MATCHED { spawn(&mut children) } else { (shared_pid, shared_start) };
        registry.write(&record(i, pid, start)).unwrap();
    }
    let port = 41700 + (std::process::id() % 1000) as u16;
    let config = dir.path().join("radius.toml");
    std::fs::write(
        &config,
        format!(
            "[client]\nstate_dir = \"{}\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{}\"\nacct_port = 9\nauth_port = 9\n\
             [sessions]\ndir = \"{}\"\n[incoming]\naccept = true\nport = {port}\nlisten = [\"127.0.0.1\"]\nstale_check = \"1h\"\n",
            dir.path().join("state").display(),
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
    let _reaper = Reaper(children);
    let target = format!("127.0.0.1:{port}");
    // Wait until it listens and answers (having read the 10,000 records once).
    let warm = (0..100).any(|i| {
        std::thread::sleep(Duration::from_millis(200));
        load(&target, &[request(i as u8, (1, format!("warm-up-{i}").into_bytes()))]).answered == 1
    });
    assert!(warm, "radius-rs-dmd does not answer:\n{}", std::fs::read_to_string(dir.path().join("dmd.log")).unwrap_or_default());

    let echo = echo_server();
    let nak: Vec<Vec<u8>> = (0..NAK_REQUESTS).map(|i| request(i as u8, (1, format!("nobody-{i}").into_bytes()))).collect();
    let matched: Vec<Vec<u8>> = (0..MATCHED).map(|i| request(i as u8, (44, format!("BENCH-{i:08}").into_bytes()))).collect();

    println!("radius-rs-dmd, {SESSIONS} sessions in the registry, {WINDOW} requests in flight, one client socket:");
    let echo_nak = load(&echo, &nak);
    let ours_nak = load(&target, &nak);
    let echo_match = load(&echo, &matched);
    let ours_match = load(&target, &matched);
    println!("{:<34} {:>9.0} req/s  p50 {:>7.1} µs  p99 {:>8.1} µs", "bare UDP echo loop", echo_nak.rate, echo_nak.p50.as_secs_f64() * 1e6, echo_nak.p99.as_secs_f64() * 1e6);
    print("Disconnect, no match (NAK 503)", &ours_nak, &echo_nak);
    print("Disconnect, match (pid check+kill)", &ours_match, &echo_match);
    let killed = _reaper.0.iter().skip(1).take(MATCHED).filter(|c| !Path::new(&format!("/proc/{}", c.id())).exists() || is_zombie(c.id())).count();
    println!("matched sessions whose pppd got SIGTERM: {killed} of {MATCHED}");
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
}

/// Kills every process the bench started, also when it panics.
struct Reaper(Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
