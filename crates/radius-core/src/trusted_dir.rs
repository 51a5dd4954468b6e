//! The one way root writes files in a shared place (counters, dead marks,
//! session records and controls, radattr files, the accounting spool).
//!
//! A [`TrustedDir`] is a directory that was checked the way OpenSSH's
//! StrictModes checks a home: every directory on the way to it is owned by
//! root (or by us) and not writable by group or others — a world-writable
//! ancestor is allowed only when it is sticky (`/tmp`), where others cannot
//! replace what is not theirs — and the directory itself is owned by root
//! (or us) and not writable by group or others. A symbolic link on the way
//! is followed only when root (or we) own it, in a directory already found
//! trustworthy (`/var/run -> /run`). The directory is then held open and
//! every file operation is relative to it, never through a link
//! (`O_NOFOLLOW`), with new files written to an `O_EXCL` temporary file of
//! unguessable name and renamed into place.
//!
//! Nobody else can create an entry in such a directory, so nobody else can
//! plant a link in it, hold a lock in it, or see a half-written file.

use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, renameat, AtFlags, OFlag};
use nix::sys::stat::{fchmod, fstat, fstatat, lstat, mkdirat, FileStat, Mode, SFlag};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Why a directory is not used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirError {
    /// A system call failed on the way.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory (or the component) concerned.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Owned by someone else than root (or us).
    #[error("{} is owned by uid {uid}, not root: refusing to write there", path.display())]
    Owner {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// Writable by group or others (and, for an ancestor, not sticky).
    #[error("{} is writable by group or others (mode {mode:04o}): refusing to write there", path.display())]
    Writable {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Something on the way is not a directory.
    #[error("{} is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A link on the way that an untrusted user could have planted.
    #[error("{} is a symbolic link owned by uid {uid}: refusing to follow it", path.display())]
    UntrustedLink {
        /// The link.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// More links than a path can sensibly hold.
    #[error("{}: too many symbolic links", path.display())]
    TooManyLinks {
        /// The path.
        path: PathBuf,
    },
}

/// A file name that is not a plain name in one directory.
fn check_name(name: &str) -> io::Result<()> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0');
    if bad {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("`{name}` is not a plain file name")));
    }
    Ok(())
}

fn errno(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == nix::unistd::geteuid().as_raw()
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY.union(OFlag::O_DIRECTORY).union(OFlag::O_NOFOLLOW).union(OFlag::O_CLOEXEC);

/// Checks a directory we hold open; `last` for the directory itself (no
/// sticky exception), else an ancestor.
fn check_dir(stat: &FileStat, path: &Path, last: bool) -> Result<(), DirError> {
    if stat.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFDIR.bits() {
        return Err(DirError::NotADirectory { path: path.to_path_buf() });
    }
    if !trusted_owner(stat.st_uid) {
        return Err(DirError::Owner { path: path.to_path_buf(), uid: stat.st_uid });
    }
    let mode = stat.st_mode & 0o7777;
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && (last || !sticky) {
        return Err(DirError::Writable { path: path.to_path_buf(), mode });
    }
    Ok(())
}

/// A checked directory, held open; see the module documentation.
#[derive(Debug)]
pub struct TrustedDir {
    fd: OwnedFd,
    path: PathBuf,
    /// Device and inode of the directory when it was checked.
    identity: (u64, u64),
}

fn identity(stat: &FileStat) -> (u64, u64) {
    (stat.st_dev, stat.st_ino)
}

impl TrustedDir {
    /// Opens `path`, checking it and every directory on the way; with
    /// `create`, missing directories are made with that mode.
    pub fn open(path: &Path, create: Option<u32>) -> Result<TrustedDir, DirError> {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().map_err(|source| DirError::Io { path: path.to_path_buf(), source })?.join(path)
        };
        match TrustedDir::open_existing(&absolute) {
            Some(dir) => Ok(dir),
            None => TrustedDir::walk(absolute, create),
        }
    }

    /// [`TrustedDir::open`]'s way when the fast path does not apply: each
    /// component opened from `/` down, links followed when a trusted user
    /// owns them, missing directories made with `create`. Never inlined:
    /// a process that finds its directories in place does not run it, and
    /// only the code a process runs is mapped.
    #[inline(never)]
    fn walk(absolute: PathBuf, create: Option<u32>) -> Result<TrustedDir, DirError> {
        let io_err = |p: &Path, e: Errno| DirError::Io { path: p.to_path_buf(), source: errno(e) };
        let root = nix::fcntl::open("/", DIR_FLAGS, Mode::empty()).map_err(|e| io_err(Path::new("/"), e))?;
        // Components still to walk, in order; links found on the way are spliced in.
        let mut pending: Vec<PathBuf> = components(&absolute).into_iter().rev().collect();
        let mut fd = root;
        let mut at = PathBuf::from("/");
        let mut links = 0;
        let mut stat = fstat(&fd).map_err(|e| io_err(&at, e))?;
        check_dir(&stat, &at, pending.is_empty())?;
        while let Some(name) = pending.pop() {
            let next = at.join(&name);
            let last = pending.is_empty();
            match openat(&fd, name.as_path(), DIR_FLAGS, Mode::empty()) {
                Ok(child) => {
                    stat = fstat(&child).map_err(|e| io_err(&next, e))?;
                    check_dir(&stat, &next, last)?;
                    fd = child;
                    at = next;
                }
                Err(Errno::ELOOP) | Err(Errno::ENOTDIR) => {
                    let link = fstatat(&fd, name.as_path(), AtFlags::AT_SYMLINK_NOFOLLOW).map_err(|e| io_err(&next, e))?;
                    if link.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFLNK.bits() {
                        return Err(DirError::NotADirectory { path: next });
                    }
                    if !trusted_owner(link.st_uid) {
                        return Err(DirError::UntrustedLink { path: next, uid: link.st_uid });
                    }
                    links += 1;
                    if links > 40 {
                        return Err(DirError::TooManyLinks { path: absolute });
                    }
                    let target = PathBuf::from(readlinkat(&fd, name.as_path()).map_err(|e| io_err(&next, e))?);
                    pending.extend(components(&target).into_iter().rev());
                    if target.is_absolute() {
                        fd = nix::fcntl::open("/", DIR_FLAGS, Mode::empty()).map_err(|e| io_err(Path::new("/"), e))?;
                        at = PathBuf::from("/");
                        stat = fstat(&fd).map_err(|e| io_err(&at, e))?;
                    }
                }
                Err(Errno::ENOENT) if create.is_some() => {
                    let mode = create.unwrap_or(0o700);
                    match mkdirat(&fd, name.as_path(), Mode::from_bits_truncate(mode)) {
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err(io_err(&next, e)),
                    }
                    let child = openat(&fd, name.as_path(), DIR_FLAGS, Mode::empty()).map_err(|e| io_err(&next, e))?;
                    let made = fstat(&child).map_err(|e| io_err(&next, e))?;
                    // mkdir's mode went through the umask; a directory we made gets exactly `mode`.
                    if made.st_uid == nix::unistd::geteuid().as_raw() && made.st_mode & 0o7777 != mode {
                        fchmod(&child, Mode::from_bits_truncate(mode)).map_err(|e| io_err(&next, e))?;
                    }
                    stat = fstat(&child).map_err(|e| io_err(&next, e))?;
                    check_dir(&stat, &next, last)?;
                    fd = child;
                    at = next;
                }
                Err(e) => return Err(io_err(&next, e)),
            }
        }
        Ok(TrustedDir { fd, path: absolute, identity: identity(&stat) })
    }

    /// The common case at a fraction of the walk's system calls (a login
    /// opens state_dir every time): `absolute` and each directory on the
    /// way exist and none is a link. Each ancestor is checked with one
    /// `lstat` by path, from `/` down, so every name is looked up in a
    /// directory already found to be changeable by root (or us) alone, or
    /// sticky, where others cannot replace what is not theirs; the path
    /// therefore resolves to what was checked when the directory itself is
    /// opened (`O_NOFOLLOW`) and checked through its descriptor. Anything
    /// else (a link, a missing directory, `..`, a failed check) is `None`,
    /// for [`TrustedDir::open`]'s walk to follow or refuse with its reasons.
    fn open_existing(absolute: &Path) -> Option<TrustedDir> {
        let mut at = PathBuf::from("/");
        for component in absolute.components().skip(1) {
            let Component::Normal(name) = component else { return None };
            check_dir(&lstat(at.as_path()).ok()?, &at, false).ok()?;
            at.push(name);
        }
        let fd = nix::fcntl::open(&at, DIR_FLAGS, Mode::empty()).ok()?;
        let stat = fstat(&fd).ok()?;
        check_dir(&stat, &at, true).ok()?;
        Some(TrustedDir { fd, path: at, identity: identity(&stat) })
    }

    /// The path it was opened as.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the descriptor held is still this directory, and it still
    /// passes the checks (one `fstat`). A host process may close
    /// descriptors it did not open (`closefrom` after a fork) and reuse
    /// their numbers; a directory kept from one call to the next is asked
    /// this before it is used again.
    pub fn still_held(&self) -> bool {
        self.stat_if_its_own().is_some_and(|stat| check_dir(&stat, &self.path, true).is_ok())
    }

    /// Closes the descriptor if it is still this directory (one `fstat`);
    /// else lets it go unclosed, as its number may now be a file of the
    /// host's.
    pub fn close_if_its_own(self) {
        if self.stat_if_its_own().is_none() {
            std::mem::forget(self.fd);
        }
    }

    /// The descriptor's `fstat`, when it is still this directory.
    fn stat_if_its_own(&self) -> Option<FileStat> {
        fstat(&self.fd).ok().filter(|stat| identity(stat) == self.identity)
    }

    /// The descriptor itself, for tests that make it something else.
    #[cfg(test)]
    pub(crate) fn fd_mut(&mut self) -> &mut OwnedFd {
        &mut self.fd
    }

    /// Whether its path still leads to it (one `lstat`): not removed,
    /// renamed or replaced since it was opened.
    pub fn still_at_path(&self) -> bool {
        lstat(self.path.as_path()).is_ok_and(|stat| identity(&stat) == self.identity)
    }

    /// A subdirectory, checked as its parent was; made with `create` when missing.
    pub fn subdir(&self, name: &str, create: Option<u32>) -> Result<TrustedDir, DirError> {
        let path = self.path.join(name);
        let io_err = |e: io::Error| DirError::Io { path: path.clone(), source: e };
        check_name(name).map_err(io_err)?;
        let open = || openat(&self.fd, name, DIR_FLAGS, Mode::empty());
        let fd = match (open(), create) {
            (Ok(fd), _) => fd,
            (Err(Errno::ENOENT), Some(mode)) => {
                match mkdirat(&self.fd, name, Mode::from_bits_truncate(mode)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(io_err(errno(e))),
                }
                let fd = open().map_err(|e| io_err(errno(e)))?;
                fchmod(&fd, Mode::from_bits_truncate(mode)).map_err(|e| io_err(errno(e)))?;
                fd
            }
            (Err(Errno::ELOOP), _) => return Err(DirError::UntrustedLink { path: path.clone(), uid: self.link_owner(name) }),
            (Err(e), _) => return Err(io_err(errno(e))),
        };
        let stat = fstat(&fd).map_err(|e| io_err(errno(e)))?;
        check_dir(&stat, &path, true)?;
        Ok(TrustedDir { fd, path, identity: identity(&stat) })
    }

    fn link_owner(&self, name: &str) -> u32 {
        fstatat(&self.fd, name, AtFlags::AT_SYMLINK_NOFOLLOW).map(|s| s.st_uid).unwrap_or(u32::MAX)
    }

    /// Opens `name` for reading, never through a link; `None` when absent.
    pub fn open_read(&self, name: &str) -> io::Result<Option<File>> {
        check_name(name)?;
        match openat(&self.fd, name, OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty()) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(errno(e)),
        }
    }

    /// Reads all of `name`; `None` when absent.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(mut f) = self.open_read(name)? else { return Ok(None) };
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    /// Opens (creating with `mode`) a small record file for reading and
    /// writing in place, never through a link; an existing file of another
    /// mode (an older install's 0644) is set to `mode`.
    pub fn open_record(&self, name: &str, mode: u32) -> io::Result<File> {
        self.open_record_identified(name, mode).map(|(file, _)| file)
    }

    /// As [`TrustedDir::open_record`], with the file's device and inode,
    /// for a caller that keeps it open and later asks whether the
    /// descriptor is still that file.
    pub fn open_record_identified(&self, name: &str, mode: u32) -> io::Result<(File, (u64, u64))> {
        check_name(name)?;
        let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&self.fd, name, flags, Mode::from_bits_truncate(mode)).map_err(errno)?;
        let stat = fstat(&fd).map_err(errno)?;
        if stat.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFREG.bits() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a regular file", self.path.join(name).display())));
        }
        if stat.st_mode & 0o7777 != mode {
            fchmod(&fd, Mode::from_bits_truncate(mode)).map_err(errno)?;
        }
        Ok((File::from(fd), identity(&stat)))
    }

    /// Writes `bytes` as `name` (mode `mode`): to an `O_EXCL` temporary
    /// file of unguessable name, then renamed over `name`, so readers see
    /// the old file or the new one. `durable`: flushed to disk (file and
    /// directory) before this returns.
    pub fn write(&self, name: &str, bytes: &[u8], mode: u32, durable: bool) -> io::Result<()> {
        check_name(name)?;
        let tmp = format!(".{name}.{:016x}.tmp", u64::from_le_bytes(crate::random::bytes()));
        let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&self.fd, tmp.as_str(), flags, Mode::from_bits_truncate(mode)).map_err(errno)?;
        let written = (|| -> io::Result<()> {
            fchmod(&fd, Mode::from_bits_truncate(mode)).map_err(errno)?;
            let mut f = File::from(fd);
            f.write_all(bytes)?;
            if durable {
                f.sync_all()?;
            }
            renameat(&self.fd, tmp.as_str(), &self.fd, name).map_err(errno)?;
            if durable {
                nix::unistd::fsync(&self.fd).map_err(errno)?;
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = unlinkat(&self.fd, tmp.as_str(), UnlinkatFlags::NoRemoveDir);
        }
        written
    }

    /// Removes `name` (never what a link points at); absent is fine.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        match unlinkat(&self.fd, name, UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => Ok(()),
            Err(e) => Err(errno(e)),
        }
    }

    /// Renames `from` to `to` in this directory (a link is renamed, not followed).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(from)?;
        check_name(to)?;
        renameat(&self.fd, from, &self.fd, to).map_err(errno)
    }

    /// Whether `name` exists (a link counts, and is not followed).
    pub fn exists(&self, name: &str) -> bool {
        check_name(name).is_ok() && fstatat(&self.fd, name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok()
    }

    /// The names in the directory (not `.`/`..`), unsorted.
    pub fn names(&self) -> io::Result<Vec<String>> {
        let fd = openat(&self.fd, ".", DIR_FLAGS, Mode::empty()).map_err(errno)?;
        let mut dir = nix::dir::Dir::from_fd(fd).map_err(errno)?;
        let mut out = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(errno)?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name != "." && name != ".." {
                out.push(name.to_string_lossy().into_owned());
            }
        }
        Ok(out)
    }

    /// The directory's own status (its mtime tells whether entries changed).
    pub fn stat(&self) -> io::Result<FileStat> {
        fstat(&self.fd).map_err(errno)
    }

    /// The status of `name`, not following a link.
    pub fn stat_entry(&self, name: &str) -> io::Result<FileStat> {
        check_name(name)?;
        fstatat(&self.fd, name, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(errno)
    }

    /// The directory's descriptor (for callers that lock or sync it).
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The normal components of a path (`.` dropped, `..` kept: it is walked
/// like any name, so it cannot step around a check).
fn components(path: &Path) -> Vec<PathBuf> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(PathBuf::from(n)),
            Component::ParentDir => Some(PathBuf::from("..")),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn private_tempdir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }

    /// Missing directories are made with the mode asked; files are written
    /// atomically with their mode, read back and removed.
    #[test]
    fn creates_writes_reads_removes() {
        let base = private_tempdir();
        let dir = TrustedDir::open(&base.path().join("a/b"), Some(0o700)).unwrap();
        assert_eq!(std::fs::metadata(base.path().join("a/b")).unwrap().permissions().mode() & 0o7777, 0o700);
        dir.write("rec", b"one", 0o600, true).unwrap();
        dir.write("rec", b"two", 0o600, false).unwrap();
        assert_eq!(dir.read("rec").unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(std::fs::metadata(base.path().join("a/b/rec")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(dir.names().unwrap(), vec!["rec".to_string()], "no temporary file is left");
        dir.remove("rec").unwrap();
        dir.remove("rec").unwrap();
        assert_eq!(dir.read("rec").unwrap(), None);
        assert!(dir.write("../x", b"", 0o600, false).is_err());
        let sub = dir.subdir("control", Some(0o700)).unwrap();
        sub.write("c", b"x", 0o600, false).unwrap();
        assert!(base.path().join("a/b/control/c").exists());
    }

    /// A directory writable by others, or a file that is a link, is refused.
    #[test]
    fn refuses_writable_dirs_and_links() {
        let base = private_tempdir();
        let open = base.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(TrustedDir::open(&open, None), Err(DirError::Writable { .. })));
        assert!(matches!(TrustedDir::open(&open.join("below"), Some(0o700)), Err(DirError::Writable { .. })));
        // Sticky and world-writable is fine as an ancestor (like /tmp), not as the directory itself.
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(TrustedDir::open(&open.join("below"), Some(0o700)).is_ok());
        assert!(matches!(TrustedDir::open(&open, None), Err(DirError::Writable { .. })));

        let dir = TrustedDir::open(&base.path().join("d"), Some(0o700)).unwrap();
        let target = base.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        symlink(&target, base.path().join("d/link")).unwrap();
        assert!(dir.read("link").is_err(), "reading through a link");
        assert!(dir.open_record("link", 0o600).is_err(), "opening a record through a link");
        dir.write("link", b"new", 0o600, false).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep", "the link was replaced, not followed");
    }

    /// A link owned by root in a trusted directory is followed (as /var/run -> /run).
    #[test]
    fn follows_trusted_links() {
        let base = private_tempdir();
        std::fs::create_dir(base.path().join("real")).unwrap();
        std::fs::set_permissions(base.path().join("real"), std::fs::Permissions::from_mode(0o755)).unwrap();
        symlink("real", base.path().join("alias")).unwrap();
        let dir = TrustedDir::open(&base.path().join("alias/sub"), Some(0o700)).unwrap();
        dir.write("f", b"x", 0o600, false).unwrap();
        assert!(base.path().join("real/sub/f").exists());
    }
}
