//! The certificates the RadSec suites use, made fresh for each run: a CA
//! the server and client trust, and the bad cases (another CA's server and
//! client certificates, an expired server certificate).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::fs;
use std::path::{Path, PathBuf};

/// The name every good server certificate carries (and 127.0.0.1, ::1).
pub const SERVER_NAME: &str = "radius.test";

/// A certificate and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The certificate.
    pub cert: PathBuf,
    /// Its private key (PKCS#8).
    pub key: PathBuf,
}

/// Everything, in one directory kept as long as this lives.
#[derive(Debug)]
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA both sides trust.
    pub ca: PathBuf,
    /// Another CA nobody trusts.
    pub rogue_ca: PathBuf,
    /// The server's certificate (SERVER_NAME, 127.0.0.1, ::1), by `ca`.
    pub server: Pair,
    /// A server certificate by `rogue_ca`.
    pub rogue_server: Pair,
    /// A server certificate by `ca` that expired in 2020.
    pub expired_server: Pair,
    /// This NAS's client certificate, by `ca`.
    pub client: Pair,
    /// A client certificate by `rogue_ca`.
    pub rogue_client: Pair,
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ca {
            params,
            key: KeyPair::generate().expect("key"),
        }
    }

    fn pem(&self) -> String {
        self.params.self_signed(&self.key).expect("self-sign").pem()
    }

    fn issue(
        &self,
        dir: &Path,
        name: &str,
        sans: &[&str],
        purpose: ExtendedKeyUsagePurpose,
        expired: bool,
    ) -> Pair {
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![purpose];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if expired {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        } else {
            params.not_before = rcgen::date_time_ymd(2024, 1, 1);
            params.not_after = rcgen::date_time_ymd(2099, 1, 1);
        }
        let key = KeyPair::generate().expect("key");
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("sign");
        let pair = Pair {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        };
        fs::write(&pair.cert, cert.pem()).expect("write cert");
        fs::write(&pair.key, key.serialize_pem()).expect("write key");
        pair
    }
}

impl Pki {
    /// A `[[server]]` table for a RadSec listener on 127.0.0.1:`port`,
    /// presenting `client` and expecting `server_name`, trusting `self.ca`.
    pub fn server_toml(&self, port: u16, client: &Pair, server_name: &str) -> String {
        format!(
            "[[server]]\naddress = \"127.0.0.1\"\nprotocol = \"radsec\"\nauth_port = {port}\nacct_port = {port}\n\
             certificate = \"{}\"\nprivate_key = \"{}\"\nca_file = \"{}\"\nserver_name = \"{server_name}\"\n",
            client.cert.display(),
            client.key.display(),
            self.ca.display()
        )
    }

    /// Makes every certificate.
    pub fn generate() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("radsec-pki-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        let (ca, rogue) = (Ca::new("radius_rs test CA"), Ca::new("someone else's CA"));
        let server_sans = [SERVER_NAME, "127.0.0.1", "::1"];
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let pki = Pki {
            ca: d.join("ca.pem"),
            rogue_ca: d.join("rogue-ca.pem"),
            server: ca.issue(d, "server", &server_sans, server.clone(), false),
            rogue_server: rogue.issue(d, "rogue-server", &server_sans, server.clone(), false),
            expired_server: ca.issue(d, "expired-server", &server_sans, server, true),
            client: ca.issue(d, "nas", &["nas.radius.test"], client.clone(), false),
            rogue_client: rogue.issue(d, "rogue-nas", &["nas.radius.test"], client, false),
            _dir: dir,
        };
        fs::write(&pki.ca, ca.pem()).expect("write ca");
        fs::write(&pki.rogue_ca, rogue.pem()).expect("write rogue ca");
        pki
    }
}
