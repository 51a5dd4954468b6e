//! The user registry as a store (`[registry] store`, default
//! `/var/lib/radius_rs/users`): one small file per user, named after the
//! user, in a root-owned directory that is checked and used the way
//! [`TrustedDir`] uses every shared directory (no link followed, owner and
//! mode checked, writes to a temporary file renamed into place).
//!
//! Why files and not an embedded database: a login's lookup is one
//! `openat` of a known name — the same cost with 100,000 users as with
//! one, from the page cache — and costs the PAM module and the pppd plugin
//! no code at all beyond what they already link; a reader never takes a
//! lock, so a writer (the CLI) can never hold a login up, and never sees a
//! half-written user, because a user file is replaced by `rename(2)`. The
//! cost is a sorted listing (`users list`) reading the directory, which
//! the CLI alone does.
//!
//! A user file is TOML: `policies = ["a", "b"]`, optionally
//! `bound_cidrs = ["10.0.0.0/8"]` — the `[users.NAME]` table's keys.

use ipnet::IpNet;
use radius_core::config::UserSection;
use radius_core::trusted_dir::{DirError, TrustedDir};
use std::io;
use std::path::{Path, PathBuf};

/// The store's default directory.
pub const DEFAULT_STORE: &str = "/var/lib/radius_rs/users";

/// Longest user name kept.
pub const MAX_NAME: usize = 128;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Not a name the store keeps.
    #[error("`{0}` is not a valid user name (1 to 128 of A-Z a-z 0-9 . _ - @ +, not starting with `.` or `-`)")]
    BadName(String),
    /// `show` / `delete` of nobody.
    #[error("no user `{0}` in the registry")]
    Unknown(String),
    /// `add` of somebody already there.
    #[error("user `{0}` is already in the registry (delete it first, or use --replace)")]
    Exists(String),
    /// A policy name that cannot be written or read back.
    #[error("`{0}` is not a valid policy name (1 to 128 of A-Z a-z 0-9 . _ - @ + :)")]
    BadPolicy(String),
    /// The directory is missing, untrusted or unreadable.
    #[error("the user store {}: {source}", path.display())]
    Dir {
        /// The store.
        path: PathBuf,
        /// Why.
        source: DirError,
    },
    /// A read or write failed.
    #[error("the user store {}: {what}: {source}", path.display())]
    Io {
        /// The store.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// A user file that does not parse.
    #[error("the user store {}: user `{name}`: {message}", path.display())]
    Corrupt {
        /// The store.
        path: PathBuf,
        /// Whose file.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A line of an import file.
    #[error("{}:{line}: {message}", file.display())]
    ImportLine {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+')
}

/// Whether the store keeps `name`: 1..=128 of `A-Za-z0-9._-@+`, not
/// starting with `.` (temporary files) or `-` (options).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && !name.starts_with(['.', '-']) && name.chars().all(name_char)
}

fn valid_policy(p: &str) -> bool {
    !p.is_empty() && p.len() <= MAX_NAME && p.chars().all(|c| name_char(c) || c == ':')
}

/// A user file's text (TOML, written by the toml crate).
pub fn render(user: &UserSection) -> String {
    let strings = |v: Vec<String>| toml::Value::Array(v.into_iter().map(toml::Value::String).collect());
    let mut table = toml::Table::new();
    table.insert("policies".into(), strings(user.policies.clone()));
    if !user.bound_cidrs.is_empty() {
        table.insert("bound_cidrs".into(), strings(user.bound_cidrs.iter().map(IpNet::to_string).collect()));
    }
    table.to_string()
}

/// The store at a directory; nothing is opened until it is used.
#[derive(Debug, Clone)]
pub struct UserStore {
    path: PathBuf,
}

impl UserStore {
    /// The store at `path`.
    pub fn new(path: impl Into<PathBuf>) -> UserStore {
        UserStore { path: path.into() }
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self, create: bool) -> Result<Option<TrustedDir>, StoreError> {
        match TrustedDir::open(&self.path, create.then_some(0o700)) {
            Ok(d) => Ok(Some(d)),
            Err(DirError::Io { source, .. }) if !create && source.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Dir { path: self.path.clone(), source }),
        }
    }

    fn io(&self, what: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError + '_ {
        let what = what.into();
        move |source| StoreError::Io { path: self.path.clone(), what, source }
    }

    /// The user `name`, if the store has him. A store directory that does
    /// not exist is an empty store; one that is not trustworthy is an error.
    pub fn get(&self, name: &str) -> Result<Option<UserSection>, StoreError> {
        if !valid_name(name) {
            // Nobody can have been stored under such a name.
            return Ok(None);
        }
        let Some(dir) = self.dir(false)? else { return Ok(None) };
        let Some(bytes) = dir.read(name).map_err(self.io(format!("reading user `{name}`")))? else { return Ok(None) };
        let corrupt = |message: String| StoreError::Corrupt { path: self.path.clone(), name: name.to_string(), message };
        let text = String::from_utf8(bytes).map_err(|_| corrupt("not UTF-8".into()))?;
        radius_core::config::read::user_file(&text).map(Some).map_err(|e| corrupt(e.message))
    }

    /// Stores `user` as `name`; `replace`: over an existing one.
    pub fn put(&self, name: &str, user: &UserSection, replace: bool) -> Result<(), StoreError> {
        self.check(name, user)?;
        let dir = self.dir(true)?.expect("created");
        if !replace && dir.exists(name) {
            return Err(StoreError::Exists(name.to_string()));
        }
        dir.write(name, render(user).as_bytes(), 0o600, true).map_err(self.io(format!("writing user `{name}`")))
    }

    fn check(&self, name: &str, user: &UserSection) -> Result<(), StoreError> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        if let Some(p) = user.policies.iter().find(|p| !valid_policy(p)) {
            return Err(StoreError::BadPolicy(p.clone()));
        }
        Ok(())
    }

    /// Removes `name`.
    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        let dir = self.dir(false)?.ok_or_else(|| StoreError::Unknown(name.to_string()))?;
        if !dir.exists(name) {
            return Err(StoreError::Unknown(name.to_string()));
        }
        dir.remove(name).map_err(self.io(format!("removing user `{name}`")))
    }

    /// User names in order, after `after`, at most `limit`.
    pub fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let Some(dir) = self.dir(false)? else { return Ok(Vec::new()) };
        let mut names: Vec<String> = dir.names().map_err(self.io("listing"))?.into_iter().filter(|n| valid_name(n)).collect();
        names.retain(|n| after.is_none_or(|a| n.as_str() > a));
        names.sort_unstable();
        names.truncate(limit);
        Ok(names)
    }

    /// Loads `NAME POLICY[,POLICY...]` lines (`#` comments, blank lines
    /// skipped): every line is checked before anything is written, so a bad
    /// file changes nothing; existing users are replaced. Returns how many
    /// were stored. The files are flushed once, at the end.
    pub fn import(&self, file: &Path, text: &str) -> Result<usize, StoreError> {
        let mut users = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| StoreError::ImportLine { file: file.to_path_buf(), line: i + 1, message };
            let mut words = line.split_whitespace();
            let (Some(name), policies, None) = (words.next(), words.next(), words.next()) else {
                return Err(bad("expected `NAME POLICY[,POLICY...]`".into()));
            };
            let user = UserSection {
                policies: policies.map(|p| p.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect()).unwrap_or_default(),
                bound_cidrs: Vec::new(),
            };
            self.check(name, &user).map_err(|e| bad(e.to_string()))?;
            if !seen.insert(name.to_string()) {
                return Err(bad(format!("user `{name}` is given twice")));
            }
            users.push((name.to_string(), user));
        }
        let dir = self.dir(true)?.expect("created");
        for (name, user) in &users {
            dir.write(name, render(user).as_bytes(), 0o600, false).map_err(self.io(format!("writing user `{name}`")))?;
        }
        nix::unistd::syncfs(dir.as_fd()).map_err(|e| StoreError::Io { path: self.path.clone(), what: "flushing".into(), source: e.into() })?;
        Ok(users.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, UserStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = UserStore::new(dir.path().join("users"));
        (dir, s)
    }

    fn user(policies: &[&str]) -> UserSection {
        UserSection { policies: policies.iter().map(|p| p.to_string()).collect(), bound_cidrs: Vec::new() }
    }

    #[test]
    fn add_show_delete_list() {
        let (_d, s) = store();
        assert!(s.get("alice").unwrap().is_none(), "a store not yet created is empty");
        assert!(s.list(None, 10).unwrap().is_empty());
        s.put("alice", &user(&["admin", "ops"]), false).unwrap();
        let mut bob = user(&["dev"]);
        bob.bound_cidrs = vec!["192.0.2.0/24".parse().unwrap()];
        s.put("bob", &bob, false).unwrap();
        assert_eq!(s.get("alice").unwrap().unwrap().policies, vec!["admin", "ops"]);
        assert_eq!(s.get("bob").unwrap().unwrap().bound_cidrs, bob.bound_cidrs);
        assert!(matches!(s.put("alice", &user(&["x"]), false), Err(StoreError::Exists(_))));
        s.put("alice", &user(&["x"]), true).unwrap();
        assert_eq!(s.get("alice").unwrap().unwrap().policies, vec!["x"]);
        assert_eq!(s.list(None, 10).unwrap(), vec!["alice", "bob"]);
        assert_eq!(s.list(Some("alice"), 10).unwrap(), vec!["bob"]);
        s.delete("alice").unwrap();
        assert!(matches!(s.delete("alice"), Err(StoreError::Unknown(_))));
        assert!(s.get("alice").unwrap().is_none());
        let mode = std::fs::metadata(s.path().join("bob")).unwrap();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777, 0o600);
    }

    #[test]
    fn bad_names_and_policies_are_refused() {
        let (_d, s) = store();
        for name in ["", ".hidden", "-rf", "a/b", "../etc", "sp ace", &"x".repeat(129)] {
            assert!(matches!(s.put(name, &user(&["p"]), false), Err(StoreError::BadName(_))), "{name:?}");
            assert!(s.get(name).unwrap().is_none());
        }
        assert!(matches!(s.put("carol", &user(&["bad\"quote"]), false), Err(StoreError::BadPolicy(_))));
        assert!(valid_name("first.last@example.org") && valid_name("u+tag_1-2"));
    }

    /// A planted link in place of a user file is not followed.
    #[test]
    fn a_link_is_not_followed() {
        let (d, s) = store();
        s.put("alice", &user(&["a"]), false).unwrap();
        let target = d.path().join("target");
        std::fs::write(&target, "policies = [\"root\"]\n").unwrap();
        std::os::unix::fs::symlink(&target, s.path().join("mallory")).unwrap();
        assert!(s.get("mallory").is_err(), "a link must not be read as a user");
    }

    #[test]
    fn import_checks_everything_first() {
        let (_d, s) = store();
        let f = Path::new("/tmp/users.txt");
        assert!(s.import(f, "alice admin,ops\nbad/name x\n").unwrap_err().to_string().starts_with("/tmp/users.txt:2:"));
        assert!(s.list(None, 10).unwrap().is_empty(), "a bad file changes nothing");
        let e = s.import(f, "alice a\nalice b\n").unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("twice"), "{e}");
        assert_eq!(s.import(f, "# name policies\nalice admin,ops\n\nbob\ncarol dev\n").unwrap(), 3);
        assert_eq!(s.get("bob").unwrap().unwrap().policies, Vec::<String>::new());
        assert_eq!(s.get("alice").unwrap().unwrap().policies, vec!["admin", "ops"]);
    }
}
