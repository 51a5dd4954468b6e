//! Untrusted reply bytes through the decoder and the full reply check:
//! never a panic; attributes that decode re-encode to the same bytes and
//! decode again to the same list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_core::auth::Credentials;
use radius_core::packet::{request, verify_reply, wire};
use radius_core::Secret;

fuzz_target!(|data: &[u8]| {
    let req = request::access_request(
        data.get(1).copied().unwrap_or(0),
        &[(1, b"fuzz".to_vec())],
        &Credentials::pap(Secret::from("pw")),
        b"secret",
    )
    .expect("request encodes");
    let _ = verify_reply(data, &req, b"secret", true);
    let _ = verify_reply(data, &req, b"secret", false);
    if let Ok((header, packet)) = wire::header(data) {
        if let Ok(attrs) = wire::attributes(packet) {
            let mut encoded = packet[..wire::HEADER_LEN].to_vec();
            for a in &attrs {
                encoded.push(a.typ);
                encoded.push((a.value.len() + 2) as u8);
                encoded.extend_from_slice(&a.value);
            }
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
