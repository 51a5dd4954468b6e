//! The durable accounting spool (`[accounting] spool_dir`): records no
//! server took, one file per record, until radius-rs-dmd (or `radius-rs
//! spool drain`) delivers them.
//!
//! - Crash-safe: a record is written to an `O_EXCL` temporary file,
//!   fsynced, renamed into place and the directory fsynced
//!   ([`TrustedDir::write`]); its bytes carry a digest ([`format`]), so a
//!   file cut short is recognised and never sent.
//! - Many writers: each record is its own file with a name no other
//!   writer produces (time, session, pid, sequence); nobody waits on a lock.
//! - In order: names sort by the event's time, and the drain delivers a
//!   session's records oldest first, stopping at the first one no server takes.
//! - Bounded: at `spool_max_records` the oldest Interim-Update goes (counted
//!   and logged); a Start or a Stop is never dropped.
//! - Root only: the directory is a [`TrustedDir`] (mode 0700, no link followed).

mod deliver;
pub mod format;

pub use deliver::{deliver, drain, Delivery, DeliveryError, Drained, Held, LazySpool};

use crate::accounting::{AccountingRecord, AcctStatus};
use crate::config::AccountingSection;
use crate::packet::attr;
use crate::state::{FileState, SharedState};
use crate::trusted_dir::{DirError, TrustedDir};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The spool directory's mode.
pub const DIR_MODE: u32 = 0o700;
/// A record file's mode.
pub const FILE_MODE: u32 = 0o600;
/// Temporary files older than this were left by a writer that died.
pub const STALE_TEMPORARY: Duration = Duration::from_secs(60);
/// The prefix of a record set aside because it cannot be read.
pub const QUARANTINE_PREFIX: &str = "bad-";

/// Why the spool was not read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// The directory failed the checks (owner, mode, links) or could not be made.
    #[error("spool directory: {0}")]
    Dir(#[from] DirError),
    /// Reading or writing a record failed.
    #[error("spool {path}: {source}", path = .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A record file that is not a whole record (a write cut short, damage).
    #[error("spool record {name} is unreadable: {source}")]
    Format {
        /// The file.
        name: String,
        /// Why.
        source: format::FormatError,
    },
    /// The spool is turned off (`[accounting] spool = false`).
    #[error("the spool is off ([accounting] spool = false)")]
    Off,
}

/// The spool's counters, shared by every process (in `spool_dir/counters/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolCounter {
    /// Records written to the spool.
    Spooled = 0,
    /// Spooled records a server then took.
    Drained,
    /// Interim-Updates dropped because the spool was full.
    Dropped,
    /// Files set aside as unreadable.
    Quarantined,
    /// Starts and Stops kept although the spool was full.
    OverLimit,
    /// Records waiting (a gauge kept by writers and drains, so a write
    /// need not list the directory; each drain sets it to the true count).
    Depth,
}

const COUNTER_RECORD: &str = "spool";

/// What kind of record a file holds, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Acct-Status-Type Start.
    Start,
    /// Interim-Update.
    Interim,
    /// Stop.
    Stop,
    /// Accounting-On.
    On,
    /// Accounting-Off.
    Off,
}

impl Kind {
    fn of(status: AcctStatus) -> Kind {
        match status {
            AcctStatus::Start => Kind::Start,
            AcctStatus::InterimUpdate => Kind::Interim,
            AcctStatus::Stop => Kind::Stop,
            AcctStatus::AccountingOn => Kind::On,
            AcctStatus::AccountingOff => Kind::Off,
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Kind::Start => "start",
            Kind::Interim => "interim",
            Kind::Stop => "stop",
            Kind::On => "on",
            Kind::Off => "off",
        }
    }
    fn from_suffix(s: &str) -> Option<Kind> {
        [Kind::Start, Kind::Interim, Kind::Stop, Kind::On, Kind::Off].into_iter().find(|k| k.suffix() == s)
    }
}

/// One spooled record, as its file name tells.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The file name: `SECS.NANOS-SESSION-PID-SEQ.KIND`, sorting by event time.
    pub name: String,
    /// The session it belongs to ([`session_key`]).
    pub session: u64,
    /// Start, Interim, Stop, …
    pub kind: Kind,
    /// When the event happened.
    pub event_time: SystemTime,
    /// The writer's pid and its sequence number: a writer's order of writing.
    writer: (u32, u64),
}

impl Entry {
    fn parse(name: &str) -> Option<Entry> {
        let (stem, kind) = name.rsplit_once('.')?;
        let kind = Kind::from_suffix(kind)?;
        let mut parts = stem.split('-');
        let (secs, nanos) = parts.next()?.split_once('.')?;
        let session = u64::from_str_radix(parts.next()?, 16).ok()?;
        let pid = u32::from_str_radix(parts.next()?, 16).ok()?;
        let seq = u64::from_str_radix(parts.next()?, 16).ok()?;
        let (secs, nanos): (u64, u32) = (secs.parse().ok()?, nanos.parse().ok()?);
        let event_time = UNIX_EPOCH.checked_add(Duration::new(secs, nanos.min(999_999_999)))?;
        Some(Entry { name: name.to_string(), session, kind, event_time, writer: (pid, seq) })
    }
}

/// The key that ties a session's records together: 64 bits of the MD5 of
/// its Acct-Session-Id (0 for a record with none, as Accounting-On).
pub fn session_key(record: &AccountingRecord) -> u64 {
    match record.attributes.get(attr::ACCT_SESSION_ID) {
        Some(id) => {
            let d = Md5::digest(id);
            u64::from_be_bytes(d[..8].try_into().unwrap_or([0; 8])) | 1
        }
        None => 0,
    }
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn file_name(record: &AccountingRecord) -> String {
    let since = record.event_time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    format!(
        "{:011}.{:09}-{:016x}-{:x}-{:x}.{}",
        since.as_secs(),
        since.subsec_nanos(),
        session_key(record),
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed),
        Kind::of(record.status).suffix()
    )
}

/// What [`Spool::put`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// Stored as this file.
    Stored(String),
    /// An Interim-Update not kept: the spool is full of Starts and Stops.
    Dropped,
}

/// A snapshot of the spool for `radius-rs monitor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records waiting.
    pub depth: usize,
    /// Of them, Interim-Updates.
    pub interims: usize,
    /// The oldest waiting record's event time.
    pub oldest: Option<SystemTime>,
    /// Files set aside as unreadable, still in the directory.
    pub quarantined_files: usize,
    /// Records ever spooled, drained, dropped (full), set aside, kept over the limit.
    pub spooled: u64,
    /// See `spooled`.
    pub drained: u64,
    /// See `spooled`.
    pub dropped: u64,
    /// See `spooled`.
    pub quarantined: u64,
    /// See `spooled`.
    pub over_limit: u64,
}

/// The spool directory, checked and held open.
#[derive(Debug)]
pub struct Spool {
    dir: TrustedDir,
    max_records: usize,
    counters: FileState,
}

impl Spool {
    /// The spool of `[accounting]` (made, mode 0700, when missing).
    pub fn open(section: &AccountingSection) -> Result<Spool, SpoolError> {
        if !section.spool {
            return Err(SpoolError::Off);
        }
        Spool::open_dir(&section.spool_dir, section.spool_max_records)
    }

    /// The spool at `path`, holding at most `max_records`.
    pub fn open_dir(path: &Path, max_records: usize) -> Result<Spool, SpoolError> {
        let dir = TrustedDir::open(path, Some(DIR_MODE))?;
        Ok(Spool { counters: FileState::open(path), dir, max_records: max_records.max(1) })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn io(&self, source: std::io::Error) -> SpoolError {
        SpoolError::Io { path: self.dir.path().to_path_buf(), source }
    }

    /// Adds `n` to a counter (skipped, never waited for, when its lock is busy).
    pub fn count(&self, counter: SpoolCounter, n: u64) {
        let _ = self.counters.update(COUNTER_RECORD, &mut |r| r[counter as usize] = r[counter as usize].saturating_add(n));
    }

    fn depth_changed(&self, change: impl Fn(u64) -> u64) {
        let slot = SpoolCounter::Depth as usize;
        let _ = self.counters.update(COUNTER_RECORD, &mut |r| r[slot] = change(r[slot]));
    }

    /// Sets the depth gauge to what the directory holds now.
    pub fn resync_depth(&self) -> Result<usize, SpoolError> {
        let n = self.entries()?.len();
        self.depth_changed(|_| n as u64);
        Ok(n)
    }

    /// Whether the spool may be at its limit, by the gauge (no listing).
    fn maybe_full(&self) -> bool {
        self.counters.read(COUNTER_RECORD).map(|r| r[SpoolCounter::Depth as usize] as usize >= self.max_records).unwrap_or(true)
    }

    /// The waiting records, oldest first; a session's records from one
    /// writer in the order it wrote them, even when the clock stepped back
    /// between them.
    pub fn entries(&self) -> Result<Vec<Entry>, SpoolError> {
        let mut out: Vec<Entry> = self.dir.names().map_err(|e| self.io(e))?.iter().filter_map(|n| Entry::parse(n)).collect();
        out.sort_by(|a, b| a.event_time.cmp(&b.event_time).then_with(|| a.name.cmp(&b.name)));
        // Each (session, writer) group keeps its places in the time order
        // but fills them in the writer's own order.
        let mut groups: std::collections::HashMap<(u64, u32), Vec<usize>> = std::collections::HashMap::new();
        for (i, e) in out.iter().enumerate() {
            groups.entry((e.session, e.writer.0)).or_default().push(i);
        }
        let mut placed: Vec<Option<Entry>> = out.into_iter().map(Some).collect();
        for places in groups.values().filter(|p| p.len() > 1) {
            let mut group: Vec<Entry> = places.iter().filter_map(|&i| placed[i].take()).collect();
            group.sort_by_key(|e| e.writer.1);
            for (&i, e) in places.iter().zip(group) {
                placed[i] = Some(e);
            }
        }
        Ok(placed.into_iter().flatten().collect())
    }

    /// Whether a record of the session `key` is waiting.
    pub fn holds(&self, key: u64) -> Result<bool, SpoolError> {
        let infix = format!("-{key:016x}-");
        Ok(self.dir.names().map_err(|e| self.io(e))?.iter().any(|n| n.contains(&infix) && Entry::parse(n).is_some()))
    }

    /// Stores `record` durably. At the limit the oldest Interim-Update is
    /// dropped to make room (or, with none, a new Interim-Update is not
    /// kept); a Start or a Stop is always kept. Returns what was done and,
    /// when something was dropped or kept over the limit, a line to log.
    pub fn put(&self, record: &AccountingRecord) -> Result<(Put, Option<String>), SpoolError> {
        let mut note = None;
        // The gauge says whether to look; the listing decides (and corrects the gauge).
        let entries = if self.maybe_full() {
            let listed = self.entries()?;
            self.depth_changed(|_| listed.len() as u64);
            listed
        } else {
            Vec::new()
        };
        if entries.len() >= self.max_records {
            let oldest_interim = entries.iter().find(|e| e.kind == Kind::Interim);
            match (oldest_interim, record.status) {
                (Some(e), _) => {
                    self.dir.remove(&e.name).map_err(|e| self.io(e))?;
                    self.depth_changed(|d| d.saturating_sub(1));
                    self.count(SpoolCounter::Dropped, 1);
                    note = Some(format!(
                        "accounting spool {} is full ({} records): dropped the oldest Interim-Update ({}) to keep this record",
                        self.path().display(),
                        entries.len(),
                        e.name
                    ));
                }
                (None, AcctStatus::InterimUpdate) => {
                    self.count(SpoolCounter::Dropped, 1);
                    return Ok((
                        Put::Dropped,
                        Some(format!(
                            "accounting spool {} is full ({} Starts and Stops): this Interim-Update is dropped",
                            self.path().display(),
                            entries.len()
                        )),
                    ));
                }
                (None, _) => {
                    self.count(SpoolCounter::OverLimit, 1);
                    note = Some(format!(
                        "accounting spool {} is over its limit of {} records, all Starts and Stops: this one is kept anyway",
                        self.path().display(),
                        self.max_records
                    ));
                }
            }
        }
        let name = file_name(record);
        self.dir.write(&name, &format::encode(record), FILE_MODE, true).map_err(|e| self.io(e))?;
        let _ = self.counters.update(COUNTER_RECORD, &mut |r| {
            r[SpoolCounter::Spooled as usize] += 1;
            r[SpoolCounter::Depth as usize] += 1;
        });
        Ok((Put::Stored(name), note))
    }

    /// The record in `entry`'s file.
    pub fn load(&self, entry: &Entry) -> Result<AccountingRecord, SpoolError> {
        let bytes = self.dir.read(&entry.name).map_err(|e| self.io(e))?.ok_or_else(|| {
            self.io(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{} is gone", entry.name)))
        })?;
        format::decode(&bytes).map_err(|source| SpoolError::Format { name: entry.name.clone(), source })
    }

    /// Removes a delivered record (durably: a power cut after this does not
    /// bring it back to be sent twice), counted as drained.
    pub fn remove(&self, entry: &Entry) -> Result<(), SpoolError> {
        self.dir.remove(&entry.name).map_err(|e| self.io(e))?;
        let _ = self.counters.update(COUNTER_RECORD, &mut |r| {
            r[SpoolCounter::Drained as usize] += 1;
            r[SpoolCounter::Depth as usize] = r[SpoolCounter::Depth as usize].saturating_sub(1);
        });
        nix::unistd::fsync(self.dir.as_fd()).map_err(|e| self.io(std::io::Error::from_raw_os_error(e as i32)))
    }

    /// Sets an unreadable record aside as `bad-NAME` (kept for an admin, never sent).
    pub fn quarantine(&self, entry: &Entry) -> Result<String, SpoolError> {
        let to = format!("{QUARANTINE_PREFIX}{}", entry.name);
        self.dir.rename(&entry.name, &to).map_err(|e| self.io(e))?;
        self.depth_changed(|d| d.saturating_sub(1));
        self.count(SpoolCounter::Quarantined, 1);
        Ok(to)
    }

    /// Removes temporary files a writer that died left (older than
    /// [`STALE_TEMPORARY`]; a live writer renames its file within
    /// milliseconds). They were never records: the writer had not been
    /// told its record was kept. Returns how many.
    pub fn clean_temporaries(&self) -> usize {
        let Ok(names) = self.dir.names() else { return 0 };
        let now = SystemTime::now();
        let mut removed = 0;
        for name in names.iter().filter(|n| n.starts_with('.') && n.ends_with(".tmp")) {
            let Ok(st) = self.dir.stat_entry(name) else { continue };
            let mtime = UNIX_EPOCH + Duration::new(st.st_mtime.max(0) as u64, 0);
            if now.duration_since(mtime).unwrap_or(Duration::ZERO) > STALE_TEMPORARY && self.dir.remove(name).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Depth, oldest record, counters.
    pub fn stats(&self) -> Result<Stats, SpoolError> {
        let entries = self.entries()?;
        let names = self.dir.names().map_err(|e| self.io(e))?;
        let c = self.counters.read(COUNTER_RECORD).unwrap_or_default();
        Ok(Stats {
            depth: entries.len(),
            interims: entries.iter().filter(|e| e.kind == Kind::Interim).count(),
            oldest: entries.first().map(|e| e.event_time),
            quarantined_files: names.iter().filter(|n| n.starts_with(QUARANTINE_PREFIX)).count(),
            spooled: c[SpoolCounter::Spooled as usize],
            drained: c[SpoolCounter::Drained as usize],
            dropped: c[SpoolCounter::Dropped as usize],
            quarantined: c[SpoolCounter::Quarantined as usize],
            over_limit: c[SpoolCounter::OverLimit as usize],
        })
    }
}

#[cfg(test)]
mod tests;
