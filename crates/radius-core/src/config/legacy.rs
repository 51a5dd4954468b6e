//! The `pam_radius_auth.conf` format, so an admin can swap the module name
//! in `/etc/pam.d/*` and keep the old server file:
//!
//! ```text
//! # server[:port]        secret     [timeout [source_ip [vrf]]]
//! 127.0.0.1               secret     3
//! [2001:db8::4]:1812      secret6    3          [2001:db8::3]   vrf-red
//! radius.example.net      other      5          0               vrf-blue
//! ```
//!
//! Meaning as in pam_radius_auth: the port defaults to 1812 and accounting
//! goes to port + 1 (1813); the timeout is whole seconds per try (default
//! 3, clamped to 1..=60); a source IP of `0` means none. Hostnames are
//! resolved when the file is loaded. Unlike pam_radius_auth, a bad line is
//! an error naming the file and line, not a line silently skipped.

use super::{ClientSection, Config, ConfigError, Server, Service};
use crate::secret::Secret;
use crate::sources::Sources;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// Which address families a hostname may resolve to (pam_radius_auth's
/// `ipv4=` / `ipv6=` arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    /// IPv4 allowed.
    pub ipv4: bool,
    /// IPv6 allowed.
    pub ipv6: bool,
}

impl Default for Families {
    fn default() -> Self {
        Families { ipv4: true, ipv6: true }
    }
}

impl Families {
    /// True when `ip` is of an allowed family.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(_) => self.ipv4,
            IpAddr::V6(_) => self.ipv6,
        }
    }
}

const DEFAULT_TIMEOUT_SECS: u64 = 3;
const MAX_TIMEOUT_SECS: u64 = 60;

/// True when `text` is in the pam_radius_auth format rather than TOML:
/// its first meaningful line is `host secret …`, which is not TOML.
pub fn is_legacy_format(text: &str) -> bool {
    let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) else {
        return false;
    };
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.len() >= 2 && fields[1] != "=" && !fields[0].contains('=') && !fields[0].starts_with("[[")
}

/// Parses a pam_radius_auth server file, resolving names.
pub fn parse(text: &str, path: &Path, families: Families) -> Result<Config, ConfigError> {
    parse_with(text, path, families, &crate::sources::System)
}

/// As [`parse`], resolving names through `sources`. Never inlined into
/// [`Config::from_text`](super::Config::from_text): a process reads one
/// format, and only the code it runs is mapped (every pppd maps its own).
#[inline(never)]
pub fn parse_with(text: &str, path: &Path, families: Families, sources: &dyn Sources) -> Result<Config, ConfigError> {
    let mut servers = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: Some(number + 1),
            key: String::new(),
            message,
        };
        let server = parse_line(line, servers.len(), families, sources).map_err(invalid)?;
        servers.push(server);
    }
    if servers.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            line: None,
            key: String::new(),
            message: "no RADIUS server line (`server[:port] secret [timeout [source_ip [vrf]]]`)".into(),
        });
    }
    let client = ClientSection {
        // pam_radius_auth sends each request once unless `retry=N` is given.
        retries: 0,
        // It does not require Message-Authenticator unless told to.
        require_message_authenticator: false,
        ..ClientSection::default()
    };
    let incoming = super::Incoming {
        section: Default::default(),
        clients: servers.iter().map(|s| super::IncomingClient { ip: s.ip, secret: s.secret.clone() }).collect(),
    };
    Ok(Config {
        path: path.to_path_buf(),
        client,
        src_address: None,
        servers,
        warnings: Vec::new(),
        user_tables: Default::default(),
        ppp: Default::default(),
        sessions: Default::default(),
        incoming,
        // The spool as in radius.toml: a record no server takes is kept.
        accounting: Default::default(),
    })
}

fn parse_line(line: &str, index: usize, families: Families, sources: &dyn Sources) -> Result<Server, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [host, secret, rest @ ..] = fields.as_slice() else {
        return Err("expected `server[:port] secret [timeout [source_ip [vrf]]]`".into());
    };
    if rest.len() > 3 {
        return Err(format!("too many fields ({}): expected at most 5", fields.len()));
    }
    let (name, port) = split_host_port(host)?;
    let ip = resolve(name, port, families, sources)?;
    let timeout = match rest.first() {
        Some(t) => t.parse::<u64>().map_err(|_| format!("timeout `{t}` is not a whole number of seconds"))?,
        None => DEFAULT_TIMEOUT_SECS,
    };
    let src_address = match rest.get(1) {
        None | Some(&"0") => None,
        Some(src) => Some(
            src.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| format!("source address `{src}` is not an IP address"))?,
        ),
    };
    let secret = Secret::from(secret.to_string());
    Ok(Server {
        index,
        name: host.to_string(),
        ip,
        vrf: rest.get(2).map(|v| v.to_string()),
        src_address,
        secret,
        auth_port: port,
        acct_port: port.wrapping_add(1),
        services: vec![Service::Login],
        accounting_backup: false,
        timeout: Duration::from_secs(timeout.clamp(1, MAX_TIMEOUT_SECS)),
        // Not required from a legacy file unless told to; once the server has
        // signed a reply it is required from it (the transport remembers).
        require_message_authenticator: false,
        status_server: true,
        tls: None,
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address.
fn split_host_port(text: &str) -> Result<(&str, u16), String> {
    let parse_port = |p: &str| match p {
        "radius" => Ok(1812),
        _ => p.parse::<u16>().map_err(|_| format!("port `{p}` is not a number")),
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| format!("`{text}` has no closing `]`"))?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, parse_port(p)?)),
            None if after.is_empty() => Ok((host, 1812)),
            None => Err(format!("unexpected `{after}` after `]` in `{text}`")),
        };
    }
    if text.parse::<IpAddr>().is_ok() {
        return Ok((text, 1812));
    }
    match text.split_once(':') {
        Some((host, p)) => Ok((host, parse_port(p)?)),
        None => Ok((text, 1812)),
    }
}

/// The server's address: a literal as written, a name resolved to an
/// address of an allowed family when it has one. A server left with a
/// disabled family is skipped by the module, as pam_radius_auth skips it.
fn resolve(host: &str, port: u16, families: Families, sources: &dyn Sources) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs = sources.resolve(host, port).map_err(|e| format!("cannot resolve server `{host}`: {e}"))?;
    addrs
        .iter()
        .copied()
        .find(|ip| families.allows(*ip))
        .or_else(|| addrs.first().copied())
        .ok_or_else(|| format!("server `{host}` resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "# pam_radius_auth.conf\n\
        127.0.0.1                   secret-one         3\n\
        127.0.0.2:1645              secret-two\n\
        [2001:0db8:85a3::4]:1812    other6-secret      3     [2001:0db8:85a3::3]  vrf-red\n\
        ::1                         v6-bare            90    0                    vrf-blue\n";

    #[test]
    fn reads_the_shipped_example_shapes() {
        assert!(is_legacy_format(EXAMPLE));
        let c = parse(EXAMPLE, Path::new("/etc/pam_radius_auth.conf"), Families::default()).unwrap();
        assert_eq!(c.servers.len(), 4);
        let s = &c.servers;
        assert_eq!((s[0].ip.to_string(), s[0].auth_port, s[0].acct_port), ("127.0.0.1".into(), 1812, 1813));
        assert_eq!(s[0].timeout, Duration::from_secs(3));
        assert_eq!((s[1].auth_port, s[1].acct_port), (1645, 1646));
        assert_eq!(s[1].timeout, Duration::from_secs(3), "default timeout");
        assert_eq!(s[2].ip.to_string(), "2001:db8:85a3::4");
        assert_eq!(s[2].src_address, Some("2001:db8:85a3::3".parse().unwrap()));
        assert_eq!(s[2].vrf.as_deref(), Some("vrf-red"));
        assert_eq!(s[3].ip.to_string(), "::1");
        assert_eq!(s[3].src_address, None, "`0` is no source address");
        assert_eq!(s[3].timeout, Duration::from_secs(60), "clamped");
        assert_eq!(s[0].secret.expose(), b"secret-one");
        assert!(!c.client.require_message_authenticator);
        assert_eq!(c.client.retries, 0);
    }

    #[test]
    fn toml_is_not_mistaken_for_legacy() {
        assert!(!is_legacy_format("[client]\ntimeout = \"1s\"\n"));
        assert!(!is_legacy_format("# c\n[[server]]\naddress = \"127.0.0.1\"\n"));
        assert!(!is_legacy_format("a=\"b\"\n"));
        assert!(is_legacy_format("[::1]:1812 s3cret\n"));
    }

    #[test]
    fn a_bad_line_names_file_and_line() {
        let err = parse("127.0.0.1 s 3\n\nlonely\n", Path::new("/x.conf"), Families::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/x.conf:3: expected `server[:port] secret [timeout [source_ip [vrf]]]`"
        );
        let err = parse("127.0.0.1 s soon\n", Path::new("/x.conf"), Families::default()).unwrap_err();
        assert!(err.to_string().contains("/x.conf:1: timeout `soon`"), "{err}");
    }

    /// A name resolves to an address of an allowed family; a literal of a
    /// disabled family is kept as written, for the module to skip (as
    /// pam_radius_auth skips a server it has no socket for).
    #[test]
    fn families_choose_addresses() {
        let only4 = Families { ipv4: true, ipv6: false };
        let c = parse("::1 s\n127.0.0.1 t\n", Path::new("/x"), only4).unwrap();
        assert!(c.servers[0].ip.is_ipv6() && c.servers[1].ip.is_ipv4());
        let c = parse("localhost s\n", Path::new("/x"), only4).unwrap();
        assert!(c.servers[0].ip.is_ipv4());
    }
}
