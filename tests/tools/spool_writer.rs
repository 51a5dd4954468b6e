//! `spool-writer DIR FIRST`: spools Start, Interim-Update and Stop records
//! of sessions `pc-FIRST`, `pc-FIRST+1`, … into the spool at DIR as fast
//! as it can, printing each file's name once `Spool::put` has returned
//! (the record is then promised to be kept). The spool suite kills it with
//! SIGKILL at random moments to show that a power cut leaves only whole
//! records and loses none that was promised.

use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::packet::attr;
use radius_core::spool::{Put, Spool};
use radius_core::Service;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(first)) = (args.get(1), args.get(2).and_then(|f| f.parse::<u64>().ok())) else {
        eprintln!("usage: spool-writer DIR FIRST");
        std::process::exit(2);
    };
    let spool = Spool::open_dir(std::path::Path::new(dir), 1_000_000).unwrap_or_else(|e| {
        eprintln!("spool-writer: {e}");
        std::process::exit(1);
    });
    // A record of a few KiB: a write that takes long enough to be cut.
    let filler = vec![b'x'; 240];
    let mut out = std::io::stdout().lock();
    for i in first.. {
        let id = format!("pc-{i}");
        for status in [AcctStatus::Start, AcctStatus::InterimUpdate, AcctStatus::Stop] {
            let mut record = AccountingRecord::new(status, Service::Ppp).text(attr::ACCT_SESSION_ID, &id).text(attr::USER_NAME, "power-cut");
            for _ in 0..12 {
                record.attributes.bytes(attr::CLASS, &filler);
            }
            match spool.put(&record) {
                Ok((Put::Stored(name), _)) => {
                    let _ = writeln!(out, "{name}");
                    let _ = out.flush();
                }
                Ok((Put::Dropped, note)) => eprintln!("spool-writer: dropped: {note:?}"),
                Err(e) => {
                    eprintln!("spool-writer: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
}
