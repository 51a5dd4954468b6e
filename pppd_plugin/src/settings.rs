//! The plugin's configuration: the file named by `radius-rs-config` (or
//! /etc/radius_rs/radius.toml), or radius.so's radiusclient.conf named by
//! `radius-config-file` (or its default, when radius_rs has no file of
//! its own), and the `radius-rs-avpair` / `avpair` options.

use radius_core::config::{Config, DEFAULT_PATH};
use radius_core::dictionary;
use radius_core::packet::AttributeList;

/// What the plugin runs with.
#[derive(Debug)]
pub struct Settings {
    /// The configuration.
    pub config: Config,
    /// Attributes added to every request.
    pub avpairs: AttributeList,
    /// The same, as the options gave them (`NAME=VALUE`), for the session record.
    pub avpair_words: Vec<String>,
}

/// radius.so's default `radius-config-file`.
pub const RADIUSCLIENT_DEFAULT: &str = "/etc/radiusclient/radiusclient.conf";

/// Which file the options choose: `radius-rs-config`, else radius.so's
/// `radius-config-file`, else ours if it exists, else radius.so's default
/// if that exists (a drop-in for `plugin radius.so`), else ours (whose
/// absence is then the error).
pub fn choose(ours: Option<String>, radiusclient: Option<String>, exists: impl Fn(&str) -> bool) -> String {
    match (ours, radiusclient) {
        (Some(p), _) => p,
        (None, Some(rc)) => rc,
        (None, None) if !exists(DEFAULT_PATH) && exists(RADIUSCLIENT_DEFAULT) => RADIUSCLIENT_DEFAULT.to_string(),
        (None, None) => DEFAULT_PATH.to_string(),
    }
}

/// Loads the configuration and parses the avpairs; any error names the
/// file or the option, and nobody is authenticated with a broken setup.
/// A radiusclient.conf is recognised by its content, wherever it is.
pub fn load(path: String, avpairs_given: &[String]) -> Result<Settings, String> {
    let config = Config::load(&path).map_err(|e| e.to_string())?;
    let avpairs = avpairs_given
        .iter()
        .map(|a| dictionary::parse_avpair(a).map_err(|e| format!("radius-rs-avpair {e}")))
        .collect::<Result<AttributeList, _>>()?;
    Ok(Settings { config, avpairs, avpair_words: avpairs_given.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_setups_are_errors_naming_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("radius.toml");
        std::fs::write(&f, "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n[ppp]\norder = []\n").unwrap();
        let e = load(f.display().to_string(), &[]).unwrap_err();
        assert!(e.contains("ppp.order"), "{e}");
        std::fs::write(&f, "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n").unwrap();
        let e = load(f.display().to_string(), &["Bogus=1".into()]).unwrap_err();
        assert!(e.contains("radius-rs-avpair") && e.contains("Bogus"), "{e}");
        let ok = load(f.display().to_string(), &["NAS-Identifier=bras".into()]).unwrap();
        assert_eq!(ok.avpairs.get(32), Some(&b"bras"[..]));
        assert!(load("/nonexistent.toml".into(), &[]).unwrap_err().contains("/nonexistent.toml"));
    }

    /// radius.so's option and default file stand in when radius_rs has no file of its own.
    #[test]
    fn radius_so_files_are_a_drop_in() {
        let none = |_: &str| false;
        let only_rc = |p: &str| p == RADIUSCLIENT_DEFAULT;
        let both = |_: &str| true;
        assert_eq!(choose(Some("/a.toml".into()), Some("/rc.conf".into()), none), "/a.toml");
        assert_eq!(choose(None, Some("/rc.conf".into()), none), "/rc.conf");
        assert_eq!(choose(None, None, only_rc), RADIUSCLIENT_DEFAULT);
        assert_eq!(choose(None, None, both), DEFAULT_PATH);
        assert_eq!(choose(None, None, none), DEFAULT_PATH);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("servers"), "127.0.0.1 0123456789abcdef
").unwrap();
        let rc = dir.path().join("radiusclient.conf");
        std::fs::write(&rc, format!("authserver 127.0.0.1:1812
acctserver 127.0.0.1:1813
servers {d}/servers
dictionary {d}/dictionary
radius_timeout 3
radius_retries 2
")).unwrap();
        let s = load(rc.display().to_string(), &["NAS-Identifier=dropin".into()]).unwrap();
        assert_eq!(s.config.servers.len(), 1);
        assert_eq!(s.config.client.retries, 1);
        assert_eq!(s.avpairs.get(32), Some(&b"dropin"[..]));
    }
}
