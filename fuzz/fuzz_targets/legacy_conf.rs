//! Untrusted pam_radius_auth.conf text through its reader (offline; the
//! first byte picks the address families): never a panic, and every error
//! names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::config::{legacy, Families};
use radius_core::sources::Offline;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let families = Families { ipv4: first & 1 == 0, ipv6: first & 2 == 0 };
    let _ = legacy::is_legacy_format(text);
    match legacy::parse_with(text, Path::new("/fuzz/pam_radius_auth.conf"), families, &Offline) {
        Ok(config) => assert!(!config.servers.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("/fuzz/pam_radius_auth.conf"), "{e}"),
    }
});
