//! What an Access-Request proves, per method.

use super::{chap, mschap};
use crate::secret::Secret;
use crate::random::bytes as random;

/// An authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Password Authentication Protocol (User-Password).
    Pap,
    /// CHAP with MD5 (CHAP-Password + CHAP-Challenge).
    Chap,
    /// MS-CHAP version 1 (RFC 2433, RFC 2548 attributes).
    MsChapV1,
    /// MS-CHAP version 2 (RFC 2759, RFC 2548 attributes).
    MsChapV2,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pap" => Ok(Method::Pap),
            "chap" | "chap-md5" => Ok(Method::Chap),
            "mschapv1" | "mschap" | "ms-chap" => Ok(Method::MsChapV1),
            "mschapv2" | "ms-chap-v2" => Ok(Method::MsChapV2),
            other => Err(format!("unknown method `{other}`: use pap, chap, mschapv1 or mschapv2")),
        }
    }
}

/// The proof carried by an Access-Request.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// The clear password, hidden in User-Password on the wire.
    Pap {
        /// The password.
        password: Secret,
    },
    /// A CHAP-MD5 response.
    Chap {
        /// CHAP identifier.
        id: u8,
        /// The challenge the peer answered (sent as CHAP-Challenge).
        challenge: Vec<u8>,
        /// MD5(id + password + challenge).
        response: [u8; 16],
    },
    /// An MS-CHAPv1 response.
    MsChapV1 {
        /// CHAP identifier.
        id: u8,
        /// The 8-byte challenge.
        challenge: [u8; 8],
        /// LM-Response (zeros when only the NT response is used).
        lm_response: [u8; 24],
        /// NT-Response.
        nt_response: [u8; 24],
        /// Flags (1 = use the NT response).
        flags: u8,
    },
    /// An MS-CHAPv2 response.
    MsChapV2 {
        /// CHAP identifier.
        id: u8,
        /// The authenticator's 16-byte challenge.
        auth_challenge: [u8; 16],
        /// The peer's 16-byte challenge.
        peer_challenge: [u8; 16],
        /// NT-Response.
        nt_response: [u8; 24],
        /// Flags (0).
        flags: u8,
    },
}

impl Credentials {
    /// PAP with a password.
    pub fn pap(password: Secret) -> Self {
        Credentials::Pap { password }
    }

    /// The method these credentials use.
    pub fn method(&self) -> Method {
        match self {
            Credentials::Pap { .. } => Method::Pap,
            Credentials::Chap { .. } => Method::Chap,
            Credentials::MsChapV1 { .. } => Method::MsChapV1,
            Credentials::MsChapV2 { .. } => Method::MsChapV2,
        }
    }

    /// Acts as the peer: answers a fresh random challenge with `password`
    /// using `method` (the CLI's and tests' way to exercise each method).
    pub fn from_password(method: Method, user: &str, password: &Secret) -> Self {
        let pw = password.expose();
        match method {
            Method::Pap => Credentials::Pap { password: password.clone() },
            Method::Chap => {
                let id = random::<1>()[0];
                let challenge = random::<16>().to_vec();
                let response = chap::md5_response(id, pw, &challenge);
                Credentials::Chap { id, challenge, response }
            }
            Method::MsChapV1 => {
                let challenge = random::<8>();
                Credentials::MsChapV1 {
                    id: random::<1>()[0],
                    challenge,
                    lm_response: [0; 24],
                    nt_response: mschap::v1_nt_response(&challenge, pw),
                    flags: 1,
                }
            }
            Method::MsChapV2 => {
                let auth_challenge = random::<16>();
                let peer_challenge = random::<16>();
                Credentials::MsChapV2 {
                    id: random::<1>()[0],
                    auth_challenge,
                    peer_challenge,
                    nt_response: mschap::v2_nt_response(&auth_challenge, &peer_challenge, user.as_bytes(), pw),
                    flags: 0,
                }
            }
        }
    }
}
