//! Untrusted pap-/chap-secrets text through pppd's word rules, the lookup
//! of a user (parsed whole and in one pass: the same record) and the
//! address column: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_host::allowed_addresses::AllowedAddresses;
use radius_host::ppp_secrets;
use radius_core::sources::Offline;
use std::net::Ipv4Addr;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(entries) = ppp_secrets::parse_with(text, Path::new("/fuzz/chap-secrets"), &Offline) else { return };
    for e in &entries {
        let found = ppp_secrets::find_user(&entries, &e.client, &e.server);
        assert!(found.is_some_and(|f| f.client == e.client));
        // The one-pass lookup the plugin uses finds the same record.
        let looked_up = ppp_secrets::find_user_in(text, Path::new("/fuzz/chap-secrets"), &e.client, &e.server, &Offline).ok().flatten();
        assert_eq!(looked_up.map(|l| l.line), found.map(|f| f.line));
        if let Some(list) = AllowedAddresses::parse(&e.addresses, 3) {
            let _ = list.allows(Ipv4Addr::new(10, 0, 0, 1));
            if let Some(s) = list.suggestion(None) {
                assert!(s.accept_others || list.allows(s.address) || e.addresses.iter().any(|w| w.starts_with('!')));
            }
        }
    }
});
