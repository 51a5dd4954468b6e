//! Shared helpers: a config file pointing at the test bed, a client.

#![allow(dead_code)]

use radius_core::log::StderrLog;
use radius_core::{Client, Config};
use std::path::{Path, PathBuf};

/// A written config and the temp dir holding it (and `state_dir`).
pub struct TestConfig {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestConfig {
    /// Writes `[client]` settings (state_dir added) and servers.
    pub fn new(client: &str, servers: &str) -> TestConfig {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("radius.toml");
        let text = format!(
            "[client]\nnas_identifier = \"test-nas\"\nstate_dir = \"{}\"\n{client}\n{servers}\n[accounting]\nspool_dir = \"{}\"\n",
            dir.path().join("state").display(),
            dir.path().join("spool").display()
        );
        std::fs::write(&path, text).expect("write config");
        TestConfig { dir, path }
    }

    pub fn config(&self) -> Config {
        Config::load(&self.path).expect("config loads")
    }

    pub fn client(&self) -> Client {
        Client::new(self.config(), Box::new(StderrLog { debug: true }))
    }
}

/// A binary of this build (target/<profile>/NAME).
pub fn our_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe.parent().and_then(Path::parent).expect("target/<profile>").join(name);
    assert!(bin.exists(), "{} is missing: `cargo build --workspace` first (scripts/test.sh does)", bin.display());
    bin
}

/// A `[[server]]` table.
pub fn server(address: &str, auth: u16, acct: u16, extra: &str) -> String {
    format!(
        "[[server]]\naddress = \"{address}\"\nsecret = \"{}\"\nauth_port = {auth}\nacct_port = {acct}\n{extra}\n",
        radius_testbed::SECRET
    )
}

/// A log that keeps every line, for asserting what was logged.
#[derive(Clone, Default)]
pub struct CapturedLog(pub std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl radius_core::log::Log for CapturedLog {
    fn log(&self, level: radius_core::log::Level, message: &str) {
        eprintln!("{level:?}: {message}");
        self.0.lock().unwrap().push(message.to_string());
    }
}

impl CapturedLog {
    pub fn contains(&self, needle: &str) -> bool {
        self.0.lock().unwrap().iter().any(|l| l.contains(needle))
    }
}
