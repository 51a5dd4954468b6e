//! Small files under `state_dir` shared by every process on the host:
//! fixed-size records updated under an exclusive `flock`, and marks
//! replaced atomically by rename. Safe for many concurrent writers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Number of u64 slots in a record file.
pub const SLOTS: usize = 16;

/// A file name for a key made of addresses and ports (`:` and `/` replaced).
pub fn file_name(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

fn ensure_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o755).create(dir)
}

/// Reads `path` as a record of [`SLOTS`] little-endian u64 (missing = 0).
fn decode(bytes: &[u8]) -> [u64; SLOTS] {
    let mut out = [0u64; SLOTS];
    for (slot, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        *slot = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
    out
}

/// Changes the record at `dir/name` under an exclusive lock and returns the
/// new values.
pub fn update_record(dir: &Path, name: &str, change: impl FnOnce(&mut [u64; SLOTS])) -> io::Result<[u64; SLOTS]> {
    use std::os::unix::fs::OpenOptionsExt;
    ensure_dir(dir)?;
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o644).open(dir.join(name))?;
    file.lock()?;
    let mut bytes = Vec::with_capacity(SLOTS * 8);
    file.read_to_end(&mut bytes)?;
    let mut record = decode(&bytes);
    change(&mut record);
    let out: Vec<u8> = record.iter().flat_map(|v| v.to_le_bytes()).collect();
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&out)?;
    file.unlock()?;
    Ok(record)
}

/// Reads the record at `dir/name` under a shared lock (all zeros if absent).
pub fn read_record(dir: &Path, name: &str) -> io::Result<[u64; SLOTS]> {
    let mut file = match File::open(dir.join(name)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok([0; SLOTS]),
        Err(e) => return Err(e),
    };
    file.lock_shared()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    file.unlock()?;
    Ok(decode(&bytes))
}

/// Writes `value` to `dir/name` atomically (temp file + rename).
pub fn write_mark(dir: &Path, name: &str, value: &str) -> io::Result<()> {
    ensure_dir(dir)?;
    let tmp: PathBuf = dir.join(format!(".{name}.{}", std::process::id()));
    fs::write(&tmp, value)?;
    fs::rename(&tmp, dir.join(name))
}

/// Reads a mark written by [`write_mark`]; `None` if absent.
pub fn read_mark(dir: &Path, name: &str) -> Option<String> {
    fs::read_to_string(dir.join(name)).ok()
}

/// Removes a mark; absent is fine.
pub fn remove_mark(dir: &Path, name: &str) -> io::Result<()> {
    match fs::remove_file(dir.join(name)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Concurrent updaters from many processes' worth of threads never lose an increment.
    #[test]
    fn concurrent_increments_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        update_record(&p, "x", |r| r[3] += 1).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(read_record(&path, "x").unwrap()[3], 1600);
    }

    /// Marks are replaced whole and removable.
    #[test]
    fn marks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_mark(dir.path(), "m"), None);
        write_mark(dir.path(), "m", "123").unwrap();
        write_mark(dir.path(), "m", "456").unwrap();
        assert_eq!(read_mark(dir.path(), "m").as_deref(), Some("456"));
        remove_mark(dir.path(), "m").unwrap();
        remove_mark(dir.path(), "m").unwrap();
        assert_eq!(file_name("::1@vrf:1812"), "__1_vrf_1812");
    }
}
