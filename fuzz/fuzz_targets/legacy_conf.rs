//! Untrusted pam_radius_auth.conf and radiusclient.conf text through their
//! readers (offline; the first byte picks the address families, and with
//! bit 2 the radiusclient reader): never a panic, and every error names
//! the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::config::{legacy, radiusclient, Families};
use radius_core::sources::Offline;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let families = Families { ipv4: first & 1 == 0, ipv6: first & 2 == 0 };
    if first & 4 != 0 {
        let _ = radiusclient::is_radiusclient_format(text);
        match radiusclient::parse_with(text, Path::new("/fuzz/radiusclient.conf"), &Offline) {
            Ok(config) => assert!(config.servers.iter().all(|s| s.auth_port != 0 || s.acct_port != 0)),
            Err(e) => assert!(e.to_string().starts_with("/fuzz/radiusclient.conf"), "{e}"),
        }
        return;
    }
    let _ = legacy::is_legacy_format(text);
    match legacy::parse_with(text, Path::new("/fuzz/pam_radius_auth.conf"), families, &Offline) {
        Ok(config) => assert!(!config.servers.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("/fuzz/pam_radius_auth.conf"), "{e}"),
    }
});
