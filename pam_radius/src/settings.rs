//! The configuration for one transaction: the file named by `conf=` (TOML
//! or pam_radius_auth format) with the arguments that override it, read
//! once and kept with the PAM handle for the later stages.

use crate::args::Args;
use crate::stored::{self, Loaded};
use radius_core::config::{Config, ConfigError};
use radius_core::packet::AttributeList;
use radius_host::nas;
use radius_host::user_registry::Registry;
use radius_ffi::pam::PamHandler;
use std::sync::Arc;

/// Loads `conf=` and applies `retry=`, `ipv4=`/`ipv6=` and
/// `require_message_authenticator`. The configuration the process keeps
/// is shared as it is, and copied only when an argument changes it.
pub fn load(args: &Args) -> Result<Arc<Config>, ConfigError> {
    let mut config = Config::load_kept(&args.conf, args.families)?;
    if let Some(retries) = args.retry.filter(|r| *r != config.client.retries) {
        Arc::make_mut(&mut config).client.retries = retries;
    }
    if args.require_message_authenticator
        && (!config.client.require_message_authenticator || config.servers.iter().any(|s| !s.require_message_authenticator))
    {
        let config = Arc::make_mut(&mut config);
        config.client.require_message_authenticator = true;
        for server in &mut config.servers {
            server.require_message_authenticator = true;
        }
    }
    let families = args.families;
    if config.servers.iter().any(|s| !families.allows(s.ip)) {
        let config = Arc::make_mut(&mut config);
        config.servers.retain(|s| families.allows(s.ip));
        // Positions are the servers' names in replies and counters' messages: renumber what is left.
        for (index, server) in config.servers.iter_mut().enumerate() {
            server.index = index;
        }
        if config.servers.is_empty() {
            return Err(ConfigError::Invalid {
                path: config.path.clone(),
                line: None,
                key: "server".into(),
                message: "every server is of an address family disabled by ipv4=no / ipv6=no".into(),
            });
        }
    }
    Ok(config)
}

/// What the loaded configuration depends on: the arguments [`load`] and
/// `hostname=` read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadKey {
    conf: String,
    families: radius_core::config::Families,
    retry: Option<u32>,
    require_message_authenticator: bool,
    hostname: Option<String>,
}

impl LoadKey {
    fn of(args: &Args) -> LoadKey {
        LoadKey {
            conf: args.conf.clone(),
            families: args.families,
            retry: args.retry,
            require_message_authenticator: args.require_message_authenticator,
            hostname: args.hostname.clone(),
        }
    }
}

/// The transaction's configuration: the one an earlier stage loaded for
/// the same arguments, else `load`ed now (with `hostname=` resolved)
/// and kept for the next stages.
pub fn for_transaction<H: PamHandler>(
    handler: &mut H,
    args: &Args,
    load: &dyn Fn(&Args) -> Result<Arc<Config>, ConfigError>,
) -> Result<Loaded, ConfigError> {
    let key = LoadKey::of(args);
    if let Some(loaded) = handler.data::<Loaded>(stored::CONFIG).filter(|l| l.key == key) {
        return Ok(loaded.clone());
    }
    let config = load(args)?;
    // Only a named host is looked up; by default the core sends the
    // address each request goes out from.
    let nas_address = match &args.hostname {
        Some(name) => nas::hostname_attributes(&config, name, args.families),
        None => AttributeList::new(),
    };
    let registry = Arc::new(Registry::from_config(&config));
    let loaded = Loaded { key, config, nas_address, registry };
    // Not kept is not wrong: the next stage reads the file again.
    let _ = handler.set_data(stored::CONFIG, loaded.clone());
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Without an argument that changes it, a transaction gets the
    /// configuration the process keeps, itself; an argument that changes
    /// it changes a copy, never the kept one the next transaction gets.
    #[test]
    fn arguments_change_a_copy_not_the_kept_configuration() {
        let dir = std::env::temp_dir().join(format!("settings-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("radius.toml");
        let servers = "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n\
                       [[server]]\naddress = \"::1\"\nsecret = \"a-long-enough-secret\"\n";
        std::fs::write(&path, servers).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        // Only a file left alone for a while is kept (config::cache::SETTLE).
        std::thread::sleep(radius_core::config::cache::SETTLE + std::time::Duration::from_millis(200));
        let args = |extra: &[&str]| {
            let mut raw = vec![format!("conf={}", path.display())];
            raw.extend(extra.iter().map(|s| s.to_string()));
            Args::parse(&raw).0
        };

        let kept = load(&args(&[])).unwrap();
        assert!(Arc::ptr_eq(&kept, &load(&args(&[])).unwrap()), "the kept configuration was copied");
        let retried = load(&args(&["retry=7"])).unwrap();
        assert_eq!(retried.client.retries, 7);
        let signed = load(&args(&["require_message_authenticator"])).unwrap();
        assert!(signed.servers.iter().all(|s| s.require_message_authenticator));
        let v4 = load(&args(&["ipv6=no"])).unwrap();
        assert_eq!(v4.servers.iter().map(|s| (s.ip.to_string(), s.index)).collect::<Vec<_>>(), vec![("127.0.0.1".to_string(), 0)]);

        let again = load(&args(&[])).unwrap();
        assert!(Arc::ptr_eq(&kept, &again));
        assert_ne!(again.client.retries, 7);
        assert_eq!(again.servers.len(), 2);
        assert!(again.servers.iter().all(|s| s.require_message_authenticator == kept.servers[0].require_message_authenticator));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
