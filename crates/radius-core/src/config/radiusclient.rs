//! `radiusclient.conf` and its `servers` file: the configuration of pppd's
//! own radius.so (its `radius-config-file` option), read with the same
//! meaning so `plugin radius_rs.so` replaces `plugin radius.so` without
//! editing the peer files.
//!
//! ```text
//! authserver      radius1.example.net:1812,radius2.example.net
//! acctserver      radius1.example.net:1813 radius2.example.net
//! servers         /etc/radiusclient/servers     # `host secret` lines
//! dictionary      /etc/radiusclient/dictionary  # accepted, not read
//! radius_timeout  10                            # seconds per try
//! radius_retries  3                             # tries per server
//! nas_identifier  bras-1
//! bindaddr        192.0.2.1                     # `*`: any
//! default_realm   example.net                   # appended as user@realm
//! ```
//!
//! As radiusclient reads it: one `keyword value` per line, `#` at the start
//! of a line comments it out, a keyword given twice is an error, an unknown
//! one a warning. Server lists are separated by spaces, tabs or commas and
//! tried in order; a server without `:port` uses 1812 (authentication) or
//! 1813 (accounting); its secret is the `servers` line whose host is the
//! server's name or resolves to its address (the `name1/name2` paired form
//! matches either name). `authserver`, `acctserver` and `servers` are
//! required, `radius_timeout` and `radius_retries` must be positive. The
//! keys of radiusclient's login programs (`auth_order`, `login_tries`,
//! `login_timeout`, `nologin`, `issue`, `login_radius`, `login_local`),
//! `seqfile`, `mapfile` and `dictionary` are accepted and have no effect:
//! radius_rs keeps its own dictionary and identifiers.
//!
//! radius.so does not require Message-Authenticator in replies, and neither
//! does this format (once a server has signed a reply it is required from
//! it, as for a pam_radius_auth file).

use super::{ClientSection, Config, ConfigError, ConfigWarning, Server, Service};
use crate::secret::Secret;
use crate::sources::Sources;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

const AUTH_PORT: u16 = 1812;
const ACCT_PORT: u16 = 1813;

/// Keywords radiusclient knows that radius_rs accepts without using.
const IGNORED: &[&str] =
    &["auth_order", "login_tries", "login_timeout", "nologin", "issue", "dictionary", "login_radius", "seqfile", "mapfile", "login_local"];
/// Keywords radius_rs uses.
const USED: &[&str] =
    &["authserver", "acctserver", "servers", "radius_timeout", "radius_retries", "nas_identifier", "bindaddr", "default_realm"];

/// True when `text` is a radiusclient.conf: some line names `authserver`
/// or `acctserver`, keywords neither TOML nor a pam_radius_auth server
/// line starts with.
pub fn is_radiusclient_format(text: &str) -> bool {
    text.lines().any(|l| matches!(l.split_whitespace().next(), Some("authserver" | "acctserver")))
}

/// Parses a radiusclient.conf at `path`, reading its `servers` file and
/// resolving server names through `sources`. Never inlined into
/// [`Config::from_text`](super::Config::from_text): a process reads one
/// format, and only the code it runs is mapped (every pppd maps its own).
#[inline(never)]
pub fn parse_with(text: &str, path: &Path, sources: &dyn Sources) -> Result<Config, ConfigError> {
    let invalid = |line: Option<usize>, key: &str, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        key: key.to_string(),
        message,
    };
    let mut values: Vec<(&str, &str, usize)> = Vec::new();
    let mut warnings = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = number + 1;
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let (key, value) = match raw.trim_start().split_once([' ', '\t']) {
            Some((k, v)) => (k, v.trim()),
            None => (raw.trim(), ""),
        };
        if !USED.contains(&key) && !IGNORED.contains(&key) {
            warnings.push(ConfigWarning(format!("{}:{line}: unrecognized keyword `{key}` (ignored, as radius.so does)", path.display())));
            continue;
        }
        if values.iter().any(|(k, _, _)| *k == key) {
            return Err(invalid(Some(line), key, "duplicate option line".into()));
        }
        values.push((key, value, line));
    }
    let get = |key: &str| values.iter().find(|(k, _, _)| *k == key).map(|(_, v, l)| (*v, *l));
    let required = |key: &str| match get(key) {
        Some((v, l)) if !v.is_empty() => Ok((v, l)),
        _ => Err(invalid(None, key, format!("no {key} specified"))),
    };
    let positive = |key: &str, default: u32| -> Result<u32, ConfigError> {
        match get(key) {
            None => Ok(default),
            Some((v, l)) => match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
                _ => Err(invalid(Some(l), key, format!("`{v}`: must be a whole number above 0"))),
            },
        }
    };
    let (auth, auth_line) = required("authserver")?;
    let (acct, acct_line) = required("acctserver")?;
    let (servers_file, servers_line) = required("servers")?;
    // radiusclient's defaults when the keys are absent are undefined (it
    // refuses to start); radius.so's sample file says 10 s and 3 tries.
    let timeout = positive("radius_timeout", 10)?;
    let tries = positive("radius_retries", 3)?;

    let list = |text: &str, default_port: u16, line: usize, key: &str| -> Result<Vec<(String, IpAddr, u16)>, ConfigError> {
        text.split([' ', '\t', ','])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let (name, port) = match w.rsplit_once(':') {
                    Some((n, p)) if !n.contains(':') => {
                        (n, p.parse::<u16>().map_err(|_| invalid(Some(line), key, format!("`{w}`: the port is not a number")))?)
                    }
                    _ => (w, default_port),
                };
                let ip = resolve(name, port, sources).map_err(|m| invalid(Some(line), key, m))?;
                Ok((name.to_string(), ip, port))
            })
            .collect()
    };
    let auth = list(auth, AUTH_PORT, auth_line, "authserver")?;
    let acct = list(acct, ACCT_PORT, acct_line, "acctserver")?;

    let servers_path = Path::new(servers_file);
    let servers_path = if servers_path.is_relative() { path.parent().unwrap_or(Path::new("/")).join(servers_path) } else { servers_path.to_path_buf() };
    let servers_text = sources
        .read(&servers_path)
        .map_err(|e| invalid(Some(servers_line), "servers", format!("cannot read {}: {e}", servers_path.display())))?;
    let secret_for = |name: &str, ip: IpAddr| -> Result<Secret, ConfigError> {
        find_secret(&servers_text, name, ip, sources).ok_or_else(|| {
            invalid(Some(servers_line), "servers", format!("no secret for RADIUS server {name} in {}", servers_path.display()))
        })
    };

    // One server per address: its authentication port from `authserver`,
    // its accounting port from `acctserver`; 0 where it has no such job.
    let mut servers: Vec<Server> = Vec::new();
    let jobs = auth.into_iter().map(|a| (a, true)).chain(acct.into_iter().map(|a| (a, false)));
    for ((name, ip, port), is_auth) in jobs {
        if let Some(s) = servers.iter_mut().find(|s| s.ip == ip) {
            if is_auth && s.auth_port == 0 {
                s.auth_port = port;
            } else if !is_auth && s.acct_port == 0 {
                s.acct_port = port;
            }
            continue;
        }
        let secret = secret_for(&name, ip)?;
        servers.push(Server {
            index: servers.len(),
            name,
            ip,
            vrf: None,
            src_address: None,
            secret,
            auth_port: if is_auth { port } else { 0 },
            acct_port: if is_auth { 0 } else { port },
            services: vec![Service::Ppp, Service::Login],
            accounting_backup: false,
            timeout: Duration::from_secs(timeout.into()),
            require_message_authenticator: false,
            status_server: true,
            tls: None,
        });
    }

    let src_address = match get("bindaddr") {
        None | Some(("*" | "", _)) => None,
        Some((v, l)) => Some(v.parse::<IpAddr>().map_err(|_| invalid(Some(l), "bindaddr", format!("`{v}` is not an IP address or `*`")))?),
    };
    let client = ClientSection {
        nas_identifier: get("nas_identifier").map(|(v, _)| v.to_string()).filter(|v| !v.is_empty()),
        src_address: src_address.map(|ip: IpAddr| ip.to_string()),
        timeout: Duration::from_secs(timeout.into()),
        retries: tries - 1,
        require_message_authenticator: false,
        realm: get("default_realm").map(|(v, _)| v.to_string()).unwrap_or_default(),
        ..ClientSection::default()
    };
    Ok(Config {
        path: path.to_path_buf(),
        client,
        src_address,
        servers,
        warnings,
        user_tables: Default::default(),
        ppp: Default::default(),
        sessions: Default::default(),
        // radius.so takes no Disconnect or CoA.
        incoming: super::Incoming { section: Default::default(), clients: Vec::new() },
        // The spool as in radius.toml: a record no server takes is kept.
        accounting: Default::default(),
    })
}

/// A server name as radiusclient writes it: an address or a host name
/// (through the same resolution as a radius.toml `address`), no `@vrf`.
fn resolve(name: &str, port: u16, sources: &dyn Sources) -> Result<IpAddr, String> {
    match super::resolve_address(name, port, sources)? {
        (ip, None) => Ok(ip),
        (_, Some(_)) => Err(format!("`{name}`: radiusclient has no `@vrf`")),
    }
}

/// The secret of the `servers` line for the server `name` at `ip`: the
/// first line whose host (or one of a `name1/name2` pair) is `name` or
/// resolves to `ip`.
fn find_secret(text: &str, name: &str, ip: IpAddr, sources: &dyn Sources) -> Option<Secret> {
    let matches = |host: &str| host == name || resolve(host, AUTH_PORT, sources).is_ok_and(|a| a == ip);
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut words = l.split_whitespace();
        let (host, secret) = (words.next()?, words.next()?);
        host.split('/').any(matches).then(|| Secret::from(secret.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::path::PathBuf;
    use zeroize::Zeroizing;

    /// Files from a map, names from a table.
    struct Fake(Vec<(PathBuf, String)>);

    impl Sources for Fake {
        fn read(&self, path: &Path) -> io::Result<Zeroizing<String>> {
            self.0.iter().find(|(p, _)| p == path).map(|(_, t)| Zeroizing::new(t.clone())).ok_or_else(|| io::ErrorKind::NotFound.into())
        }
        fn resolve(&self, host: &str, _: u16) -> io::Result<Vec<IpAddr>> {
            match host {
                "localhost" => Ok(vec![IpAddr::from([127, 0, 0, 1])]),
                "radius2.example.net" => Ok(vec![IpAddr::from([192, 0, 2, 2])]),
                _ => Err(io::ErrorKind::NotFound.into()),
            }
        }
    }

    const SAMPLE: &str = "# radiusclient.conf as radius.so's documentation ships it\n\
        auth_order\tradius\nlogin_tries\t4\nlogin_timeout\t60\nnologin /etc/nologin\nissue\t/etc/radiusclient/issue\n\
        authserver \tlocalhost, radius2.example.net:1645\nacctserver \tlocalhost radius2.example.net:1646\n\
        servers\t\t/etc/radiusclient/servers\ndictionary \t/etc/radiusclient/dictionary\n\
        login_radius\t/usr/sbin/login.radius\nseqfile\t\t/var/run/radius.seq\nmapfile\t\t/etc/radiusclient/port-id-map\n\
        default_realm\nradius_timeout\t10\nradius_retries\t3\nnas_identifier bras-7\nbindaddr *\nlogin_local\t/bin/login\n";

    fn sources(servers: &str) -> Fake {
        Fake(vec![(PathBuf::from("/etc/radiusclient/servers"), servers.to_string())])
    }

    #[test]
    fn reads_radius_so_configuration_with_its_meaning() {
        assert!(is_radiusclient_format(SAMPLE));
        assert!(!is_radiusclient_format("127.0.0.1 secret 3\n") && !is_radiusclient_format("[client]\n"));
        let s = sources("# host secret\n127.0.0.1\tlocal-secret\nradius2.example.net  second-secret\n");
        let c = parse_with(SAMPLE, Path::new("/etc/radiusclient/radiusclient.conf"), &s).unwrap();
        assert_eq!(c.servers.len(), 2);
        let (a, b) = (&c.servers[0], &c.servers[1]);
        assert_eq!((a.ip.to_string(), a.auth_port, a.acct_port), ("127.0.0.1".into(), 1812, 1813));
        assert_eq!((b.ip.to_string(), b.auth_port, b.acct_port), ("192.0.2.2".into(), 1645, 1646));
        assert_eq!(a.secret.expose(), b"local-secret", "matched by address");
        assert_eq!(b.secret.expose(), b"second-secret", "matched by name");
        assert_eq!((c.client.timeout, c.client.retries), (Duration::from_secs(10), 2), "3 tries");
        assert_eq!(c.client.nas_identifier.as_deref(), Some("bras-7"));
        assert_eq!((c.client.src_address, c.client.realm.as_str()), (None, ""));
        assert!(!c.client.require_message_authenticator && !a.require_message_authenticator);
        assert!(a.serves(Service::Ppp));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    /// A server only for accounting is not asked to authenticate, and the
    /// other way round.
    #[test]
    fn servers_for_one_job_only() {
        let conf = "authserver 127.0.0.1\nacctserver radius2.example.net:1813\nservers /etc/radiusclient/servers\n";
        let c = parse_with(conf, Path::new("/etc/radiusclient/radiusclient.conf"), &sources("127.0.0.1 a\n192.0.2.2 b\n")).unwrap();
        let auth: Vec<String> = c.auth_servers(Service::Ppp).iter().map(|s| s.ip.to_string()).collect();
        let acct: Vec<String> = c.acct_servers(Service::Ppp).iter().map(|s| s.ip.to_string()).collect();
        assert_eq!((auth, acct), (vec!["127.0.0.1".to_string()], vec!["192.0.2.2".to_string()]));
    }

    #[test]
    fn broken_files_are_errors_naming_the_line() {
        let p = Path::new("/etc/radiusclient/radiusclient.conf");
        let s = sources("127.0.0.1 a\n");
        let err = |conf: &str| parse_with(conf, p, &s).unwrap_err().to_string();
        assert!(err("acctserver 127.0.0.1\nservers /etc/radiusclient/servers\n").contains("no authserver specified"));
        assert!(err("authserver 127.0.0.1\nauthserver 127.0.0.2\n").contains(":2: key `authserver`: duplicate option line"));
        let base = "authserver 127.0.0.1\nacctserver 127.0.0.1\nservers /etc/radiusclient/servers\n";
        assert!(err(&format!("{base}radius_timeout 0\n")).contains(":4: key `radius_timeout`"));
        assert!(err(&format!("{base}radius_retries -1\n")).contains("radius_retries"));
        assert!(err(&format!("{base}bindaddr nowhere\n")).contains("bindaddr"));
        assert!(err("authserver 10.9.9.9\nacctserver 10.9.9.9\nservers /etc/radiusclient/servers\n").contains("no secret for RADIUS server 10.9.9.9"));
        assert!(err("authserver 127.0.0.1\nacctserver 127.0.0.1\nservers /nowhere\n").contains("cannot read /nowhere"));
        let c = parse_with(&format!("{base}frobnicate 1\n"), p, &s).unwrap();
        assert!(c.warnings[0].0.contains("unrecognized keyword `frobnicate`"));
    }
}
