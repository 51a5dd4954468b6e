//! One module per subcommand.

pub mod check_config;
pub mod disconnect;
pub mod import;
pub mod login;
pub mod monitor;
pub mod sessions;
pub mod spool;
pub mod users;

use radius_core::Config;
use std::path::Path;

/// Loads the configuration, printing warnings; `None` (after printing the
/// error) when it cannot be used.
pub fn load_config(path: &Path) -> Option<Config> {
    match Config::load(path) {
        Ok(c) => {
            for w in &c.warnings {
                eprintln!("radius-rs: warning: {w}");
            }
            Some(c)
        }
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            None
        }
    }
}
