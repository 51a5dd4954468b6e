//! The configuration file as written, one struct per table (read from the
//! text by `read`, which refuses unknown keys).

use crate::secret::Secret;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A service that uses RADIUS; each server lists the ones it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Logins through the PAM module.
    Login,
    /// PPP sessions through the pppd plugin.
    Ppp,
}

impl Service {
    /// The name used in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Login => "login",
            Service::Ppp => "ppp",
        }
    }
}

impl std::str::FromStr for Service {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "login" => Ok(Service::Login),
            "ppp" => Ok(Service::Ppp),
            other => Err(format!("unknown service `{other}`: use login or ppp")),
        }
    }
}

/// The whole file.
#[derive(Debug)]
pub struct ConfigFile {
    /// Client-wide settings (`[client]`).
    pub client: ClientSection,
    /// RADIUS servers (`[[server]]`), tried in order.
    // In the file: `server`.
    pub servers: Vec<ServerSection>,
    /// The user registry's defaults (`[registry]`).
    pub registry: Option<RegistrySection>,
    /// Registered users (`[users.NAME]`).
    pub users: BTreeMap<String, UserSection>,
    /// The pppd plugin (`[ppp]`).
    pub ppp: PppSection,
    /// Where live sessions are recorded (`[sessions]`).
    pub sessions: SessionsSection,
    /// Disconnect / CoA requests from RADIUS servers (`[incoming]`, radius-rs-dmd).
    pub incoming: IncomingSection,
    /// The durable accounting spool (`[accounting]`).
    pub accounting: AccountingSection,
}

/// `[accounting]`: records no server took are kept on disk, and
/// radius-rs-dmd (or `radius-rs spool drain`) delivers them when a server
/// answers again, in order per session.
#[derive(Debug, Clone)]
pub struct AccountingSection {
    /// Keep undelivered records (default true); false: a record no server
    /// takes is logged and lost, as pppd's radius.so does.
    pub spool: bool,
    /// The spool: a root-owned directory, mode 0700, one file per record
    /// (default /var/spool/radius_rs).
    pub spool_dir: PathBuf,
    /// At most this many records are kept (default 100000); when full the
    /// oldest Interim-Updates are dropped, never a Start or a Stop.
    pub spool_max_records: usize,
    /// How often radius-rs-dmd tries to deliver spooled records (default 10s).
    pub drain_interval: Duration,
}

impl Default for AccountingSection {
    fn default() -> Self {
        AccountingSection {
            spool: true,
            spool_dir: PathBuf::from("/var/spool/radius_rs"),
            spool_max_records: 100_000,
            drain_interval: Duration::from_secs(10),
        }
    }
}

/// `[incoming]`: RFC 5176 Disconnect / CoA requests received by
/// radius-rs-dmd (RouterOS `/radius incoming`).
#[derive(Debug, Clone)]
pub struct IncomingSection {
    /// Listen for requests at all (default false, as RouterOS).
    pub accept: bool,
    /// UDP port (default 1700, RouterOS; 3799 is the IANA port).
    pub port: u16,
    /// Addresses to listen on (default loopback only).
    pub listen: Vec<IpAddr>,
    /// VRF (Linux device) the sockets are bound to; empty: none.
    pub vrf: String,
    /// Drop requests without a valid Message-Authenticator (default true).
    pub require_message_authenticator: bool,
    /// How far Event-Timestamp may be from our clock, and how long answers
    /// are kept for duplicate requests (default 300s, RFC 5176 3.5).
    pub event_timestamp_window: Duration,
    /// Drop requests without Event-Timestamp (default false).
    pub require_event_timestamp: bool,
    /// Who may send requests; empty: the `[[server]]` list with its secrets.
    // In the file: `client`.
    pub clients: Vec<IncomingClientSection>,
    /// Script run for CoA attributes other than Session-Timeout,
    /// Idle-Timeout and Class (shaping: Mikrotik-Rate-Limit, Filter-Id, …).
    pub coa_hook: Option<PathBuf>,
    /// How long the hook may run (default 5s).
    pub hook_timeout: Duration,
    /// How often sessions whose pppd is gone are looked for (default 60s).
    pub stale_check: Duration,
}

impl Default for IncomingSection {
    fn default() -> Self {
        IncomingSection {
            accept: false,
            port: 1700,
            listen: vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)],
            vrf: String::new(),
            require_message_authenticator: true,
            event_timestamp_window: Duration::from_secs(300),
            require_event_timestamp: false,
            clients: Vec::new(),
            coa_hook: None,
            hook_timeout: Duration::from_secs(5),
            stale_check: Duration::from_secs(60),
        }
    }
}

/// `[[incoming.client]]`: one server allowed to send requests.
#[derive(Debug, Clone)]
pub struct IncomingClientSection {
    /// Its source address.
    pub address: IpAddr,
    /// Shared secret (or use `secret_file`).
    pub secret: Option<Secret>,
    /// File whose first line is the shared secret; relative to the config file.
    pub secret_file: Option<PathBuf>,
}

/// Who decides a PPP peer's credentials, in `[ppp] order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// pppd's own pap-secrets / chap-secrets: decides users it has a record of.
    Local,
    /// The RADIUS servers of service `ppp`.
    Radius,
}

/// `[ppp]`: the pppd plugin.
#[derive(Debug, Clone)]
pub struct PppSection {
    /// Sources asked in turn (default `["local", "radius"]`: the RouterOS
    /// rule, RADIUS only for users with no local record).
    pub order: Vec<SecretSource>,
    /// pppd's PAP secrets (pppd 2.4.9 itself always reads /etc/ppp/pap-secrets).
    pub pap_secrets: PathBuf,
    /// pppd's CHAP / MS-CHAP secrets.
    pub chap_secrets: PathBuf,
    /// The shortest Acct-Interim-Interval honoured (default 60s, RFC 2869 5.16).
    pub interim_floor: Duration,
    /// Where `radattr.<ifname>` files are written (default /var/run, as radattr.so).
    pub radattr_dir: PathBuf,
    /// How often a session looks for changes radius-rs-dmd left for it
    /// (CoA; default 1s).
    pub control_poll: Duration,
}

impl Default for PppSection {
    fn default() -> Self {
        PppSection {
            order: vec![SecretSource::Local, SecretSource::Radius],
            pap_secrets: PathBuf::from("/etc/ppp/pap-secrets"),
            chap_secrets: PathBuf::from("/etc/ppp/chap-secrets"),
            interim_floor: Duration::from_secs(60),
            radattr_dir: PathBuf::from("/var/run"),
            control_poll: Duration::from_secs(1),
        }
    }
}

/// `[sessions]`: the registry of live PPP sessions (read by radius-rs-dmd
/// and `radius-rs sessions`).
#[derive(Debug, Clone)]
pub struct SessionsSection {
    /// One file per live session (default /var/lib/radius_rs/sessions: on
    /// disk, so after a reboot radius-rs-dmd still knows which sessions
    /// were cut and sends their Stops).
    pub dir: PathBuf,
}

impl Default for SessionsSection {
    fn default() -> Self {
        SessionsSection { dir: PathBuf::from("/var/lib/radius_rs/sessions") }
    }
}

/// `[registry]`: what applies to users the registry does not name, and
/// where logins may come from.
#[derive(Debug, Clone, Default)]
pub struct RegistrySection {
    /// Policies of a user RADIUS accepts but `[users]` does not name; with
    /// none, such a user is refused.
    pub unregistered_user_policies: Vec<String>,
    /// Networks logins may come from (checked against PAM_RHOST); empty: any.
    pub bound_cidrs: Vec<IpNet>,
    /// The user store `radius-rs users` manages (default
    /// `/var/lib/radius_rs/users`); `[users.NAME]` tables are looked up first.
    pub store: Option<PathBuf>,
}

/// `[users.NAME]`: one registered user.
#[derive(Debug, Clone, Default)]
pub struct UserSection {
    /// The user's policies.
    pub policies: Vec<String>,
    /// Networks this user may log in from (instead of `registry.bound_cidrs`).
    pub bound_cidrs: Vec<IpNet>,
}

/// `[client]`: settings for every request this host sends.
#[derive(Debug, Clone)]
pub struct ClientSection {
    /// Sent as NAS-Identifier.
    pub nas_identifier: Option<String>,
    /// Sent as NAS-IP-Address (IPv4) or NAS-IPv6-Address (IPv6).
    pub nas_ip_address: Option<IpAddr>,
    /// Local address requests are sent from: an IP address or a host
    /// name, resolved when the configuration is loaded.
    pub src_address: Option<String>,
    /// How long one try waits for a reply before the request is resent
    /// and the server asked with Status-Server whether it is alive
    /// (default 300ms).
    pub timeout: Duration,
    /// Tries per server after the first (default 2); a server silent to
    /// the tries and to Status-Server is dead.
    pub retries: u32,
    /// How long a server that is working on a request (it answers
    /// Status-Server) is waited for, per service (`[client.max_wait]`).
    pub max_wait: MaxWait,
    /// How long a server that failed is skipped by every process (default 30s).
    pub dead_time: Duration,
    /// Require a valid Message-Authenticator in every Access reply (default
    /// true: the BlastRADIUS / CVE-2024-3596 defence).
    pub require_message_authenticator: bool,
    /// Appended as `user@realm` when the user typed no realm.
    pub realm: String,
    /// MS-CHAP domain, sent as `DOMAIN\user` (RouterOS `domain`).
    pub domain: String,
    /// Called-Station-Id when the service gives none.
    pub called_id: String,
    /// NAS-Port when the service gives none (default 10).
    pub nas_port: u32,
    /// Where counters and dead-server marks shared by all processes live,
    /// and the changes radius-rs-dmd hands a session's pppd (`control/`).
    /// None of it outlives a boot: memory (/run) is the place.
    pub state_dir: PathBuf,
}

impl Default for ClientSection {
    fn default() -> Self {
        ClientSection {
            nas_identifier: None,
            nas_ip_address: None,
            src_address: None,
            timeout: Duration::from_millis(300),
            retries: 2,
            max_wait: MaxWait::default(),
            dead_time: Duration::from_secs(30),
            require_message_authenticator: true,
            realm: String::new(),
            domain: String::new(),
            called_id: String::new(),
            nas_port: 10,
            state_dir: PathBuf::from("/run/radius_rs"),
        }
    }
}

/// `[client.max_wait]`: how long one exchange may wait for servers that
/// are working on it (slow, not dead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxWait {
    /// Logins through the PAM module and `radius-rs login` (default 60s:
    /// long enough for a push-MFA approval).
    pub login: Duration,
    /// PPP authentication (default 20s, inside pppd's own PAP/CHAP timeouts).
    pub ppp: Duration,
    /// Accounting requests (default 10s).
    pub accounting: Duration,
}

impl Default for MaxWait {
    fn default() -> Self {
        MaxWait { login: Duration::from_secs(60), ppp: Duration::from_secs(20), accounting: Duration::from_secs(10) }
    }
}

impl MaxWait {
    /// The limit for authentication by `service`.
    pub fn for_service(&self, service: Service) -> Duration {
        match service {
            Service::Login => self.login,
            Service::Ppp => self.ppp,
        }
    }
}

/// How requests reach a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RADIUS over UDP (RFC 2865/2866).
    #[default]
    Udp,
    /// RADIUS over TLS over TCP (RFC 6614).
    Radsec,
}

impl Protocol {
    /// The default (authentication, accounting) ports.
    pub fn default_ports(self) -> (u16, u16) {
        match self {
            Protocol::Udp => (1812, 1813),
            Protocol::Radsec => (2083, 2083),
        }
    }
}
/// `[[server]]`: one RADIUS server.
#[derive(Debug)]
pub struct ServerSection {
    /// IPv4 or IPv6 address or a host name (resolved when the file is
    /// loaded), optionally `addr@vrf`.
    pub address: String,
    /// Shared secret (or use `secret_file`); with RadSec default `radsec`.
    pub secret: Option<Secret>,
    /// File whose first line is the shared secret; relative to the config file.
    pub secret_file: Option<PathBuf>,
    /// Authentication port (default 1812; 2083 with RadSec).
    pub auth_port: Option<u16>,
    /// Accounting port (default 1813; 2083 with RadSec).
    pub acct_port: Option<u16>,
    /// `udp` (default) or `radsec`: RADIUS over TLS (RFC 6614).
    pub protocol: Protocol,
    /// RadSec: this host's client certificate (PEM, the chain after it);
    /// relative to the config file.
    pub certificate: Option<PathBuf>,
    /// RadSec: the client certificate's private key (PEM).
    pub private_key: Option<PathBuf>,
    /// RadSec: the trust anchors the server's certificate must chain to (PEM).
    pub ca_file: Option<PathBuf>,
    /// RadSec: the name the server's certificate must carry (default the address).
    pub server_name: Option<String>,
    /// Services that use this server (default all).
    pub services: Vec<Service>,
    /// Used only for accounting, and only when the other servers fail.
    pub accounting_backup: bool,
    /// Per-try timeout for this server (default `client.timeout`).
    pub timeout: Option<Duration>,
    /// Per-server override of `client.require_message_authenticator`.
    pub require_message_authenticator: Option<bool>,
    /// Ask this server with Status-Server (RFC 5997) whether it is alive
    /// when a try goes unanswered (default true). A server that does not
    /// answer Status-Server: set false, and its tries simply wait longer
    /// each time (timeout, 2×, 4×…) before it counts as dead.
    pub status_server: bool,
}
