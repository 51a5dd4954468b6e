//! Untrusted configuration text through the TOML loader and its checks
//! (offline: no file is read, no name resolved): a configuration or an
//! error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::sources::Offline;
use radius_core::Config;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::from_toml_with(text, Path::new("/fuzz/radius.toml"), &Offline) {
        Ok(config) => assert!(!config.servers.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("/fuzz/radius.toml"), "{e}"),
    }
});
