//! Untrusted reply bytes through the decoder and the full reply check:
//! never a panic; attributes that decode re-encode (with the project's own
//! encoder) to the same bytes and decode again to the same list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::auth::Credentials;
use radius_core::packet::{encode, request, verify_reply, wire, AttributeList};
use radius_core::Secret;

fuzz_target!(|data: &[u8]| {
    let mut user = AttributeList::new();
    user.text(1, "fuzz");
    let req = request::access_request(
        data.get(1).copied().unwrap_or(0),
        &user,
        &Credentials::pap(Secret::from("pw")),
        b"secret",
    )
    .expect("request encodes");
    let _ = verify_reply(data, &req, b"secret", true);
    let _ = verify_reply(data, &req, b"secret", false);
    if let Ok((header, packet)) = wire::header(data) {
        if let Ok(attrs) = wire::attributes(packet) {
            // Re-encoded with the project's own encoder.
            let mut b = encode::Builder::new(header.code, header.identifier, &header.authenticator);
            for a in &attrs {
                b.attribute(a.typ, &a.value).expect("a decoded attribute fits");
            }
            let encoded = b.finish(b"", None).expect("a decoded packet fits");
            assert_eq!(encoded, packet, "decode → encode must give the same bytes");
            let (h2, p2) = wire::header(&encoded).expect("re-encoded header");
            assert_eq!(h2, header);
            assert_eq!(wire::attributes(p2).expect("re-decoded"), attrs);
        }
        for a in wire::attributes(packet).unwrap_or_default() {
            let _ = wire::vendor_attributes(&a.value);
        }
    }
});
