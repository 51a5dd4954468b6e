//! The plugin's configuration: the file named by `radius-rs-config` (or
//! /etc/radius_rs/radius.toml) and the `radius-rs-avpair` options.

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

/// Loads the configuration and parses the avpairs; any error names the
/// file or the option, and nobody is authenticated with a broken setup.
pub fn load(path: Option<String>, avpairs_given: &[String]) -> Result<Settings, String> {
    let path = path.unwrap_or_else(|| DEFAULT_PATH.to_string());
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
        let e = load(Some(f.display().to_string()), &[]).unwrap_err();
        assert!(e.contains("ppp.order"), "{e}");
        std::fs::write(&f, "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n").unwrap();
        let e = load(Some(f.display().to_string()), &["Bogus=1".into()]).unwrap_err();
        assert!(e.contains("radius-rs-avpair") && e.contains("Bogus"), "{e}");
        let ok = load(Some(f.display().to_string()), &["NAS-Identifier=bras".into()]).unwrap();
        assert_eq!(ok.avpairs.get(32), Some(&b"bras"[..]));
        assert!(load(Some("/nonexistent.toml".into()), &[]).unwrap_err().contains("/nonexistent.toml"));
    }
}
