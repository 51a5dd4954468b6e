//! pppd's secrets files (`/etc/ppp/pap-secrets`, `/etc/ppp/chap-secrets`),
//! read the way pppd reads them, so the plugin can tell whether a peer has
//! a local record (and, for CHAP, check the response against it).
//!
//! Each entry is `client server secret [address ...] [-- option ...]` on one
//! line. Words follow pppd's `getword` rules: `#` at the start of a word
//! comments out the rest of the line; `"…"` and `'…'` quote; a backslash
//! escapes (`\n \r \t \s` (space), `\\`, octal `\NNN`, hex `\xHH`) or, before
//! a newline, continues the line. A secret `@/path` is the first line of
//! that file. `*` (or an empty word) as client or server matches any name.

use radius_core::secret::Secret;
use radius_core::sources::Sources;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// One line of a secrets file.
#[derive(Debug, Clone)]
pub struct SecretEntry {
    /// The peer's name (`*`: anyone).
    pub client: String,
    /// Our name (`*`: any).
    pub server: String,
    /// The secret (already read from `@file`).
    pub secret: Secret,
    /// Addresses the peer may use (`*`: any; empty: pppd's default).
    pub addresses: Vec<String>,
    /// 1-based line where the entry starts.
    pub line: usize,
}

/// Why a secrets file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An `@file` secret could not be read.
    #[error("{path}:{line}: cannot read the secret file {file}: {source}")]
    SecretFile {
        /// The secrets file.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// The `@` file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn is_wild(word: &str) -> bool {
    word.is_empty() || word == "*"
}

/// A word (wiped when dropped or reused: it may be a secret) and the line
/// it started on.
type Word = (Zeroizing<String>, usize);

/// Reads a secrets file entry by entry (the words up to an end of line
/// outside quotes), reusing its word buffers: a lookup in a file of 50,000
/// lines allocates for a handful of words, not for every one.
struct Words<'t> {
    chars: std::str::Chars<'t>,
    line: usize,
    pool: Vec<Word>,
    /// Words finished in the current entry.
    len: usize,
    /// A word is in progress (`pool[len]`).
    open: bool,
}

impl<'t> Words<'t> {
    fn new(text: &'t str) -> Self {
        Words { chars: text.chars(), line: 1, pool: Vec::new(), len: 0, open: false }
    }

    /// Goes on reading at `text`, which starts on line `line`.
    fn restart(&mut self, text: &'t str, line: usize) {
        self.chars = text.chars();
        self.line = line;
    }

    /// What is not read yet.
    fn rest(&self) -> &'t str {
        self.chars.as_str()
    }

    fn peek(&self) -> Option<char> {
        self.chars.clone().next()
    }

    /// `start` followed by up to two more digits of `radix` (`\xHH`, `\NNN`).
    fn digits(&mut self, radix: u32, start: u32) -> u32 {
        let mut v = start;
        for _ in 0..2 {
            match self.peek().and_then(|d| d.to_digit(radix)) {
                Some(d) => {
                    v = v * radix + d;
                    self.chars.next();
                }
                None => break,
            }
        }
        v
    }

    /// The word in progress, begun (wiped clean) if none is.
    fn word(&mut self) -> &mut String {
        if !self.open {
            if self.pool.len() == self.len {
                self.pool.push((Zeroizing::new(String::new()), 0));
            }
            let w = &mut self.pool[self.len];
            w.0.zeroize();
            w.1 = self.line;
            self.open = true;
        }
        &mut self.pool[self.len].0
    }

    fn finish(&mut self) {
        if self.open {
            self.open = false;
            self.len += 1;
        }
    }

    /// The next entry's words (possibly none, for a blank or comment line);
    /// None at the end of the text.
    fn next_entry(&mut self) -> Option<&[Word]> {
        self.len = 0;
        self.open = false;
        let mut quote: Option<char> = None;
        let mut consumed = false;
        while let Some(c) = self.chars.next() {
            consumed = true;
            match c {
                '\\' => {
                    self.word();
                    match self.chars.next() {
                        Some('\n') => {
                            self.line += 1;
                            if self.pool[self.len].0.is_empty() && quote.is_none() {
                                self.open = false;
                            }
                        }
                        Some('n') => self.word().push('\n'),
                        Some('r') => self.word().push('\r'),
                        Some('t') => self.word().push('\t'),
                        Some('s') => self.word().push(' '),
                        Some('x') => {
                            let v = self.digits(16, 0);
                            self.word().push(char::from_u32(v).unwrap_or('?'));
                        }
                        Some(d @ '0'..='7') => {
                            let v = self.digits(8, d.to_digit(8).unwrap_or(0));
                            self.word().push(char::from_u32(v).unwrap_or('?'));
                        }
                        Some(other) => self.word().push(other),
                        None => {}
                    }
                }
                q @ ('"' | '\'') if quote.is_none() => {
                    quote = Some(q);
                    self.word();
                }
                q if Some(q) == quote => quote = None,
                '\n' if quote.is_none() => {
                    self.finish();
                    self.line += 1;
                    return Some(&self.pool[..self.len]);
                }
                '#' if quote.is_none() && !self.open => {
                    for c in self.chars.by_ref() {
                        if c == '\n' {
                            self.line += 1;
                            break;
                        }
                    }
                    return Some(&self.pool[..self.len]);
                }
                c if c.is_whitespace() && quote.is_none() => self.finish(),
                c => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    self.word().push(c);
                }
            }
        }
        self.finish();
        consumed.then_some(&self.pool[..self.len])
    }
}

/// Parses the text of a secrets file; `path` names it in errors, and
/// `@file` secrets are read relative to the current directory as pppd does.
pub fn parse(text: &str, path: &Path) -> Result<Vec<SecretEntry>, SecretsError> {
    parse_with(text, path, &radius_core::sources::System)
}

/// As [`parse`], reading `@file` secrets through `sources`.
pub fn parse_with(text: &str, path: &Path, sources: &dyn Sources) -> Result<Vec<SecretEntry>, SecretsError> {
    let mut entries = Vec::new();
    let mut words = Words::new(text);
    while let Some(w) = words.next_entry() {
        entries.extend(entry(w, path, sources)?);
    }
    Ok(entries)
}

/// The entry of one line's words (None: fewer than three words).
fn entry(words: &[Word], path: &Path, sources: &dyn Sources) -> Result<Option<SecretEntry>, SecretsError> {
    let [client, server, secret, rest @ ..] = words else { return Ok(None) };
    let line = client.1;
    let secret = match secret.0.strip_prefix('@') {
        Some(file) if !file.is_empty() => {
            let file = PathBuf::from(file);
            let text = sources.read(&file).map_err(|source| SecretsError::SecretFile { path: path.to_path_buf(), line, file: file.clone(), source })?;
            Secret::new(text.lines().next().unwrap_or("").as_bytes().to_vec())
        }
        _ => Secret::new(secret.0.as_bytes().to_vec()),
    };
    let addresses = rest.iter().map(|w| w.0.to_string()).take_while(|w| w != "--").collect();
    Ok(Some(SecretEntry { client: client.0.to_string(), server: server.0.to_string(), secret, addresses, line }))
}

/// Reads the line at the start of `text` in one pass over its bytes: where
/// it ends (after its newline, or at the end of the text), and whether the
/// entry it starts ends there, as [`Words`] reads it: no quote left open
/// and no backslash before the newline. Decided on bytes, erring towards
/// false (then the line is read word by word).
fn scan_line(text: &[u8]) -> (usize, bool) {
    let (mut quote, mut escape, mut in_word) = (None::<u8>, false, false);
    for (i, &b) in text.iter().enumerate() {
        if escape {
            if b == b'\n' {
                return (i + 1, false);
            }
            escape = false;
            continue;
        }
        match b {
            b'\\' => (escape, in_word) = (true, true),
            b'"' | b'\'' if quote.is_none() => (quote, in_word) = (Some(b), true),
            b if Some(b) == quote => quote = None,
            b'#' if quote.is_none() && !in_word => {
                // A comment: the entry ends here; only its line's end is wanted.
                let end = text[i..].iter().position(|&c| c == b'\n').map_or(text.len(), |p| i + p + 1);
                return (end, true);
            }
            b'\n' => return (i + 1, quote.is_none()),
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c if quote.is_none() => in_word = false,
            _ => in_word = true,
        }
    }
    (text.len(), true)
}

/// What [`find_user`] finds in the parsed text, found in one pass that
/// builds (and reads the `@file` of) only the entries naming `user`. A line
/// whose entry ends on it and whose first word is plainly not `user` is
/// passed over without being read word by word.
pub fn find_user_in(text: &str, path: &Path, user: &str, our_name: &str, sources: &dyn Sources) -> Result<Option<SecretEntry>, SecretsError> {
    let mut best = None;
    let mut words = Words::new(text);
    let (mut rest, mut line) = (text, 1);
    while !rest.is_empty() {
        let (end, ends_here) = scan_line(rest.as_bytes());
        let this = &rest[..end];
        let first = this.split(char::is_whitespace).find(|w| !w.is_empty());
        let plainly_other = first.is_none_or(|w| w.starts_with('#') || (!w.contains(['\\', '"', '\'']) && w != user));
        if plainly_other && ends_here {
            rest = &rest[end..];
            line += 1;
            continue;
        }
        words.restart(rest, line);
        let Some(w) = words.next_entry() else { break };
        if w.len() >= 3 && w[0].0.as_str() == user {
            let server = w[1].0.as_str();
            if server == our_name && !our_name.is_empty() {
                return entry(w, path, sources);
            }
            if best.is_none() && (is_wild(server) || our_name.is_empty()) {
                best = entry(w, path, sources)?;
            }
        }
        (rest, line) = (words.rest(), words.line);
    }
    Ok(best)
}

/// The record of `user` for server `our_name` in the secrets file at
/// `path` ([`find_user`]'s rules); a missing file holds none. The file's
/// text is wiped after.
pub fn lookup(path: &Path, user: &str, our_name: &str) -> Result<Option<SecretEntry>, SecretsError> {
    match read_wiped(path) {
        Ok(text) => find_user_in(&text, path, user, our_name, &radius_core::sources::System),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretsError::Read { path: path.to_path_buf(), source }),
    }
}

/// Reads and parses a secrets file; a missing file holds no entries. The
/// file's text (every local user's secret) is wiped after.
pub fn load(path: &Path) -> Result<Vec<SecretEntry>, SecretsError> {
    match read_wiped(path) {
        Ok(text) => parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(SecretsError::Read { path: path.to_path_buf(), source }),
    }
}

fn read_wiped(path: &Path) -> std::io::Result<Zeroizing<String>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Sized once, so no reallocation leaves a copy behind.
    let mut text = Zeroizing::new(String::with_capacity(usize::try_from(size).unwrap_or(0) + 1));
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// The entry naming `user` itself (not a `*` line) for server `our_name`,
/// preferring one naming `our_name` over a `*` server, then the first.
/// This is what "the user has a local record" means: a wildcard client
/// line does not keep a named user from RADIUS.
pub fn find_user<'a>(entries: &'a [SecretEntry], user: &str, our_name: &str) -> Option<&'a SecretEntry> {
    let named = entries.iter().filter(|e| e.client == user);
    let mut best = None;
    for e in named {
        if e.server == our_name && !our_name.is_empty() {
            return Some(e);
        }
        if is_wild(&e.server) || our_name.is_empty() {
            best = best.or(Some(e));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<SecretEntry> {
        parse(text, Path::new("chap-secrets")).unwrap()
    }

    /// Comments, quoting, escapes, continuation lines and addresses.
    #[test]
    fn reads_words_as_pppd_does() {
        let e = entries(
            "# client server secret addresses\n\
             alice * \"two words\" 10.0.0.7\n\
             'bob' srv b\\x41\\101\\s\\\\ * -- ms-dns 1.1.1.1\n\
             carol \\\n  * c #trailing comment\n\
             \n\
             incomplete *\n",
        );
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].client.as_str(), e[0].server.as_str(), e[0].secret.expose()), ("alice", "*", &b"two words"[..]));
        assert_eq!(e[0].addresses, vec!["10.0.0.7"]);
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].secret.expose(), b"bAA \\");
        assert_eq!(e[1].addresses, vec!["*"]);
        assert_eq!((e[2].client.as_str(), e[2].secret.expose()), ("carol", &b"c"[..]));
        assert!(e[2].addresses.is_empty());
    }

    /// `@file` secrets come from the file's first line; a missing one is an error naming both files.
    #[test]
    fn at_file_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s");
        std::fs::write(&f, "from-file\nignored\n").unwrap();
        let e = entries(&format!("dave * @{}\n", f.display()));
        assert_eq!(e[0].secret.expose(), b"from-file");
        let err = parse("eve * @/nonexistent/x\n", Path::new("pap-secrets")).unwrap_err().to_string();
        assert!(err.contains("pap-secrets:1") && err.contains("/nonexistent/x"), "{err}");
    }

    /// Named users only; a server naming us beats `*`; `*` clients are no record.
    #[test]
    fn finds_the_users_record() {
        let e = entries("* * anyone\nalice * generic\nalice nas1 specific\nbob other b\n");
        assert_eq!(find_user(&e, "alice", "nas1").unwrap().secret.expose(), b"specific");
        assert_eq!(find_user(&e, "alice", "nas2").unwrap().secret.expose(), b"generic");
        assert!(find_user(&e, "bob", "nas1").is_none());
        assert!(find_user(&e, "zed", "nas1").is_none());
        assert_eq!(find_user(&e, "bob", "").unwrap().secret.expose(), b"b");
    }

    #[test]
    fn a_missing_file_has_no_entries() {
        assert!(load(Path::new("/nonexistent/chap-secrets")).unwrap().is_empty());
        assert!(lookup(Path::new("/nonexistent/chap-secrets"), "alice", "nas1").unwrap().is_none());
    }

    /// The one-pass lookup finds what parsing everything and searching finds.
    #[test]
    fn lookup_agrees_with_parse_and_find() {
        let texts = [
            "* * anyone\nalice * generic\nalice nas1 specific\nbob other b\n",
            "# c\nalice \\\n  * \"two words\" 10.0.0.7 -- opt\n'alice' nas1 x\\x41 #c\nalice\n",
            "carol nas1 c1\ncarol nas1 c2\ncarol * c3",
            "dave * \"unterminated\n quote\" 1.2.3.4\n\\\n\n  eve \\\n * e\n",
            "bulk * \"a # b\" *\nalice * s\nbulk2 * x #\"\nalice nas1 t\n",
            "x *\u{2003}#\"\nalice * s\n\"\nbob * b\n",
            "bulk * 'open\nalice * hidden-in-quote' *\nalice * real\n",
            "bob * \"q\\\n\" b2\nalice nas1 \"#\" x\n#alice * c\n alice * 'it''s' #\"\nalice * last",
        ];
        for text in texts {
            let all = parse(text, Path::new("s")).unwrap();
            for user in ["alice", "bob", "carol", "dave", "eve", "zed", "*"] {
                for ours in ["nas1", "nas2", ""] {
                    let a = find_user(&all, user, ours).map(|e| (e.line, e.secret.expose().to_vec(), e.addresses.clone()));
                    let b = find_user_in(text, Path::new("s"), user, ours, &radius_core::sources::System).unwrap();
                    let b = b.map(|e| (e.line, e.secret.expose().to_vec(), e.addresses.clone()));
                    assert_eq!(a, b, "{user}@{ours} in {text:?}");
                }
            }
        }
    }
}

