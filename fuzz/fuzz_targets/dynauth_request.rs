//! Untrusted Disconnect-/CoA-Request bytes through the request check, and
//! their attributes through what radius-rs-dmd makes of them (the plan, the
//! session selector): never a panic; what decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::packet::{dynauth, encode, wire};
use radius_dmd::plan;
use radius_host::selector::Selector;

fuzz_target!(|data: &[u8]| {
    for require in [true, false] {
        let _ = dynauth::check_request(data, b"fuzz-secret-1234", require);
    }
    let Ok((header, packet)) = wire::header(data) else { return };
    let Ok(attrs) = wire::attributes(packet) else { return };
    let _ = plan::plan(header.code, &attrs);
    let _ = Selector::from_attributes(&attrs).map(|s| s.describe());
    let mut b = encode::Builder::new(header.code, header.identifier, &header.authenticator);
    for a in &attrs {
        b.attribute(a.typ, &a.value).expect("a decoded attribute fits");
    }
    assert_eq!(b.finish(b"", None).expect("a decoded packet fits"), packet);
});
