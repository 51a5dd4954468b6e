use super::*;
use crate::client::ClientError;
use crate::config::Service;
use crate::log::{Level, Log};
use crate::packet::attr;
use std::cell::RefCell;
use std::os::unix::fs::PermissionsExt;

#[derive(Default)]
struct Lines(RefCell<Vec<String>>);
impl Log for Lines {
    fn log(&self, _: Level, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

fn base() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

fn record(status: AcctStatus, session: &str, at: u64) -> AccountingRecord {
    let mut r = AccountingRecord::new(status, Service::Ppp).text(attr::ACCT_SESSION_ID, session).text(attr::USER_NAME, "alice");
    r.event_time = UNIX_EPOCH + Duration::from_secs(at);
    r
}

fn section(dir: &Path, max: usize) -> AccountingSection {
    AccountingSection { spool_dir: dir.to_path_buf(), spool_max_records: max, ..AccountingSection::default() }
}

fn down() -> ClientError {
    ClientError::NoServer(Service::Ppp)
}

fn sessions_and_kinds(spool: &Spool) -> Vec<(String, Kind)> {
    spool
        .entries()
        .unwrap()
        .iter()
        .map(|e| (spool.load(e).unwrap().attributes.get_text(attr::ACCT_SESSION_ID).unwrap(), e.kind))
        .collect()
}

/// Records come back oldest first, whole, from a directory made root-only.
#[test]
fn stores_in_event_order() {
    let b = base();
    let spool = Spool::open_dir(&b.path().join("spool"), 100).unwrap();
    assert_eq!(std::fs::metadata(b.path().join("spool")).unwrap().permissions().mode() & 0o7777, 0o700);
    spool.put(&record(AcctStatus::Stop, "C", 300)).unwrap();
    spool.put(&record(AcctStatus::Start, "A", 100)).unwrap();
    spool.put(&record(AcctStatus::InterimUpdate, "B", 200)).unwrap();
    assert_eq!(sessions_and_kinds(&spool), [("A".into(), Kind::Start), ("B".into(), Kind::Interim), ("C".into(), Kind::Stop)]);
    let e = &spool.entries().unwrap()[0];
    assert_eq!(e.event_time, UNIX_EPOCH + Duration::from_secs(100));
    let mode = std::fs::metadata(spool.path().join(&e.name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(spool.holds(session_key(&record(AcctStatus::Start, "A", 0))).unwrap());
    assert!(!spool.holds(session_key(&record(AcctStatus::Start, "D", 0))).unwrap());
    let s = spool.stats().unwrap();
    assert_eq!((s.depth, s.interims, s.spooled, s.oldest), (3, 1, 3, Some(UNIX_EPOCH + Duration::from_secs(100))));
}

/// A spool directory others may write in, or one behind a planted link, is not used.
#[test]
fn refuses_a_directory_others_can_write() {
    let b = base();
    let open = b.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(matches!(Spool::open_dir(&open, 10), Err(SpoolError::Dir(_))));
    assert!(matches!(Spool::open(&AccountingSection { spool: false, ..section(b.path(), 10) }), Err(SpoolError::Off)));
}

/// Full: the oldest Interim-Update goes first; with none left a new
/// Interim is dropped, and a Start or Stop is still kept. All counted.
#[test]
fn full_drops_interims_never_start_or_stop() {
    let b = base();
    let spool = Spool::open_dir(b.path(), 3).unwrap();
    spool.put(&record(AcctStatus::Start, "A", 1)).unwrap();
    spool.put(&record(AcctStatus::InterimUpdate, "A", 2)).unwrap();
    spool.put(&record(AcctStatus::InterimUpdate, "A", 3)).unwrap();
    let (put, note) = spool.put(&record(AcctStatus::Stop, "A", 4)).unwrap();
    assert!(matches!(put, Put::Stored(_)));
    assert!(note.unwrap().contains("dropped the oldest Interim-Update"));
    assert_eq!(sessions_and_kinds(&spool).iter().map(|(_, k)| *k).collect::<Vec<_>>(), [Kind::Start, Kind::Interim, Kind::Stop]);
    spool.put(&record(AcctStatus::Start, "B", 5)).unwrap();
    let (put, note) = spool.put(&record(AcctStatus::InterimUpdate, "B", 6)).unwrap();
    assert_eq!(put, Put::Dropped);
    assert!(note.unwrap().contains("is dropped"));
    let (put, note) = spool.put(&record(AcctStatus::Stop, "B", 7)).unwrap();
    assert!(matches!(put, Put::Stored(_)));
    assert!(note.unwrap().contains("kept anyway"));
    let s = spool.stats().unwrap();
    assert_eq!((s.depth, s.dropped, s.over_limit), (4, 3, 1));
}

/// With a server answering, nothing touches the disk: the spool is not even made.
#[test]
fn fast_path_does_not_open_the_spool() {
    let b = base();
    let lazy = LazySpool::new(&section(&b.path().join("spool"), 10));
    let mut held = Held::default();
    let got = deliver(&lazy, &mut held, &record(AcctStatus::Start, "A", 1), &mut |_| Ok(0), &Lines::default()).unwrap();
    assert!(matches!(got, Delivery::Sent { server: 0 }));
    assert!(!b.path().join("spool").exists());
}

/// A failed send spools the record; the session's next record queues
/// behind it without a send; once drained, records go straight out again.
#[test]
fn failed_send_spools_and_the_session_queues_behind() {
    let b = base();
    let lazy = LazySpool::new(&section(b.path(), 10));
    let mut held = Held::default();
    let log = Lines::default();
    let got = deliver(&lazy, &mut held, &record(AcctStatus::Start, "A", 1), &mut |_| Err(down()), &log).unwrap();
    assert!(matches!(got, Delivery::Spooled { why: Some(_), .. }));
    assert_eq!(held, Held(true));
    let mut sends = 0;
    let got = deliver(&lazy, &mut held, &record(AcctStatus::InterimUpdate, "A", 2), &mut |_| {
        sends += 1;
        Ok(0)
    }, &log)
    .unwrap();
    assert!(matches!(got, Delivery::Spooled { why: None, .. }), "{got:?}");
    assert_eq!(sends, 0, "the Interim overtook the spooled Start");

    let spool = lazy.get().unwrap();
    let mut sent = Vec::new();
    let d = drain(spool, &mut |r| {
        sent.push(r.status);
        Ok(0)
    }, &log);
    assert_eq!((d.sent, d.left), (2, 0));
    assert_eq!(sent, [AcctStatus::Start, AcctStatus::InterimUpdate]);
    let got = deliver(&lazy, &mut held, &record(AcctStatus::Stop, "A", 3), &mut |_| Ok(1), &log).unwrap();
    assert!(matches!(got, Delivery::Sent { server: 1 }));
    assert_eq!(held, Held(false));
    assert_eq!(spool.stats().unwrap().drained, 2);
}

/// The spool off: a record no server takes is reported lost.
#[test]
fn spool_off_reports_the_loss() {
    let b = base();
    let lazy = LazySpool::new(&AccountingSection { spool: false, ..section(b.path(), 10) });
    let got = deliver(&lazy, &mut Held::default(), &record(AcctStatus::Stop, "A", 1), &mut |_| Err(down()), &Lines::default());
    assert!(matches!(got, Err(DeliveryError::NotSpooled(_))));
}

/// The drain stops a service at its first undelivered record (so nothing
/// overtakes it) but goes on with the other service; a damaged file is set
/// aside, never sent; a dead writer's temporary file is removed.
#[test]
fn drain_keeps_order_and_sets_damage_aside() {
    let b = base();
    let spool = Spool::open_dir(b.path(), 100).unwrap();
    spool.put(&record(AcctStatus::Start, "A", 1)).unwrap();
    let mut login = record(AcctStatus::Start, "L", 2);
    login.service = Service::Login;
    spool.put(&login).unwrap();
    spool.put(&record(AcctStatus::Start, "B", 3)).unwrap();
    spool.put(&record(AcctStatus::Stop, "A", 4)).unwrap();
    let (Put::Stored(damaged), _) = spool.put(&record(AcctStatus::Stop, "C", 5)).unwrap() else { panic!() };
    let path = b.path().join(&damaged);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&path, bytes).unwrap();
    let tmp = b.path().join(".x.0123456789abcdef.tmp");
    std::fs::write(&tmp, b"half").unwrap();
    std::fs::File::options().write(true).open(&tmp).unwrap().set_modified(SystemTime::now() - Duration::from_secs(600)).unwrap();

    let log = Lines::default();
    let mut sent = Vec::new();
    let d = drain(&spool, &mut |r| {
        let id = r.attributes.get_text(attr::ACCT_SESSION_ID).unwrap();
        if r.service == Service::Ppp {
            return Err(down());
        }
        sent.push(id);
        Ok(0)
    }, &log);
    assert_eq!(sent, ["L"], "the login record goes; the ppp ones wait");
    assert_eq!((d.sent, d.left, d.quarantined), (1, 3, 1));
    assert!(!tmp.exists(), "the dead writer's temporary file is left");
    assert!(b.path().join(format!("bad-{damaged}")).exists());
    assert!(log.0.borrow().iter().any(|l| l.contains("set aside as bad-")), "{:?}", log.0.borrow());
    let mut order = Vec::new();
    let d = drain(&spool, &mut |r| {
        order.push((r.attributes.get_text(attr::ACCT_SESSION_ID).unwrap(), r.status));
        Ok(0)
    }, &log);
    assert_eq!(d.sent, 3);
    assert_eq!(order, [("A".into(), AcctStatus::Start), ("B".into(), AcctStatus::Start), ("A".into(), AcctStatus::Stop)]);
    assert_eq!(spool.stats().unwrap().depth, 0);
    assert_eq!(spool.stats().unwrap().quarantined_files, 1);
}

/// The clock stepped back between a session's Start and Stop: the Stop
/// still comes after the Start its writer wrote first.
#[test]
fn a_clock_step_back_does_not_reorder_a_session() {
    let b = base();
    let spool = Spool::open_dir(b.path(), 100).unwrap();
    spool.put(&record(AcctStatus::Start, "A", 1000)).unwrap();
    spool.put(&record(AcctStatus::Start, "B", 500)).unwrap();
    spool.put(&record(AcctStatus::Stop, "A", 100)).unwrap(); // an hour back
    let order: Vec<(String, Kind)> = sessions_and_kinds(&spool);
    let a: Vec<Kind> = order.iter().filter(|(s, _)| s == "A").map(|(_, k)| *k).collect();
    assert_eq!(a, [Kind::Start, Kind::Stop], "{order:?}");
}
