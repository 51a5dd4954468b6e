use super::*;

const MINIMAL: &str = r#"
[client]
nas_identifier = "bras-1"
timeout = "100ms"

[[server]]
address = "127.0.0.1"
secret = "a-long-enough-secret"
"#;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/radius_rs/radius.toml"))
}

/// The example shipped in packaging/ loads without error.
#[test]
fn shipped_example_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/radius.toml");
    let config = Config::load(path).expect("shipped example must load");
    assert_eq!(config.servers.len(), 1);
    assert_eq!(config.client.timeout, Duration::from_millis(300));
    assert!(config.client.require_message_authenticator);
}

/// An unknown key injected into each table of the shipped example is refused, naming line and key.
#[test]
fn shipped_example_refuses_injected_unknown_key() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/radius.toml");
    let text = std::fs::read_to_string(path).unwrap();
    for anchor in ["[client]\n", "[[server]]\n"] {
        let injected = text.replacen(anchor, &format!("{anchor}bogus_key = 1\n"), 1);
        let err = load(&injected).unwrap_err().to_string();
        assert!(err.contains("bogus_key"), "{err}");
        let line = injected.lines().position(|l| l.starts_with("bogus_key")).unwrap() + 1;
        assert!(err.contains(&format!(":{line}:")), "{err} should name line {line}");
    }
}

/// Defaults follow the documented values.
#[test]
fn defaults() {
    let c = load(MINIMAL).unwrap();
    let s = &c.servers[0];
    assert_eq!((s.auth_port, s.acct_port), (1812, 1813));
    assert_eq!(s.timeout, Duration::from_millis(100));
    assert_eq!(c.client.retries, 2);
    assert_eq!(c.client.nas_port, 10);
    assert!(s.require_message_authenticator);
    assert_eq!(s.services, vec![Service::Login, Service::Ppp]);
}

/// A bad value names its line and key.
#[test]
fn bad_value_names_line_and_key() {
    let text = MINIMAL.replace("timeout = \"100ms\"", "timeout = \"100 parsecs\"");
    let err = load(&text).unwrap_err().to_string();
    assert!(err.contains("radius.toml:4:"), "{err}");
    assert!(err.contains("client.timeout"), "{err}");
}

/// A wrong type names its line and key.
#[test]
fn wrong_type_names_key() {
    let text = format!("{MINIMAL}auth_port = \"x\"\n");
    let err = load(&text).unwrap_err().to_string();
    assert!(err.contains("server[0].auth_port"), "{err}");
    assert!(err.contains(":9:"), "{err}");
}

/// A server without a secret, or with a bad address, is refused.
#[test]
fn server_errors() {
    let err = load("[[server]]\naddress = \"127.0.0.1\"\n").unwrap_err().to_string();
    assert!(err.contains("no `secret`"), "{err}");
    let err = load("[[server]]\naddress = \"nas.example\"\nsecret = \"s\"\n").unwrap_err().to_string();
    assert!(err.contains(":2: key `server[0].address`"), "{err}");
    let err = load("[client]\n").unwrap_err().to_string();
    assert!(err.contains("no [[server]]"), "{err}");
}

/// Short secrets draw a warning; long ones do not.
#[test]
fn short_secret_warns() {
    let c = load("[[server]]\naddress = \"::1\"\nsecret = \"testing123\"\n").unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].0.contains("10 bytes"));
    assert!(load(MINIMAL).unwrap().warnings.is_empty());
}

/// A RadSec server: port 2083 for both, secret `radsec`, all three files
/// relative to the config file, server_name the address; files without
/// RadSec, or RadSec without one of them, are refused.
#[test]
fn radsec_servers() {
    let c = load(
        "[[server]]\naddress = \"127.0.0.1\"\nprotocol = \"radsec\"\ncertificate = \"tls/client.pem\"\n\
         private_key = \"/etc/k.pem\"\nca_file = \"tls/ca.pem\"\n",
    )
    .unwrap();
    let s = &c.servers[0];
    assert_eq!((s.auth_port, s.acct_port), (2083, 2083));
    assert_eq!(s.secret.expose(), b"radsec");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let tls = s.tls.as_ref().expect("tls");
    assert!(
        tls.certificate.ends_with("tls/client.pem") && tls.certificate.is_absolute(),
        "{:?}",
        tls.certificate
    );
    assert_eq!(tls.private_key, std::path::PathBuf::from("/etc/k.pem"));
    assert_eq!(tls.server_name, "127.0.0.1");
    let named = load(
        "[[server]]\naddress = \"[::1]\"\nprotocol = \"radsec\"\ncertificate = \"c\"\nprivate_key = \"k\"\n\
         ca_file = \"a\"\nserver_name = \"radius.example\"\nauth_port = 3000\n",
    )
    .unwrap();
    let s = &named.servers[0];
    assert_eq!((s.auth_port, s.acct_port), (3000, 2083));
    assert_eq!(s.tls.as_ref().unwrap().server_name, "radius.example");
    let err = load("[[server]]\naddress = \"127.0.0.1\"\nprotocol = \"radsec\"\ncertificate = \"c\"\nca_file = \"a\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server[0].private_key") && err.contains("mutual"),
        "{err}"
    );
    let err = load(
        "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\nca_file = \"a\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("server[0].ca_file") && err.contains("radsec"),
        "{err}"
    );
    assert!(load("[[server]]\naddress = \"127.0.0.1\"\nprotocol = \"tls\"\n").is_err());
}

/// IPv6 and VRF addresses parse.
#[test]
fn addresses() {
    assert_eq!(parse_address("::1").unwrap(), ("::1".parse().unwrap(), None));
    assert_eq!(parse_address("[::1]").unwrap().0, "::1".parse::<IpAddr>().unwrap());
    assert_eq!(
        parse_address("10.0.0.1@mgmt").unwrap(),
        ("10.0.0.1".parse().unwrap(), Some("mgmt".to_string()))
    );
    assert!(parse_address("10.0.0.1@").is_err());
}

/// secret_file is read relative to the config file; a world-readable
/// config warns, and so does a world-readable secret_file (it was ignored once).
#[test]
fn secret_file_and_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "from-a-file-secret\n").unwrap();
    let cfg = dir.path().join("radius.toml");
    std::fs::write(&cfg, "[[server]]\naddress = \"127.0.0.1\"\nsecret_file = \"secret\"\n").unwrap();
    mode(&cfg, 0o644);
    mode(&secret, 0o600);
    let c = Config::load(&cfg).unwrap();
    assert_eq!(c.servers[0].secret.expose(), b"from-a-file-secret");
    assert!(c.warnings.iter().any(|w| w.0.contains("radius.toml holds shared secrets and is readable by every user")));
    mode(&cfg, 0o600);
    assert!(Config::load(&cfg).unwrap().warnings.is_empty());
    mode(&secret, 0o644);
    let w = Config::load(&cfg).unwrap().warnings;
    assert!(w.iter().any(|w| w.0.contains("secret holds a shared secret and is readable by every user")), "{w:?}");
}

/// No configuration section prints a secret through Debug.
#[test]
fn debug_never_shows_a_secret() {
    let text = "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"do-not-print-me-1\"\n\
                [[incoming.client]]\naddress = \"127.0.0.1\"\nsecret = \"do-not-print-me-2\"\n";
    let file: ConfigFile = super::read::config_file(text).unwrap();
    let config = Config::from_toml(text, Path::new("t.toml")).unwrap();
    for shown in [format!("{file:?}"), format!("{config:?}")] {
        assert!(!shown.contains("do-not-print-me"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}

/// Accounting backups come after the primaries and are not used for authentication.
#[test]
fn backup_ordering() {
    let text = r#"
[[server]]
address = "127.0.0.2"
secret = "a-long-enough-secret"
accounting_backup = true
[[server]]
address = "127.0.0.1"
secret = "a-long-enough-secret"
services = ["ppp"]
"#;
    let c = load(text).unwrap();
    let acct: Vec<_> = c.acct_servers(Service::Ppp).iter().map(|s| s.name.clone()).collect();
    assert_eq!(acct, vec!["127.0.0.1", "127.0.0.2"]);
    assert!(c.auth_servers(Service::Login).is_empty());
    assert_eq!(c.auth_servers(Service::Ppp).len(), 1);
}

/// The registry tables are kept as written (radius-host builds the user
/// registry from them); a bad CIDR is an error naming the file.
#[test]
fn registry_tables_are_kept() {
    let text = "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n\
                [registry]\nunregistered_user_policies = [\"guest\"]\nbound_cidrs = [\"10.0.0.0/8\"]\n\
                [users.alice]\npolicies = [\"admin\"]\n";
    let c = Config::from_toml(text, Path::new("/r.toml")).unwrap();
    assert_eq!(c.user_tables.registry.unwrap().unregistered_user_policies, vec!["guest"]);
    assert_eq!(c.user_tables.users["alice"].policies, vec!["admin"]);
    let plain = Config::from_toml("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n", Path::new("/r.toml")).unwrap();
    assert!(plain.user_tables.registry.is_none() && plain.user_tables.users.is_empty());
    let err = Config::from_toml(&format!("{text}bound_cidrs = [\"nonsense\"]\n"), Path::new("/r.toml")).unwrap_err();
    assert!(err.to_string().starts_with("/r.toml:"), "{err}");
}

/// A secret_file that never ends (/dev/zero) is read only so far: the
/// load ends (it used to read until memory ran out).
#[test]
fn endless_secret_file_is_bounded() {
    let text = "[[server]]\naddress = \"127.0.0.1\"\nsecret_file = \"/dev/zero\"\n";
    let c = Config::from_toml(text, Path::new("/etc/radius_rs/radius.toml")).unwrap();
    assert_eq!(c.servers[0].secret.len() as u64, crate::sources::MAX_FILE);
}

/// A host name in `address` is resolved when the file is loaded (with
/// `@vrf` kept); one that does not resolve, or is no name at all, is an
/// error naming the line and key.
#[test]
fn host_names_resolve_at_load() {
    struct Names;
    impl Sources for Names {
        fn read(&self, path: &Path) -> std::io::Result<zeroize::Zeroizing<String>> {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, path.display().to_string()))
        }
        fn resolve(&self, host: &str, _: u16) -> std::io::Result<Vec<IpAddr>> {
            match host {
                "radius.myorg.com" => Ok(vec![IpAddr::from([192, 0, 2, 10]), IpAddr::from([192, 0, 2, 11])]),
                _ => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "Name or service not known")),
            }
        }
    }
    let text = |address: &str| MINIMAL.replace("address = \"127.0.0.1\"", &format!("address = \"{address}\""));
    let path = Path::new("/etc/radius_rs/radius.toml");
    let c = Config::from_toml_with(&text("radius.myorg.com"), path, &Names).unwrap();
    assert_eq!((c.servers[0].ip, c.servers[0].name.as_str()), (IpAddr::from([192, 0, 2, 10]), "radius.myorg.com"));
    let c = Config::from_toml_with(&text("radius.myorg.com@vrf-blue"), path, &Names).unwrap();
    assert_eq!(c.servers[0].vrf.as_deref(), Some("vrf-blue"));
    let err = Config::from_toml_with(&text("gone.myorg.com"), path, &Names).unwrap_err().to_string();
    assert!(err.contains(":7: key `server[0].address`: cannot resolve `gone.myorg.com`"), "{err}");
    let err = Config::from_toml_with(&text("not an address!"), path, &Names).unwrap_err().to_string();
    assert!(err.contains("is not an IP address or a host name"), "{err}");

    // `[client] src_address` too: a literal, a name, or a clear error.
    let with_src = |src: &str| MINIMAL.replace("[client]\n", &format!("[client]\nsrc_address = \"{src}\"\n"));
    let c = Config::from_toml_with(&with_src("radius.myorg.com"), path, &Names).unwrap();
    assert_eq!(c.src_address, Some(IpAddr::from([192, 0, 2, 10])));
    let c = Config::from_toml_with(&with_src("2001:db8::5"), path, &Names).unwrap();
    assert_eq!(c.src_address, Some("2001:db8::5".parse().unwrap()));
    let err = Config::from_toml_with(&with_src("gone.myorg.com"), path, &Names).unwrap_err().to_string();
    assert!(err.contains("key `client.src_address`: cannot resolve `gone.myorg.com`"), "{err}");
}
