//! Sessions whose pppd is gone (kill -9, a crash, a reboot with a
//! persistent registry) get their Stop from the daemon, so the server does
//! not keep them open forever; and the NAS-wide Accounting-On / -Off.
//!
//! A Stop that no server takes goes into the accounting spool (behind the
//! session's records already waiting there) and the drain delivers it;
//! only when the spool cannot take it either does the registry record stay
//! for the next sweep. Nothing is dropped.

use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::log::{Level, Log};
use radius_core::packet::attr::{self, terminate_cause};
use radius_host::sessions::{self, Liveness, PppSession, SessionDir};
use radius_core::spool::{self, deliver, Delivery, Held, LazySpool};
use radius_core::{Client, Service};
use std::time::SystemTime;

/// When this host booted (seconds since the epoch), from /proc/stat.
pub fn boot_time() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
}

/// NAS-Reboot for a session that began before this boot, else Lost-Service.
pub fn cause_for(record: &PppSession, booted: Option<u64>) -> u32 {
    match booted {
        Some(b) if record.start_time < b => terminate_cause::NAS_REBOOT,
        _ => terminate_cause::LOST_SERVICE,
    }
}

/// What a sweep found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Sessions still live.
    pub live: usize,
    /// Stops delivered or spooled (their records removed).
    pub stopped: usize,
    /// Stops neither delivered nor spooled (records kept for the next sweep).
    pub undelivered: usize,
}

/// Sends a Stop for every registry session whose pppd is gone.
pub fn sweep(client: &mut Client, dir: &SessionDir, spool: &LazySpool, log: &dyn Log) -> Swept {
    let mut out = Swept::default();
    let records = match dir.list() {
        Ok(r) => r,
        Err(e) => {
            log.log(Level::Error, &format!("cannot read the session registry {}: {e}", dir.path().display()));
            return out;
        }
    };
    let booted = boot_time();
    for record in records {
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                log.log(Level::Warning, &format!("skipping an unreadable session record: {e}"));
                continue;
            }
        };
        if sessions::liveness(&r) == Liveness::Live {
            out.live += 1;
            continue;
        }
        let cause = cause_for(&r, booted);
        let stop = r.lost_stop(cause, SystemTime::now());
        // Behind the session's records still waiting in the spool, if any.
        let mut held = Held(spool.get().ok().is_some_and(|s| s.holds(spool::session_key(&stop)).unwrap_or(false)));
        match deliver(spool, &mut held, &stop, &mut |r| client.account(r), log) {
            Ok(delivery) => {
                out.stopped += 1;
                let how = match delivery {
                    Delivery::Sent { .. } => "Stop sent".to_string(),
                    Delivery::Spooled { name, .. } => format!("Stop spooled as {name} (no server took it now)"),
                    Delivery::Dropped { .. } => "Stop dropped".to_string(),
                };
                log.log(
                    Level::Info,
                    &format!("{} ({}, session {}): pppd {} is gone; {how} (Acct-Terminate-Cause {cause})", r.ifname, r.user, r.acct_session_id, r.pid),
                );
                if let Err(e) = dir.remove(&r.ifname, r.pid) {
                    log.log(Level::Warning, &format!("cannot remove the record of {}: {e}", r.ifname));
                }
                let _ = dir.remove_control(&r.ifname);
            }
            Err(e) => {
                out.undelivered += 1;
                log.log(Level::Warning, &format!("{} ({}): Stop for the lost session not delivered ({e}); kept for the next sweep", r.ifname, r.user));
            }
        }
    }
    out
}

/// Sends Accounting-On (`on`) or Accounting-Off for the PPP service (into
/// the spool, behind what waits there, when no server takes it).
pub fn nas_state(client: &mut Client, spool: &LazySpool, on: bool, log: &dyn Log) -> bool {
    let status = if on { AcctStatus::AccountingOn } else { AcctStatus::AccountingOff };
    let record = AccountingRecord::new(status, Service::Ppp).text(attr::ACCT_SESSION_ID, &new_session_id());
    let name = if on { "Accounting-On" } else { "Accounting-Off" };
    let mut held = Held::default();
    match deliver(spool, &mut held, &record, &mut |r| client.account(r), log) {
        Ok(Delivery::Sent { .. }) => {
            log.log(Level::Info, &format!("{name} sent"));
            true
        }
        Ok(Delivery::Spooled { name: file, why }) => {
            let why = why.map(|e| e.to_string()).unwrap_or_default();
            log.log(Level::Warning, &format!("{name} not delivered now ({why}); spooled as {file}"));
            true
        }
        Ok(Delivery::Dropped { .. }) => false,
        Err(e) => {
            log.log(Level::Warning, &format!("{name} not delivered: {e}"));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session that began before the boot ended with the reboot.
    #[test]
    fn cause_by_boot_time() {
        let mut r = PppSession::example("ppp0", "u", 1);
        r.start_time = 100;
        assert_eq!(cause_for(&r, Some(200)), terminate_cause::NAS_REBOOT);
        r.start_time = 300;
        assert_eq!(cause_for(&r, Some(200)), terminate_cause::LOST_SERVICE);
        assert!(boot_time().is_some());
    }
}
