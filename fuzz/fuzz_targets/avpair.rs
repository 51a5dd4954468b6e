//! Untrusted `ATTRIBUTE=VALUE` text (pppd's radius-rs-avpair option)
//! through the avpair parser; what parses is printed as radattr and as the
//! CLI prints it: never a panic, and a radattr line is always one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::dictionary;
use radius_core::packet::wire::Attribute;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok((typ, value)) = dictionary::parse_avpair(text) else { return };
    let a = Attribute { typ, value, offset: 0 };
    for line in dictionary::radattr_lines(&a) {
        assert!(!line.contains('\n'), "{line:?}");
    }
    let _ = dictionary::format_attribute(&a);
    let _ = dictionary::script_env(std::slice::from_ref(&a));
});
