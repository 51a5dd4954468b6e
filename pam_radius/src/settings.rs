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
/// `require_message_authenticator`.
pub fn load(args: &Args) -> Result<Config, ConfigError> {
    let mut config = Config::load_kept(&args.conf, args.families)?;
    if let Some(retries) = args.retry {
        config.client.retries = retries;
    }
    if args.require_message_authenticator {
        config.client.require_message_authenticator = true;
        for server in &mut config.servers {
            server.require_message_authenticator = true;
        }
    }
    let families = args.families;
    let before = config.servers.len();
    config.servers.retain(|s| families.allows(s.ip));
    // Positions are the servers' names in replies and counters' messages: renumber what is left.
    for (index, server) in config.servers.iter_mut().enumerate() {
        server.index = index;
    }
    if config.servers.is_empty() && before > 0 {
        return Err(ConfigError::Invalid {
            path: config.path.clone(),
            line: None,
            key: "server".into(),
            message: "every server is of an address family disabled by ipv4=no / ipv6=no".into(),
        });
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
    load: &dyn Fn(&Args) -> Result<Config, ConfigError>,
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
    let loaded = Loaded { key, config: Arc::new(config), nas_address, registry };
    // Not kept is not wrong: the next stage reads the file again.
    let _ = handler.set_data(stored::CONFIG, loaded.clone());
    Ok(loaded)
}
