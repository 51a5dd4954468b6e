//! The durable accounting spool against a real FreeRADIUS: with the server
//! stopped, sessions through the core's accounting API and PAM sessions
//! through pamtester still succeed; once the server is back, radius-rs-dmd
//! delivers every Start and Stop exactly once, with Acct-Delay-Time
//! covering the outage. A writer killed with SIGKILL at random moments
//! leaves only whole records and loses none it was told was kept. A spool
//! directory others can write in is refused, never written.

mod common;
mod pam_support;

use common::our_binary;
use pam_support::{ConfFile, Module, PamService};
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::log::StderrLog;
use radius_core::packet::attr;
use radius_core::spool::{self, deliver, Delivery, DeliveryError, Held, LazySpool, Spool};
use radius_core::{Client, Config, Service};
use radius_testbed::FreeRadius;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};


/// The records of a detail file: (Acct-Session-Id, Acct-Status-Type) → their Acct-Delay-Times.
fn detail_records(detail: &str) -> BTreeMap<(String, String), Vec<u32>> {
    let mut out: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    for record in detail.split("\n\n").filter(|r| r.contains("Acct-Status-Type")) {
        let value = |key: &str| {
            record.lines().find_map(|l| l.trim().strip_prefix(key).and_then(|r| r.strip_prefix(" = "))).map(|v| v.trim_matches('"').to_string())
        };
        let (Some(id), Some(status)) = (value("Acct-Session-Id"), value("Acct-Status-Type")) else { continue };
        let delay = value("Acct-Delay-Time").and_then(|d| d.parse().ok()).unwrap_or(0);
        out.entry((id, status)).or_default().push(delay);
    }
    out
}

/// radius-rs-dmd in the foreground on `config`, its output in `log`.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &Path, log: PathBuf) -> Daemon {
        let out = std::fs::File::create(&log).expect("daemon log");
        let child = Command::new(our_binary("radius-rs-dmd"))
            .args(["--foreground", "--config"])
            .arg(config)
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("start radius-rs-dmd");
        Daemon { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

fn api_record(status: AcctStatus, id: &str) -> AccountingRecord {
    let r = AccountingRecord::new(status, Service::Ppp).text(attr::ACCT_SESSION_ID, id).text(attr::USER_NAME, "outage-user");
    match status {
        AcctStatus::Stop => r.integer(attr::ACCT_SESSION_TIME, 1).integer(attr::ACCT_TERMINATE_CAUSE, 1),
        _ => r,
    }
}

const API_SESSIONS: usize = 190;
const PAM_SESSIONS: usize = 10;

/// FreeRADIUS stopped: 190 sessions through the core's accounting API and
/// 10 PAM sessions (pamtester open_session close_session, which succeed)
/// start and stop; every record is spooled. FreeRADIUS back: the running
/// radius-rs-dmd delivers each Start and Stop exactly once, Acct-Delay-Time
/// covering the outage, and the spool is empty, its counters say so.
#[test]
fn an_outage_loses_no_record_and_duplicates_none() {
    let fr = FreeRadius::start();
    let work = tempfile::tempdir().unwrap();
    let extra = format!(
        "[accounting]\nspool_dir = \"{}\"\ndrain_interval = \"1s\"\n[sessions]\ndir = \"{}\"\n",
        work.path().join("spool").display(),
        work.path().join("sessions").display()
    );
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], &extra);
    let config = Config::load(&conf.path).expect("config");
    fr.stop();
    let outage = Instant::now();
    // The daemon runs through the outage, as on a NAS.
    let dmd = Daemon::start(&conf.path, work.path().join("dmd.log"));

    let mut client = Client::new(config.clone(), Box::new(StderrLog { debug: false }));
    let lazy = LazySpool::new(&config.accounting);
    let log = StderrLog { debug: false };
    let mut ids = Vec::new();
    for i in 0..API_SESSIONS {
        let id = format!("outage-api-{i:03}");
        let mut held = Held::default();
        for status in [AcctStatus::Start, AcctStatus::Stop] {
            let got = deliver(&lazy, &mut held, &api_record(status, &id), &mut |r| client.account(r), &log).expect("kept");
            assert!(matches!(got, Delivery::Spooled { .. }), "{id} {status:?}: {got:?}");
        }
        ids.push(id);
    }
    let svc = PamService::single(Module::Ours, &conf.arg());
    for i in 0..PAM_SESSIONS {
        let out = svc.pamtester("outage-pam", "", &["open_session", "close_session"], &[]);
        assert!(out.status.success(), "PAM session {i} with the server down: {}", String::from_utf8_lossy(&out.stderr));
    }
    let spool = Spool::open(&config.accounting).unwrap();
    let waiting = spool.entries().unwrap();
    assert_eq!(waiting.len(), 2 * (API_SESSIONS + PAM_SESSIONS) + 1, "every Start and Stop (and the daemon's Accounting-On) spooled");
    // The outage goes on at least 3 s in all and 2 s after the last record, then the server is back.
    let last_record = Instant::now();
    std::thread::sleep(Duration::from_secs(3).saturating_sub(outage.elapsed()).max(Duration::from_secs(2)));
    // Every record waited at least this long: its Acct-Delay-Time must say so.
    let outage_secs = last_record.elapsed().as_secs() as u32;
    fr.restart();

    let stops = |fr: &FreeRadius| detail_records(&fr.detail("modern")).iter().filter(|((_, s), _)| s == "Stop").count();
    assert!(
        wait_for(90, || stops(&fr) >= API_SESSIONS + PAM_SESSIONS && spool.entries().unwrap().is_empty()),
        "not every Stop arrived ({} of {}); daemon log:\n{}",
        stops(&fr),
        API_SESSIONS + PAM_SESSIONS,
        dmd.log()
    );
    std::thread::sleep(Duration::from_secs(2)); // a duplicate would arrive by now
    let records = detail_records(&fr.detail("modern"));
    let pam_ids: HashSet<&String> =
        records.keys().filter(|(id, s)| s == "Start" && !id.starts_with("outage-api-") && !id.is_empty()).map(|(id, _)| id).collect();
    assert_eq!(pam_ids.len(), PAM_SESSIONS, "PAM sessions in the detail file: {pam_ids:?}");
    for id in ids.iter().chain(pam_ids.iter().copied()) {
        for status in ["Start", "Stop"] {
            let delays = records.get(&(id.clone(), status.to_string())).unwrap_or_else(|| panic!("no {status} for {id}"));
            assert_eq!(delays.len(), 1, "{id} {status} arrived {} times", delays.len());
            assert!(delays[0] >= outage_secs, "{id} {status}: Acct-Delay-Time {} though it waited at least {outage_secs}s", delays[0]);
        }
    }
    assert_eq!(records.iter().filter(|((_, s), _)| s == "Accounting-On").count(), 1, "one Accounting-On");
    let stats = spool.stats().unwrap();
    assert_eq!((stats.depth, stats.drained), (0, 2 * (API_SESSIONS + PAM_SESSIONS) as u64 + 1), "{stats:?}");
    let monitor = Command::new(our_binary("radius-rs")).arg("--config").arg(&conf.path).arg("monitor").output().unwrap();
    let text = String::from_utf8_lossy(&monitor.stdout);
    assert!(text.contains("accounting spool") && text.contains(&format!("drained: {}", stats.drained)), "{text}");
    let prom = Command::new(our_binary("radius-rs")).arg("--config").arg(&conf.path).args(["monitor", "--prometheus"]).output().unwrap();
    let prom = String::from_utf8_lossy(&prom.stdout);
    for line in [format!("radius_rs_spool_drained_total {}", stats.drained), "radius_rs_spool_depth 0".into(), "radius_rs_spool_dropped_total 0".into()] {
        assert!(prom.contains(&line), "no `{line}` in:\n{prom}");
    }
}

/// SIGKILL at random moments of a writer spooling as fast as it can: every
/// record it was told was kept is there and whole, no file is a record cut
/// short, and each of them reaches FreeRADIUS exactly once.
#[test]
fn a_power_cut_while_spooling_leaves_whole_records_only() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("spool");
    let mut promised = Vec::new();
    let mut rng = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos() as u64 | 1;
    for round in 0..40u64 {
        let mut child = Command::new(our_binary("spool-writer"))
            .arg(&dir)
            .arg((round * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spool-writer");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(5 + rng % 60));
        child.kill().expect("SIGKILL");
        let out = child.wait_with_output().unwrap();
        promised.extend(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string));
    }
    assert!(promised.len() > 100, "the writer kept only {} records in 40 runs", promised.len());
    let spool = Spool::open_dir(&dir, 1_000_000).unwrap();
    let entries = spool.entries().unwrap();
    let names: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    for p in &promised {
        assert!(names.contains(p.as_str()), "{p} was promised and is gone");
    }
    for e in &entries {
        spool.load(e).unwrap_or_else(|err| panic!("a half-written record in the spool: {err}"));
    }
    eprintln!("{} records promised, {} in the spool (a record written just before the kill may not have been printed)", promised.len(), entries.len());

    let fr = FreeRadius::start();
    let conf = ConfFile::toml(&[("127.0.0.1", fr.modern_auth, fr.modern_acct)], "");
    let mut client = Client::new(Config::load(&conf.path).unwrap(), Box::new(StderrLog { debug: false }));
    let drained = spool::drain(&spool, &mut |r| client.account(r), &StderrLog { debug: false });
    assert_eq!((drained.sent, drained.left, drained.quarantined), (entries.len(), 0, 0));
    let expected = entries.len();
    let total = |fr: &FreeRadius| detail_records(&fr.detail("modern")).values().map(Vec::len).sum::<usize>();
    assert!(wait_for(10, || total(&fr) >= expected), "{} of {expected} records in the detail file", total(&fr));
    std::thread::sleep(Duration::from_millis(500));
    let records = detail_records(&fr.detail("modern"));
    for ((id, status), seen) in &records {
        assert_eq!(seen.len(), 1, "{id} {status} arrived {} times", seen.len());
    }
    assert_eq!(records.len(), expected);
}

/// A spool directory others can write in (or one owned by another user) is
/// not written: the record is reported lost with the reason, and a PAM
/// session with the server down fails rather than pretend it was kept.
#[test]
fn a_spool_directory_others_can_write_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let open = work.path().join("open-spool");
    std::fs::create_dir(&open).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let port = radius_testbed::closed_port();
    let conf = ConfFile::toml(&[("127.0.0.1", port, port + 1)], &format!("[accounting]\nspool_dir = \"{}\"\n", open.display()));
    let config = Config::load(&conf.path).unwrap();
    let mut client = Client::new(config.clone(), Box::new(StderrLog { debug: false }));
    let lazy = LazySpool::new(&config.accounting);
    let got = deliver(&lazy, &mut Held::default(), &api_record(AcctStatus::Start, "refused-1"), &mut |r| client.account(r), &StderrLog { debug: false });
    match got {
        Err(DeliveryError::Lost { spool, .. }) => assert!(spool.contains("writable by group or others"), "{spool}"),
        other => panic!("written to a world-writable spool: {other:?}"),
    }
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0, "something was written there");
    let svc = PamService::single(Module::Ours, &conf.arg());
    let out = svc.pamtester("refused-pam", "", &["open_session"], &[]);
    assert!(!out.status.success(), "open_session succeeded with the record neither sent nor kept");

    // A link another user planted where the spool should be is not followed.
    let target = work.path().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = work.path().join("linked-spool");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let chown = Command::new("chown").args(["-h", "nobody"]).arg(&link).status().unwrap();
    assert!(chown.success());
    let section = radius_core::config::AccountingSection { spool_dir: link.clone(), ..config.accounting.clone() };
    let got = deliver(&LazySpool::new(&section), &mut Held::default(), &api_record(AcctStatus::Start, "refused-2"), &mut |r| client.account(r), &StderrLog { debug: false });
    match got {
        Err(DeliveryError::Lost { spool, .. }) => assert!(spool.contains("symbolic link owned by uid"), "{spool}"),
        other => panic!("followed a link nobody's: {other:?}"),
    }
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0, "written through the planted link");
}

/// Many writers at once (pppd processes of one NAS during an outage): 32
/// spool-writers for a second; every record each was told was kept is
/// there, whole, under a name no other writer used.
#[test]
fn concurrent_writers_each_keep_their_records() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("spool");
    std::fs::create_dir(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut writers: Vec<Child> = (0..32u64)
        .map(|w| {
            Command::new(our_binary("spool-writer")).arg(&dir).arg((w * 1_000_000).to_string()).stdout(Stdio::piped()).spawn().expect("spool-writer")
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let mut promised = Vec::new();
    for w in writers.iter_mut() {
        let _ = w.kill();
    }
    for w in writers {
        let out = w.wait_with_output().unwrap();
        let names: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
        assert!(!names.is_empty(), "a writer kept nothing in a second");
        promised.extend(names);
    }
    let spool = Spool::open_dir(&dir, 1_000_000).unwrap();
    let entries = spool.entries().unwrap();
    let names: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let unique: HashSet<&String> = promised.iter().collect();
    assert_eq!(unique.len(), promised.len(), "two writers were told the same name");
    for p in &promised {
        assert!(names.contains(p.as_str()), "{p} was promised and is gone");
    }
    for e in &entries {
        spool.load(e).unwrap_or_else(|err| panic!("a damaged record: {err}"));
    }
    eprintln!("32 writers: {} records promised", promised.len());
}
