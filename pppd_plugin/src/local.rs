//! Checking a CHAP / MS-CHAP response against the local secret, as pppd's
//! own verifier would (it is not reachable once the plugin sets
//! `chap_verify_hook`): CHAP-MD5 (RFC 1994), MS-CHAPv1 (RFC 2433) and
//! MS-CHAPv2 (RFC 2759, with the authenticator response the peer checks),
//! and the MPPE keys (RFC 3079) pppd needs for `require-mppe-128`.

use radius_core::auth::{chap, mppe, mschap};
use radius_core::packet::constant_time_eq;
use radius_ffi::pppd::ChapDigest;

/// MPPE keys for pppd: the authenticator's send and receive keys.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// Send key.
    pub send: [u8; 16],
    /// Receive key.
    pub recv: [u8; 16],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

/// The outcome of a local check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The response is right.
    pub accepted: bool,
    /// The CHAP Success / Failure message.
    pub message: String,
    /// MPPE keys (MS-CHAP only, when accepted).
    pub keys: Option<Keys>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The MS-CHAP Failure message (RFC 2759 6): error 691, no retry.
pub fn mschap_failure(challenge: &[u8]) -> String {
    format!("E=691 R=0 C={} V=0 M=Authentication failed", hex(challenge))
}

/// Checks `response` to `challenge` (CHAP identifier `id`) from `user`
/// against `secret`.
pub fn check(digest: ChapDigest, id: u8, user: &str, challenge: &[u8], response: &[u8], secret: &[u8]) -> Checked {
    let refuse = |message: String| Checked { accepted: false, message, keys: None };
    match digest {
        ChapDigest::Md5 => {
            let ok = response.len() == 16 && chap::md5_verify(id, secret, challenge, response);
            Checked { accepted: ok, message: if ok { "Access granted" } else { "Access denied" }.into(), keys: None }
        }
        ChapDigest::MsChapV1 => {
            let (Ok(ch), true) = (<[u8; 8]>::try_from(challenge), response.len() == 49) else {
                return refuse(mschap_failure(challenge));
            };
            let uses_nt = response[48] == 1;
            let ok = uses_nt && constant_time_eq(&response[24..48], &mschap::v1_nt_response(&ch, secret));
            if !ok {
                return refuse(mschap_failure(challenge));
            }
            let hash_hash = mschap::hash_nt_password_hash(&mschap::nt_password_hash(secret));
            let key = mppe::v1_start_key(&hash_hash, &ch);
            Checked { accepted: true, message: "Access granted".into(), keys: Some(Keys { send: key, recv: key }) }
        }
        ChapDigest::MsChapV2 => {
            let (Ok(auth), true) = (<[u8; 16]>::try_from(challenge), response.len() == 49) else {
                return refuse(mschap_failure(challenge));
            };
            let mut peer = [0u8; 16];
            peer.copy_from_slice(&response[..16]);
            let mut nt = [0u8; 24];
            nt.copy_from_slice(&response[24..48]);
            let expected = mschap::v2_nt_response(&auth, &peer, user.as_bytes(), secret);
            if !constant_time_eq(&nt, &expected) {
                return refuse(mschap_failure(challenge));
            }
            let nt_hash = mschap::nt_password_hash(secret);
            let success = mschap::v2_authenticator_response(&nt_hash, &nt, &peer, &auth, user.as_bytes());
            let k = mppe::v2_server_keys(&nt_hash, &nt);
            Checked { accepted: true, message: format!("{success} M=Access granted"), keys: Some(Keys { send: k.send, recv: k.recv }) }
        }
        ChapDigest::Other(code) => refuse(format!("CHAP digest {code:#x} is not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::auth::Credentials;
    use radius_core::Secret;

    /// Responses a peer computes (the core's peer side) pass with the
    /// right secret and fail with a wrong one, for every digest.
    #[test]
    fn each_digest_checks_the_secret() {
        let pw = Secret::from("s3cret");
        for method in ["chap", "mschapv1", "mschapv2"] {
            let creds = Credentials::from_password(method.parse().unwrap(), "carol", &pw);
            let (digest, id, challenge, response) = match creds {
                Credentials::Chap { id, challenge, response } => (ChapDigest::Md5, id, challenge, response.to_vec()),
                Credentials::MsChapV1 { id, challenge, lm_response, nt_response, flags } => {
                    (ChapDigest::MsChapV1, id, challenge.to_vec(), [&lm_response[..], &nt_response[..], &[flags]].concat())
                }
                Credentials::MsChapV2 { id, auth_challenge, peer_challenge, nt_response, flags } => (
                    ChapDigest::MsChapV2,
                    id,
                    auth_challenge.to_vec(),
                    [&peer_challenge[..], &[0u8; 8], &nt_response[..], &[flags]].concat(),
                ),
                Credentials::Pap { .. } => unreachable!(),
            };
            let good = check(digest, id, "carol", &challenge, &response, b"s3cret");
            assert!(good.accepted, "{method}");
            assert_eq!(good.keys.is_some(), method != "chap", "{method}");
            let bad = check(digest, id, "carol", &challenge, &response, b"wrong");
            assert!(!bad.accepted && bad.keys.is_none(), "{method}");
            if method == "mschapv2" {
                assert!(good.message.starts_with("S=") && good.message.ends_with(" M=Access granted"), "{}", good.message);
                assert!(bad.message.starts_with("E=691 R=0 C="), "{}", bad.message);
            }
        }
        assert!(!check(ChapDigest::Md5, 1, "u", b"c", &[0; 3], b"x").accepted);
        assert!(!check(ChapDigest::Other(0x99), 1, "u", b"c", &[0; 16], b"x").accepted);
    }

    /// RFC 2759 9.2's example: the authenticator response a peer expects.
    #[test]
    fn rfc2759_vector() {
        let h = |s: &str| (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
        let auth = h("5B5D7C7D7B3F2F3E3C2C602132262628");
        let peer = h("21402324255E262A28295F2B3A337C7E");
        let nt = h("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
        let response = [&peer[..], &[0u8; 8], &nt[..], &[0]].concat();
        let c = check(ChapDigest::MsChapV2, 0, "User", &auth, &response, b"clientPass");
        assert!(c.accepted);
        assert_eq!(c.message, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted");
    }
}
