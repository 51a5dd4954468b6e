//! The TOML configuration (`/etc/radius_rs/radius.toml` by default).
//!
//! [`Config::load`] reads and validates a file; every error names the file,
//! the line and the key. Unknown keys are refused. Warnings (short secrets,
//! a world-readable file holding secrets) are returned beside the config so
//! each tool can print or log them.

pub mod cache;
pub mod duration;
pub mod legacy;
mod locate;
pub mod radiusclient;
pub mod read;
#[cfg(test)]
mod reference;
pub(crate) mod model;

pub use legacy::Families;
pub use model::{
    Protocol,
    ClientSection, ConfigFile, IncomingClientSection, IncomingSection, MaxWait, PppSection, RegistrySection, SecretSource,
    ServerSection, Service, SessionsSection, UserSection, AccountingSection,
};

use crate::secret::Secret;
use crate::sources::{Sources, System};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default configuration path.
pub const DEFAULT_PATH: &str = "/etc/radius_rs/radius.toml";

/// Secrets this short or shorter draw a warning (draft-ietf-radext-deprecating-radius).
pub const SHORT_SECRET_LEN: usize = 12;

/// A configuration that cannot be used. Nothing is authenticated with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read configuration: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read but a key is missing, unknown or wrong.
    #[error("{}", format_invalid(path, *line, key, message))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The key path, e.g. `server[0].auth_port`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn format_invalid(path: &Path, line: Option<usize>, key: &str, message: &str) -> String {
    match (line, key.is_empty()) {
        (Some(l), false) => format!("{}:{l}: key `{key}`: {message}", path.display()),
        (Some(l), true) => format!("{}:{l}: {message}", path.display()),
        (None, false) => format!("{}: key `{key}`: {message}", path.display()),
        (None, true) => format!("{}: {message}", path.display()),
    }
}

/// Something legal but unwise in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning(pub String);

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One RADIUS server, resolved.
#[derive(Debug, Clone)]
pub struct Server {
    /// Position in the file (0-based), for messages.
    pub index: usize,
    /// The address as written.
    pub name: String,
    /// IP address.
    pub ip: IpAddr,
    /// VRF (Linux device to bind to), if any.
    pub vrf: Option<String>,
    /// Source address for this server (default `client.src_address`).
    pub src_address: Option<IpAddr>,
    /// Shared secret.
    pub secret: Secret,
    /// Authentication port.
    pub auth_port: u16,
    /// Accounting port.
    pub acct_port: u16,
    /// Services that use this server.
    pub services: Vec<Service>,
    /// Used for accounting only when the others fail.
    pub accounting_backup: bool,
    /// Per-try timeout for this server.
    pub timeout: Duration,
    /// Require Message-Authenticator in this server's replies.
    pub require_message_authenticator: bool,
    /// Probe liveness with Status-Server when a try goes unanswered.
    pub status_server: bool,
    /// RadSec (RFC 6614): TLS settings; None: UDP.
    pub tls: Option<std::sync::Arc<TlsSettings>>,
}

/// A RadSec server's TLS settings, resolved (paths absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// This host's certificate chain (PEM).
    pub certificate: PathBuf,
    /// Its private key (PEM).
    pub private_key: PathBuf,
    /// Trust anchors for the server's certificate (PEM).
    pub ca_file: PathBuf,
    /// The name the server's certificate must carry: a DNS name or an IP address.
    pub server_name: String,
}

impl Server {
    /// The authentication endpoint.
    pub fn auth_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.auth_port)
    }

    /// The accounting endpoint.
    pub fn acct_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.acct_port)
    }

    /// True when `service` may use this server.
    pub fn serves(&self, service: Service) -> bool {
        self.services.contains(&service)
    }
}

/// One server allowed to send Disconnect / CoA requests.
#[derive(Debug, Clone)]
pub struct IncomingClient {
    /// Its source address.
    pub ip: IpAddr,
    /// The shared secret.
    pub secret: Secret,
}

/// `[incoming]`, resolved: the section as written and its clients.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The section as written (its `clients` are resolved into [`Incoming::clients`]).
    pub section: IncomingSection,
    /// Who may send requests.
    pub clients: Vec<IncomingClient>,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from.
    pub path: PathBuf,
    /// Client-wide settings (`[client]`, as written; an empty
    /// `nas_identifier` is taken as none).
    pub client: ClientSection,
    /// `[client] src_address`, resolved: the local address requests go out from.
    pub src_address: Option<IpAddr>,
    /// Servers in the order they are tried.
    pub servers: Vec<Server>,
    /// Legal but unwise settings found while loading.
    pub warnings: Vec<ConfigWarning>,
    /// `[registry]` and `[users.NAME]` as written (radius-host's user
    /// registry is built from them).
    pub user_tables: UserTables,
    /// The pppd plugin's settings (`[ppp]`).
    pub ppp: PppSection,
    /// The live-session registry (`[sessions]`).
    pub sessions: SessionsSection,
    /// Disconnect / CoA requests (`[incoming]`).
    pub incoming: Incoming,
    /// The accounting spool (`[accounting]`).
    pub accounting: AccountingSection,
}

/// The user registry's tables, as written.
#[derive(Debug, Clone, Default)]
pub struct UserTables {
    /// `[registry]`, if written.
    pub registry: Option<RegistrySection>,
    /// `[users.NAME]`.
    pub users: BTreeMap<String, UserSection>,
}

impl Config {
    /// Reads, parses and validates the file at `path`: our TOML, a
    /// `pam_radius_auth.conf` server list (see [`legacy`]), or pppd
    /// radius.so's `radiusclient.conf` (see [`radiusclient`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Config::load_with_families(path, Families::default())
    }

    /// As [`Config::load`], resolving a pam_radius_auth file's hostnames
    /// only to the allowed address families.
    pub fn load_with_families(path: impl AsRef<Path>, families: Families) -> Result<Config, ConfigError> {
        Config::read(path.as_ref(), families, &cache::Recorder::default())
    }

    /// As [`Config::load_with_families`], for a process that loads its
    /// configuration again and again (the PAM module, at every
    /// transaction): what this process loaded before is used again while
    /// none of the files it was read from changed (see [`cache`]): the
    /// same one, shared, not a copy.
    pub fn load_kept(path: impl AsRef<Path>, families: Families) -> Result<std::sync::Arc<Config>, ConfigError> {
        let path = path.as_ref();
        cache::load(path, families, |files| Config::read(path, families, files))
    }

    fn read(path: &Path, families: Families, files: &cache::Recorder) -> Result<Config, ConfigError> {
        // The text holds the shared secrets: wiped when dropped.
        let (text, mode) = files.read_with_mode(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut config = Config::from_text(&text, path, families, files)?;
        if let Some(w) = world_readable_warning(path, mode, &config) {
            config.warnings.push(w);
        }
        Ok(config)
    }

    /// Parses and validates a configuration's text (TOML or a
    /// pam_radius_auth.conf, by its content), reading named files and
    /// resolving names through `sources`.
    pub fn from_text(text: &str, path: &Path, families: Families, sources: &dyn Sources) -> Result<Config, ConfigError> {
        if radiusclient::is_radiusclient_format(text) {
            radiusclient::parse_with(text, path, sources)
        } else if legacy::is_legacy_format(text) {
            legacy::parse_with(text, path, families, sources)
        } else {
            Config::from_toml_with(text, path, sources)
        }
    }

    /// Parses and validates TOML text; `path` is used in messages and to
    /// resolve a relative `secret_file`.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::from_toml_with(text, path, &System)
    }

    /// As [`Config::from_toml`], with the host's files and names from `sources`.
    pub fn from_toml_with(text: &str, path: &Path, sources: &dyn Sources) -> Result<Config, ConfigError> {
        let file = parse(text, path)?;
        resolve(file, text, path, sources)
    }

    /// Servers that `service` uses for authentication, in order (a server
    /// with no authentication port, 0, is for accounting only).
    pub fn auth_servers(&self, service: Service) -> Vec<&Server> {
        self.servers
            .iter()
            .filter(|s| s.serves(service) && !s.accounting_backup && s.auth_port != 0)
            .collect()
    }

    /// Servers that `service` uses for accounting: the primaries in order,
    /// then the `accounting_backup` ones (none with accounting port 0).
    pub fn acct_servers(&self, service: Service) -> Vec<&Server> {
        let serving = self.servers.iter().filter(|s| s.serves(service) && s.acct_port != 0);
        let (backup, primary): (Vec<&Server>, Vec<&Server>) =
            serving.partition(|s| s.accounting_backup);
        primary.into_iter().chain(backup).collect()
    }
}

/// The file's tables. An error is placed by its span: the line, and the
/// key path (for a syntax error, the key written on that line).
fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    read::config_file(text).map_err(|e| {
        let line = e.span.as_ref().map(|s| locate::line_of_offset(text, s.start));
        let key = match (&e.span, e.key.is_empty()) {
            (Some(s), true) => locate::key_at_offset(text, s.start),
            _ => e.key,
        };
        ConfigError::Invalid { path: path.to_path_buf(), line, key, message: e.message }
    })
}

fn resolve(mut file: ConfigFile, text: &str, path: &Path, sources: &dyn Sources) -> Result<Config, ConfigError> {
    let invalid = |key: String, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: locate::line_of(text, &key),
        key,
        message,
    };
    let mut client = file.client;
    if client.timeout.is_zero() {
        return Err(invalid("client.timeout".into(), "must be more than 0".into()));
    }
    for (key, value) in [("login", client.max_wait.login), ("ppp", client.max_wait.ppp), ("accounting", client.max_wait.accounting)] {
        if value.is_zero() {
            return Err(invalid(format!("client.max_wait.{key}"), "must be more than 0".into()));
        }
    }
    client.nas_identifier = client.nas_identifier.filter(|s| !s.is_empty());
    client.src_address = client.src_address.filter(|s| !s.is_empty());
    let src_address = match client.src_address.as_deref() {
        None => None,
        Some(text) => match resolve_address(text, 0, sources).map_err(|m| invalid("client.src_address".into(), m))? {
            (ip, None) => Some(ip),
            (_, Some(_)) => return Err(invalid("client.src_address".into(), format!("`{text}`: a source address takes no `@vrf` (set it per server)"))),
        },
    };
    let mut warnings = Vec::new();
    let mut servers = Vec::new();
    for (index, s) in std::mem::take(&mut file.servers).into_iter().enumerate() {
        let key = |k: &str| format!("server[{index}].{k}");
        let (default_auth, default_acct) = s.protocol.default_ports();
        let (auth_port, acct_port) = (s.auth_port.unwrap_or(default_auth), s.acct_port.unwrap_or(default_acct));
        let (ip, vrf) = resolve_address(&s.address, auth_port, sources).map_err(|m| invalid(key("address"), m))?;
        let base = path.parent().unwrap_or(Path::new("/"));
        let tls = tls_settings(&s, base).map_err(|(k, m)| invalid(key(k), m))?;
        let secret = match (s.secret, s.secret_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(key("secret"), "give `secret` or `secret_file`, not both".into()))
            }
            // RFC 6614 2.3: over TLS the secret protects nothing; "radsec" by convention.
            (None, None) if tls.is_some() => Secret::from("radsec".to_string()),
            (None, None) => {
                return Err(invalid(format!("server[{index}]"), format!(
                    "server {} has no `secret` (or `secret_file`)",
                    s.address
                )))
            }
            (Some(secret), None) => secret,
            (None, Some(file)) => {
                let file = path.parent().unwrap_or(Path::new("/")).join(file);
                warnings.extend(secret_file_warning(&file));
                read_secret_file(&file, sources).map_err(|m| invalid(key("secret_file"), m))?
            }
        };
        if secret.is_empty() {
            return Err(invalid(key("secret"), "the shared secret is empty".into()));
        }
        if secret.len() <= SHORT_SECRET_LEN && tls.is_none() {
            warnings.push(ConfigWarning(format!(
                "{}: server {} has a shared secret of {} bytes; secrets of {} bytes or fewer can be guessed \
                 offline from one captured packet (draft-ietf-radext-deprecating-radius): use 16 or more random bytes",
                path.display(),
                s.address,
                secret.len(),
                SHORT_SECRET_LEN
            )));
        }
        if s.services.is_empty() {
            return Err(invalid(key("services"), "lists no service: this server would never be used".into()));
        }
        if matches!(s.timeout, Some(t) if t.is_zero()) {
            return Err(invalid(key("timeout"), "must be more than 0".into()));
        }
        servers.push(Server {
            index,
            name: s.address.clone(),
            ip,
            vrf,
            src_address: None,
            secret,
            auth_port,
            acct_port,
            services: s.services,
            accounting_backup: s.accounting_backup,
            timeout: s.timeout.unwrap_or(client.timeout),
            require_message_authenticator: s
                .require_message_authenticator
                .unwrap_or(client.require_message_authenticator),
            status_server: s.status_server,
            tls,
        });
    }
    if servers.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            line: None,
            key: "server".into(),
            message: "no [[server]] is configured".into(),
        });
    }
    if file.ppp.order.is_empty() {
        return Err(invalid("ppp.order".into(), "lists no source: name `local`, `radius` or both".into()));
    }
    if file.ppp.order.iter().enumerate().any(|(i, s)| file.ppp.order[..i].contains(s)) {
        return Err(invalid("ppp.order".into(), "names a source twice".into()));
    }
    if file.accounting.drain_interval.is_zero() {
        return Err(invalid("accounting.drain_interval".into(), "must be more than 0".into()));
    }
    if file.accounting.spool_max_records == 0 {
        return Err(invalid("accounting.spool_max_records".into(), "must be more than 0".into()));
    }
    if file.ppp.control_poll.is_zero() {
        return Err(invalid("ppp.control_poll".into(), "must be more than 0".into()));
    }
    let incoming =
        resolve_incoming(std::mem::take(&mut file.incoming), &servers, path, &mut warnings, sources).map_err(|(k, m)| invalid(k, m))?;
    Ok(Config {
        path: path.to_path_buf(),
        client,
        src_address,
        servers,
        warnings,
        user_tables: UserTables { registry: file.registry, users: file.users },
        ppp: file.ppp,
        sessions: file.sessions,
        incoming,
        accounting: file.accounting,
    })
}

/// `[incoming]`: its clients, by default the servers with their secrets.
fn resolve_incoming(
    mut section: IncomingSection,
    servers: &[Server],
    path: &Path,
    warnings: &mut Vec<ConfigWarning>,
    sources: &dyn Sources,
) -> Result<Incoming, (String, String)> {
    if section.accept && section.listen.is_empty() {
        return Err(("incoming.listen".into(), "lists no address: requests could never arrive".into()));
    }
    if section.event_timestamp_window.is_zero() {
        return Err(("incoming.event_timestamp_window".into(), "must be more than 0".into()));
    }
    if section.stale_check.is_zero() || section.hook_timeout.is_zero() {
        return Err(("incoming.stale_check".into(), "stale_check and hook_timeout must be more than 0".into()));
    }
    let mut clients = Vec::new();
    for (i, c) in std::mem::take(&mut section.clients).into_iter().enumerate() {
        let key = format!("incoming.client[{i}].secret");
        let secret = match (c.secret, c.secret_file) {
            (Some(s), None) => s,
            (None, Some(f)) => {
                let file = path.parent().unwrap_or(Path::new("/")).join(f);
                warnings.extend(secret_file_warning(&file));
                read_secret_file(&file, sources).map_err(|m| (key.clone(), m))?
            }
            _ => return Err((key, "give `secret` or `secret_file` (one of them)".into())),
        };
        if secret.is_empty() {
            return Err((key, "the shared secret is empty".into()));
        }
        clients.push(IncomingClient { ip: c.address, secret });
    }
    if clients.is_empty() {
        clients = servers.iter().map(|s| IncomingClient { ip: s.ip, secret: s.secret.clone() }).collect();
    }
    Ok(Incoming { section, clients })
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; any other address as it is (a peer
/// reaching a dual-stack socket over IPv4 shows up IPv4-mapped).
pub fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Splits `"addr"` / `"addr@vrf"` / `"[v6]"` into an address and a VRF.
/// A server's `address`: an IP literal as [`parse_address`] reads it, or
/// a host name (optionally `name@vrf`) resolved through `sources` when the
/// configuration is loaded (its first address; an error naming it when it
/// does not resolve), as pam_radius_auth and radiusclient take names.
pub fn resolve_address(text: &str, port: u16, sources: &dyn Sources) -> Result<(IpAddr, Option<String>), String> {
    match parse_address(text) {
        Ok(literal) => Ok(literal),
        Err(not_ip) => {
            let (name, vrf) = match text.rsplit_once('@') {
                Some((n, v)) if !v.is_empty() => (n, Some(v.to_string())),
                Some(_) => return Err(not_ip),
                None => (text, None),
            };
            let plausible = !name.is_empty() && name.len() <= 253 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !plausible {
                return Err(format!("`{text}` is not an IP address or a host name (optionally `@vrf`)"));
            }
            let addrs = sources.resolve(name, port).map_err(|e| format!("cannot resolve `{name}`: {e}"))?;
            let ip = addrs.first().copied().ok_or_else(|| format!("`{name}` resolves to no address"))?;
            Ok((unmapped(ip), vrf))
        }
    }
}

/// An IP literal `address`, optionally `addr@vrf` or `[v6]`.
pub fn parse_address(text: &str) -> Result<(IpAddr, Option<String>), String> {
    let (addr, vrf) = match text.rsplit_once('@') {
        Some((a, v)) if !v.is_empty() => (a, Some(v.to_string())),
        Some(_) => return Err(format!("`{text}` has an empty VRF after `@`")),
        None => (text, None),
    };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip = addr
        .parse::<IpAddr>()
        .map_err(|_| format!("`{text}` is not an IPv4 or IPv6 address (optionally `@vrf`)"))?;
    Ok((ip, vrf))
}

/// A `[[server]]`'s TLS settings: all three files with RadSec (mutual
/// authentication), none without. Never inlined into the loader, whose
/// pages every pppd maps: most configurations have no RadSec server.
#[inline(never)]
fn tls_settings(
    s: &ServerSection,
    base: &Path,
) -> Result<Option<std::sync::Arc<TlsSettings>>, (&'static str, String)> {
    let given = [
        ("certificate", &s.certificate),
        ("private_key", &s.private_key),
        ("ca_file", &s.ca_file),
    ];
    if s.protocol == Protocol::Udp {
        if let Some((k, _)) = given.iter().find(|(_, v)| v.is_some()) {
            return Err((k, "is for `protocol = \"radsec\"` only".into()));
        }
        if s.server_name.is_some() {
            return Err(("server_name", "is for `protocol = \"radsec\"` only".into()));
        }
        return Ok(None);
    }
    let file = |k: &'static str, v: &Option<PathBuf>| match v {
        Some(p) if !p.as_os_str().is_empty() => Ok(base.join(p)),
        _ => Err((k, format!("RadSec needs `{k}` (mutual TLS authentication)"))),
    };
    let (address, _) = s.address.split_once('@').unwrap_or((&s.address, ""));
    Ok(Some(std::sync::Arc::new(TlsSettings {
        certificate: file("certificate", &s.certificate)?,
        private_key: file("private_key", &s.private_key)?,
        ca_file: file("ca_file", &s.ca_file)?,
        server_name: s
            .server_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| address.trim_matches(['[', ']']).to_string()),
    })))
}

/// The first line of a secret file; the file's text is wiped after.
fn read_secret_file(file: &Path, sources: &dyn Sources) -> Result<Secret, String> {
    let text = sources.read(file).map_err(|e| format!("cannot read secret file {}: {e}", file.display()))?;
    let first = text.lines().next().unwrap_or("").trim_end();
    Ok(Secret::new(first.as_bytes().to_vec()))
}

/// A file holding a secret that every user can read: a warning when `mode`
/// (the permission bits of `file`) lets every user read it.
fn readable_by_all(file: &Path, mode: u32, what: &str) -> Option<ConfigWarning> {
    (mode & 0o004 != 0).then(|| {
        ConfigWarning(format!(
            "{} holds {what} and is readable by every user (mode {:o}): chmod 600 it, \
             or 640 with a group of its readers",
            file.display(),
            mode & 0o777
        ))
    })
}

fn secret_file_warning(file: &Path) -> Option<ConfigWarning> {
    use std::os::unix::fs::PermissionsExt;
    readable_by_all(file, std::fs::metadata(file).ok()?.permissions().mode(), "a shared secret")
}

fn world_readable_warning(path: &Path, mode: u32, config: &Config) -> Option<ConfigWarning> {
    if config.servers.is_empty() {
        return None;
    }
    readable_by_all(path, mode, "shared secrets")
}

#[cfg(test)]
mod tests;
