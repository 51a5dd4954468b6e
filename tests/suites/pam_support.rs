//! Driving PAM modules for the suites: service files (in a private confdir
//! for the in-process driver, and in /etc/pam.d for pamtester and sshd),
//! the two modules under comparison, and a scripted conversation.

#![allow(dead_code)]

use radius_ffi::pam::app::Transaction;
use radius_ffi::pam::{Item, PamResult, Style};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::rc::Rc;
use std::io::Write;

/// Which module a service file loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    /// Ours, from this build.
    Ours,
    /// Debian's pam_radius_auth.so (libpam-radius-auth).
    Reference,
}

impl Module {
    /// The module's path for a service file.
    pub fn path(self) -> PathBuf {
        match self {
            Module::Ours => our_module(),
            Module::Reference => reference_module(),
        }
    }
}

/// target/<profile>/libpam_radius_rs.so of this build.
pub fn our_module() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let so = profile_dir.join("libpam_radius_rs.so");
    assert!(
        so.exists(),
        "{} is missing: build the module first (`cargo build -p pam_radius_rs`; scripts/test.sh does)",
        so.display()
    );
    so
}

/// Debian's pam_radius_auth.so.
pub fn reference_module() -> PathBuf {
    for dir in ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security", "/lib/security", "/usr/lib/security"] {
        let p = Path::new(dir).join("pam_radius_auth.so");
        if p.exists() {
            return p;
        }
    }
    panic!("pam_radius_auth.so not found: apt-get install libpam-radius-auth (scripts/setup.sh does)");
}

/// A PAM service: a file in a private confdir (in-process driver) and the
/// same file in /etc/pam.d (pamtester, sshd), removed on drop.
pub struct PamService {
    pub name: String,
    confdir: tempfile::TempDir,
    etc_file: PathBuf,
}

impl PamService {
    /// A service whose file is `text`.
    pub fn new(text: &str) -> PamService {
        let confdir = tempfile::tempdir().expect("confdir");
        // libpam lowercases service names.
        let name = format!("radius-rs-test-{}", confdir.path().file_name().unwrap().to_string_lossy().trim_start_matches('.')).to_lowercase();
        std::fs::write(confdir.path().join(&name), text).expect("write service");
        let etc_file = Path::new("/etc/pam.d").join(&name);
        std::fs::write(&etc_file, text).expect("write /etc/pam.d service (the suites run as root)");
        PamService { name, confdir, etc_file }
    }

    /// A service with one module for the four stages: `auth`, `account`,
    /// `session` and `password` lines with `args`.
    pub fn single(module: Module, args: &str) -> PamService {
        let m = module.path();
        let m = m.display();
        PamService::new(&format!(
            "auth required {m} {args}\naccount required {m} {args}\nsession required {m} {args}\npassword required {m} {args}\n"
        ))
    }

    pub fn confdir(&self) -> &Path {
        self.confdir.path()
    }

    /// Starts an in-process transaction for `user`; prompts are answered
    /// from `answers` in order.
    pub fn start(&self, user: &str, answers: &[&str]) -> Driver {
        Driver::start(self, user, answers)
    }

    /// Runs pamtester with `operations`, feeding `stdin`.
    pub fn pamtester(&self, user: &str, stdin: &str, operations: &[&str], extra: &[&str]) -> Output {
        self.pamtester_bytes(user, stdin.as_bytes(), operations, extra)
    }

    /// As [`PamService::pamtester`], with bytes that need not be UTF-8.
    pub fn pamtester_bytes(&self, user: &str, stdin: &[u8], operations: &[&str], extra: &[&str]) -> Output {
        let mut command = Command::new("pamtester");
        command.arg("-v").args(extra).arg(&self.name).arg(user).args(operations);
        run_with_bytes(&mut command, stdin)
    }
}

impl Drop for PamService {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.etc_file);
    }
}

/// Runs `command` with `input` on its stdin; its output, both streams.
pub fn run_with_input(command: &mut Command, input: &str) -> Output {
    run_with_bytes(command, input.as_bytes())
}

/// As [`run_with_input`], with bytes.
pub fn run_with_bytes(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (scripts/setup.sh installs the tools)"));
    // A child that exits before reading (a module refusing before the
    // password prompt) closes the pipe first: that is not a failure here.
    match child.stdin.take().unwrap().write_all(input) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("{command:?}: writing its stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().expect("output")
}

/// One in-process PAM transaction with a scripted conversation.
pub struct Driver {
    pub tx: Transaction,
    /// Every message the modules showed, with its style.
    pub prompts: Rc<RefCell<Vec<(Style, String)>>>,
}

impl Driver {
    fn start(service: &PamService, user: &str, answers: &[&str]) -> Driver {
        let prompts = Rc::new(RefCell::new(Vec::new()));
        let seen = prompts.clone();
        let mut answers: Vec<String> = answers.iter().rev().map(|s| s.to_string()).collect();
        let answerer = Box::new(move |style: Style, text: &str| {
            seen.borrow_mut().push((style, text.to_string()));
            if style.is_prompt() { answers.pop().map(String::into_bytes) } else { None }
        });
        let tx = Transaction::start(&service.name, user, Some(service.confdir()), answerer).expect("pam_start");
        Driver { tx, prompts }
    }

    pub fn rhost(mut self, host: &str) -> Driver {
        assert_eq!(self.tx.set_item(Item::RemoteHost, host), Ok(()));
        self
    }

    pub fn authenticate(&mut self) -> PamResult<()> {
        self.tx.authenticate(0)
    }

    pub fn prompt_texts(&self) -> Vec<String> {
        self.prompts.borrow().iter().map(|(_, t)| t.clone()).collect()
    }
}

/// A config file in the TOML format pointing at the test bed's modern
/// server (`extra` appended), in its own directory.
pub struct ConfFile {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl ConfFile {
    pub fn write(name: &str, text: &str) -> ConfFile {
        ConfFile::write_in(tempfile::tempdir().expect("tempdir"), name, text)
    }

    /// Writes `text` as `dir/name`, mode 600 (as an admin would).
    fn write_in(dir: tempfile::TempDir, name: &str, text: &str) -> ConfFile {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write conf");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        ConfFile { dir, path }
    }

    /// Our TOML: `servers` as `(address, auth, acct)` and `extra` tables,
    /// with a 1 s timeout (the suites' servers are local and quick).
    pub fn toml(servers: &[(&str, u16, u16)], extra: &str) -> ConfFile {
        ConfFile::toml_with("timeout = \"1s\"\n", servers, extra)
    }

    /// As [`ConfFile::toml`] with every timing left at its default.
    pub fn toml_defaults(servers: &[(&str, u16, u16)]) -> ConfFile {
        ConfFile::toml_with("", servers, "")
    }

    /// A TOML configuration with `client` settings in `[client]`.
    pub fn toml_with(client: &str, servers: &[(&str, u16, u16)], extra: &str) -> ConfFile {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = format!("[client]\nstate_dir = \"{}\"\n{client}", dir.path().join("state").display());
        for (address, auth, acct) in servers {
            text += &format!(
                "[[server]]\naddress = \"{address}\"\nsecret = \"{}\"\nauth_port = {auth}\nacct_port = {acct}\n",
                radius_testbed::SECRET
            );
        }
        text += extra;
        if !extra.contains("[accounting]") {
            // Each test its own spool, beside its state.
            text += &format!("\n[accounting]\nspool_dir = \"{}\"\n", dir.path().join("spool").display());
        }
        ConfFile::write_in(dir, "radius.toml", &text)
    }

    /// A pam_radius_auth.conf: one `host:port secret timeout` line each.
    pub fn legacy(servers: &[(&str, u16)], timeout_secs: u32) -> ConfFile {
        let text: String = servers
            .iter()
            .map(|(host, port)| format!("{host}:{port}\t{}\t{timeout_secs}\n", radius_testbed::SECRET))
            .collect();
        ConfFile::write("pam_radius_auth.conf", &format!("# server[:port] secret [timeout]\n{text}"))
    }

    pub fn arg(&self) -> String {
        format!("conf={}", self.path.display())
    }
}
