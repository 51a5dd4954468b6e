//! The accounting spool, against one FreeRADIUS (no debug output), in one run:
//!
//! - the fast path: a record delivered through the spool-aware path
//!   (`spool::deliver`, spool on) beside the same record sent straight
//!   with the spool off, interleaved record by record; medians and ratio;
//! - spooling: what writing a record durably costs (temp file, fsync,
//!   rename, directory fsync), when no server takes it;
//! - the drain after an outage: records per second delivered from the
//!   spool, beside the same number sent straight one after another.
//!
//! Not a test: nothing fails on a number. Run with `bash scripts/bench.sh`.

use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::config::AccountingSection;
use radius_core::log::NullLog;
use radius_core::packet::attr;
use radius_core::spool::{self, deliver, Delivery, Held, LazySpool, Spool};
use radius_core::{Client, Config, Service};
use radius_testbed::{FreeRadius, SECRET};
use std::time::{Duration, Instant};

const FAST_RECORDS: usize = 2_000;
const DRAIN_RECORDS: usize = 5_000;

fn config(dir: &std::path::Path, fr: &FreeRadius, spool: bool) -> Config {
    let text = format!(
        "[client]\nstate_dir = \"{0}/state\"\n[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\nauth_port = {1}\nacct_port = {2}\n\
         [accounting]\nspool = {spool}\nspool_dir = \"{0}/spool\"\nspool_max_records = 1000000\n",
        dir.display(),
        fr.modern_auth,
        fr.modern_acct
    );
    Config::from_toml(&text, &dir.join("radius.toml")).expect("bench config")
}

fn record(i: usize) -> AccountingRecord {
    AccountingRecord::new(AcctStatus::InterimUpdate, Service::Ppp)
        .text(attr::ACCT_SESSION_ID, &format!("BENCH-{i:08}"))
        .text(attr::USER_NAME, "bench-user")
        .integer(attr::ACCT_INPUT_OCTETS, i as u32)
        .integer(attr::ACCT_OUTPUT_OCTETS, 2 * i as u32)
        .integer(attr::ACCT_SESSION_TIME, 60)
}

fn median(mut t: Vec<Duration>) -> Duration {
    t.sort();
    t[t.len() / 2]
}

fn main() {
    let fr = FreeRadius::start_quiet();
    let dir = tempfile::tempdir().unwrap();
    let (on, off) = (config(dir.path(), &fr, true), config(dir.path(), &fr, false));
    let mut with_spool = Client::new(on.clone(), Box::new(NullLog));
    let mut without = Client::new(off, Box::new(NullLog));
    let lazy = LazySpool::new(&on.accounting);

    println!("accounting fast path, {FAST_RECORDS} Interim-Updates each, interleaved record by record:");
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    for i in 0..FAST_RECORDS {
        let r = record(i);
        let t = Instant::now();
        let got = deliver(&lazy, &mut Held::default(), &r, &mut |r| with_spool.account(r), &NullLog).expect("delivered");
        ours.push(t.elapsed());
        assert!(matches!(got, Delivery::Sent { .. }), "a record was spooled with the server up: {got:?}");
        let t = Instant::now();
        without.account(&r).expect("delivered");
        plain.push(t.elapsed());
    }
    let (o, p) = (median(ours), median(plain));
    println!("  spool on  {:>8.1} µs/record", o.as_secs_f64() * 1e6);
    println!("  spool off {:>8.1} µs/record   ratio {:.2}", p.as_secs_f64() * 1e6, o.as_secs_f64() / p.as_secs_f64());

    let spool_dir = dir.path().join("outage-spool");
    let spool = Spool::open(&AccountingSection { spool_dir: spool_dir.clone(), spool_max_records: 1_000_000, ..AccountingSection::default() }).unwrap();
    let t = Instant::now();
    for i in 0..DRAIN_RECORDS {
        spool.put(&record(i)).expect("spooled");
    }
    let put = t.elapsed();
    println!(
        "spooling with the servers down: {DRAIN_RECORDS} records in {:.2} s, {:.0} µs/record (durable: fsync of file and directory)",
        put.as_secs_f64(),
        put.as_secs_f64() * 1e6 / DRAIN_RECORDS as f64
    );

    let t = Instant::now();
    let d = spool::drain(&spool, &mut |r| with_spool.account(r), &NullLog);
    let drain = t.elapsed();
    assert_eq!((d.sent, d.left), (DRAIN_RECORDS, 0), "the drain did not deliver everything: {d:?}");
    let t = Instant::now();
    for i in 0..DRAIN_RECORDS {
        without.account(&record(i)).expect("delivered");
    }
    let direct = t.elapsed();
    let (dr, di) = (DRAIN_RECORDS as f64 / drain.as_secs_f64(), DRAIN_RECORDS as f64 / direct.as_secs_f64());
    println!("drain after an outage into FreeRADIUS, {DRAIN_RECORDS} records:");
    println!("  from the spool {dr:>8.0} records/s");
    println!("  sent straight  {di:>8.0} records/s   ratio {:.2}", dr / di);
}
