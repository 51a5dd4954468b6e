//! The configuration for one call: the file named by `conf=` (TOML or
//! pam_radius_auth format) with the arguments that override it.

use crate::args::Args;
use radius_core::config::{Config, ConfigError};

/// Loads `conf=` and applies `retry=`, `ipv4=`/`ipv6=` and
/// `require_message_authenticator`.
pub fn load(args: &Args) -> Result<Config, ConfigError> {
    let mut config = Config::load_with_families(&args.conf, args.families)?;
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
