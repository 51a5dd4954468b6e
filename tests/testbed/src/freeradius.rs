//! FreeRADIUS 3.2 started from a configuration written for one test.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shared secret of every test client.
pub const SECRET: &str = "testing123-long-secret";

/// A running FreeRADIUS; killed on drop.
#[derive(Debug)]
pub struct FreeRadius {
    dir: tempfile::TempDir,
    child: std::sync::Mutex<Child>,
    /// Auth port of the modern virtual server (MA required, MA in replies).
    pub modern_auth: u16,
    /// Acct port of the modern virtual server.
    pub modern_acct: u16,
    /// Auth port of a server that does not sign its replies: the legacy
    /// virtual server (MA not required from clients), directly on
    /// FreeRADIUS before 3.2.5, through [`crate::unsigned::Unsigned`] on
    /// 3.2.5 and later (which sign every reply).
    pub legacy_auth: u16,
    /// Acct port of the legacy virtual server.
    pub legacy_acct: u16,
    /// The legacy virtual server's own auth port (signed replies on 3.2.5+).
    pub legacy_site_auth: u16,
    /// The server's version (`3.2.7`).
    pub version: String,
    /// FreeRADIUS 3.2.5 and later put a Message-Authenticator in every
    /// Access reply, whatever the client's settings (the BlastRADIUS fix).
    pub signs_every_reply: bool,
    _unsigned: Option<crate::unsigned::Unsigned>,
    flags: Vec<String>,
}

/// Starts FreeRADIUS on the configuration in `dir` (its output appended to
/// `debug.log`) and waits until it is ready; None when it exits first.
fn spawn_ready(dir: &Path, flags: &[&str]) -> Option<Child> {
    let log_path = dir.join("debug.log");
    let offset = fs::metadata(&log_path).map(|m| m.len() as usize).unwrap_or(0);
    let out = fs::OpenOptions::new().create(true).append(true).open(&log_path).expect("debug log");
    let mut child = Command::new("freeradius")
        // -X would also mean -s, one thread: a stock server runs its thread pool.
        .args(["-f", "-l", "stdout", "-n", "radiusd"])
        .args(flags)
        .arg("-d")
        .arg(dir)
        .stdout(Stdio::from(out.try_clone().expect("dup")))
        .stderr(Stdio::from(out))
        .spawn()
        .expect("spawn freeradius");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = fs::read_to_string(&log_path).unwrap_or_default();
        let log = log.get(offset..).unwrap_or_default();
        if log.contains("Ready to process requests") {
            return Some(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!("FreeRADIUS exited ({status}) while starting:\n{}", tail(log, 30));
            return None;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("FreeRADIUS not ready after 30s:\n{}", tail(log, 30));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The installed FreeRADIUS's version, from `freeradius -v`.
pub fn installed_version() -> String {
    let out = Command::new("freeradius").arg("-v").output().map(|o| o.stdout).unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    text.split("Version ").nth(1).and_then(|v| v.split(|c: char| c == ',' || c.is_whitespace()).next()).unwrap_or_default().to_string()
}

/// True for 3.2.5 and later.
fn signs_every_reply(version: &str) -> bool {
    let n: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    n.len() >= 3 && (n[0], n[1], n[2]) >= (3, 2, 5)
}

const USERS: &str = r#"
alice Cleartext-Password := "alice-password"
	Reply-Message = "Hello, alice",
	Framed-IP-Address = 10.64.0.7,
	Framed-IP-Netmask = 255.255.255.255,
	Session-Timeout = 3600,
	Idle-Timeout = 600,
	Class = 0x616c6963652d636c617373,
	Mikrotik-Rate-Limit = "10M/20M",
	Management-Privilege-Level = 15

bob Cleartext-Password := "bob-password"
	Framed-IP-Address = 10.64.0.8

rrs-ssh Cleartext-Password := "ssh-radius-password"
	Class = 0x7373682d636c617373

ppp-alice Cleartext-Password := "ppp-alice-pw"
	Service-Type = Framed-User,
	Framed-Protocol = PPP,
	Framed-IP-Address = 10.65.0.2,
	Framed-IP-Netmask = 255.255.255.255,
	Framed-MTU = 1400,
	Acct-Interim-Interval = 2,
	Class = 0x7070702d676f6c64,
	Filter-Id = "ppp-std",
	Framed-Route = "10.99.0.0/24 10.65.0.2 1",
	Mikrotik-Rate-Limit = "10M/20M",
	Framed-Interface-Id = 0:0:0:7,
	Delegated-IPv6-Prefix = 2001:db8:1200::/56,
	MS-Primary-DNS-Server = 192.0.2.53

ppp-v6 Cleartext-Password := "ppp-v6-pw"
	Framed-IP-Address = 10.65.0.6,
	Framed-IPv6-Prefix = 2001:db8:1:6::/64,
	Delegated-IPv6-Prefix = 2001:db8:600::/56,
	Framed-IPv6-Route = "2001:db8:6ff::/48 :: 7",
	DNS-Server-IPv6-Address = 2001:db8::53

ppp-quota Cleartext-Password := "ppp-quota-pw"
	Framed-IP-Address = 10.65.0.7,
	Session-Octets-Limit = 20000,
	Octets-Direction = 0

ppp-short Cleartext-Password := "ppp-short-pw"
	Framed-IP-Address = 10.65.0.3,
	Session-Timeout = 6

ppp-l2tp Cleartext-Password := "ppp-l2tp-pw"
	Framed-IP-Address = 10.65.0.4

ppp-idle Cleartext-Password := "ppp-idle-pw"
	Framed-IP-Address = 10.65.0.5,
	Idle-Timeout = 3

ppp-login Cleartext-Password := "ppp-login-pw"
	Service-Type = Login-User

local-chap Cleartext-Password := "radius-would-say-this"

local-pap Cleartext-Password := "radius-would-say-this"

slow-mfa Cleartext-Password := "slow-mfa-pw"

latin1 Cleartext-Password := "p\344ss-w\366rd"

mallory Auth-Type := Reject
	Reply-Message = "Account disabled"
"#;

/// UDP listeners for auth and acct on both loopbacks.
fn udp_listens(auth: u16, acct: u16, clients: &str) -> String {
    let mut t = String::new();
    for (family, addr) in [("ipaddr", "127.0.0.1"), ("ipv6addr", "::1")] {
        for (kind, port) in [("auth", auth), ("acct", acct)] {
            t += &format!("  listen {{\n    type = {kind}\n    {family} = {addr}\n    port = {port}\n    clients = {clients}\n  }}\n");
        }
    }
    t
}

/// A RadSec (TLS over TCP) listener for auth and acct on 127.0.0.1, with
/// the server certificate `server`, trusting client certificates of `ca`.
/// A client may hold many connections, and the listener many clients: a
/// stock 16 per client is too few for a burst of logins, each its own
/// process and connection, which the server keeps for seconds after they close.
fn tls_listen(port: u16, server: &crate::pki::Pair, ca: &Path, max_version: &str) -> String {
    format!(
        r#"  listen {{
    type = auth+acct
    ipaddr = 127.0.0.1
    port = {port}
    proto = tcp
    clients = radsec_clients
    limit {{
      max_connections = 256
      lifetime = 0
      idle_timeout = 30
    }}
    tls {{
      private_key_file = {key}
      certificate_file = {cert}
      ca_file = {ca}
      fragment_size = 8192
      cipher_list = "DEFAULT"
      tls_min_version = "1.2"
      tls_max_version = "{max_version}"
      require_client_cert = yes
      cache {{
        enable = no
      }}
      verify {{
      }}
    }}
  }}
"#,
        key = server.key.display(),
        cert = server.cert.display(),
        ca = ca.display(),
    )
}

fn site(name: &str, listens: &str, reply_ma: bool) -> String {
    let ma = if reply_ma {
        "update reply {\n        Message-Authenticator := 0x00\n      }"
    } else {
        "ok"
    };
    format!(
        r#"
server {name} {{
{listens}
  authorize {{
    if (&User-Name == "otpuser") {{
      if (!&State) {{
        if (&User-Password == "otp-first") {{
          update reply {{
            Reply-Message := "Enter your one-time code"
            State := 0x6f74702d726f756e64
          }}
          update control {{
            Response-Packet-Type := Access-Challenge
          }}
          handled
        }}
        reject
      }}
      if (&User-Password == "123456") {{
        update control {{
          Auth-Type := Accept
        }}
        ok
      }}
      else {{
        reject
      }}
    }}
    if (&User-Name == "slow-mfa") {{
      slow_mfa
    }}
    files
    chap
    mschap
    pap
    Autz-Type Status-Server {{
      {ma}
      ok
    }}
  }}
  authenticate {{
    Auth-Type PAP {{
      pap
    }}
    Auth-Type CHAP {{
      chap
    }}
    Auth-Type MS-CHAP {{
      mschap
    }}
  }}
  preacct {{
    ok
  }}
  accounting {{
    if (&User-Name == "slow-mfa") {{
      slow_mfa
    }}
    detail_{name}
    ok
  }}
  post-auth {{
    {ma}
    Post-Auth-Type REJECT {{
      {ma}
    }}
    Post-Auth-Type Challenge {{
      {ma}
    }}
  }}
}}
"#
    )
}

fn clients(name: &str, require_ma: bool) -> String {
    let req = if require_ma { "yes" } else { "no" };
    format!(
        "clients {name} {{\n  client lo4 {{\n    ipaddr = 127.0.0.1\n    secret = {SECRET}\n    require_message_authenticator = {req}\n  }}\n  \
         client lo6 {{\n    ipaddr = ::1\n    secret = {SECRET}\n    require_message_authenticator = {req}\n  }}\n}}\n"
    )
}

/// The RadSec listeners of a server started with [`FreeRadius::start_radsec`].
#[derive(Debug, Clone, Copy)]
pub struct RadsecPorts {
    /// The good server certificate.
    pub good: u16,
    /// A server certificate from a CA the client does not trust.
    pub rogue: u16,
    /// An expired server certificate.
    pub expired: u16,
    /// The good certificate, TLS 1.2 at most.
    pub tls12: u16,
}

fn radsec_conf(pki: &crate::pki::Pki, ports: RadsecPorts, client_connections: Option<u32>) -> String {
    let listens = [
        (ports.good, &pki.server),
        (ports.rogue, &pki.rogue_server),
        (ports.expired, &pki.expired_server),
    ]
    .iter()
    .map(|(port, pair)| tls_listen(*port, pair, &pki.ca, "1.3"))
    .chain([tls_listen(ports.tls12, &pki.server, &pki.ca, "1.2")])
    .collect::<String>();
    // Stock: no limit section, so 16 connections per client.
    let limit = client_connections.map(|n| format!("    limit {{\n      max_connections = {n}\n    }}\n")).unwrap_or_default();
    format!(
        "clients radsec_clients {{\n  client lo4 {{\n    ipaddr = 127.0.0.1\n    proto = tls\n    secret = radsec\n{limit}  }}\n}}\n{}",
        site("radsec", &listens, true)
    )
}

fn radiusd_conf(dir: &Path, ports: [u16; 4], radsec: Option<String>) -> String {
    let d = dir.display();
    let detail = |name: &str| {
        format!(
            "  detail detail_{name} {{\n    filename = {d}/detail-{name}\n    escape_filenames = no\n    permissions = 0600\n    header = \"%t\"\n  }}\n"
        )
    };
    format!(
        r#"prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {d}
raddbdir = {d}
radacctdir = {d}
name = freeradius
confdir = {d}
modconfdir = /etc/freeradius/3.0/mods-config
run_dir = {d}
db_dir = {d}
libdir = /usr/lib/freeradius
pidfile = {d}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no
log {{
  destination = files
  file = {d}/radius.log
  auth = yes
}}
security {{
  allow_core_dumps = no
  max_attributes = 200
  # As shipped: every Access-Reject is delayed by a second.
  reject_delay = 1
  status_server = yes
}}
# As shipped.
thread pool {{
  start_servers = 5
  max_servers = 32
  min_spare_servers = 3
  max_spare_servers = 10
  max_requests_per_server = 0
}}
{modern_clients}{legacy_clients}
modules {{
  pap {{
    normalise = yes
  }}
  chap {{
  }}
  mschap {{
    use_mppe = yes
    require_encryption = no
    require_strong = no
  }}
  files {{
    filename = {d}/users
    acctusersfile = {d}/acct_users
  }}
  always ok {{
    rcode = ok
  }}
  always reject {{
    rcode = reject
  }}
  always handled {{
    rcode = handled
  }}
  # A slow back end (an MFA push waiting for the user, a database writing
  # a record): authorize and accounting block on it for slow-mfa, while
  # the server's other threads go on answering Status-Server.
  exec slow_mfa {{
    wait = yes
    program = "/bin/sleep 8"
    input_pairs = request
    shell_escape = yes
    timeout = 20
  }}
{detail_modern}{detail_legacy}{detail_radsec}}}
{modern}{legacy}{radsec}"#,
        modern_clients = clients("modern_clients", true),
        legacy_clients = clients("legacy_clients", false),
        detail_modern = detail("modern"),
        detail_legacy = detail("legacy"),
        detail_radsec = detail("radsec"),
        modern = site(
            "modern",
            &udp_listens(ports[0], ports[1], "modern_clients"),
            true
        ),
        legacy = site(
            "legacy",
            &udp_listens(ports[2], ports[3], "legacy_clients"),
            false
        ),
        radsec = radsec.unwrap_or_default(),
    )
}

/// Installs FreeRADIUS with apt-get when it is missing.
pub fn ensure_installed() {
    if Path::new("/usr/sbin/freeradius").exists() {
        return;
    }
    let ok = Command::new("sh")
        .args(["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q freeradius freeradius-utils >/dev/null"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "FreeRADIUS is not installed and apt-get install freeradius failed");
}

/// A server started on ports an earlier one had is not that server: what
/// the clients' default state_dir (/run/radius_rs, used by every test with
/// a pam_radius_auth.conf, which names none) remembers of those ports goes
/// (a "signs its replies" mark would refuse an unsigned server's replies).
fn forget_earlier_servers(ports: &[u16]) {
    let mut all: Vec<u16> = ports.to_vec();
    all.extend(ports.iter().map(|p| p.saturating_add(1)));
    for kind in ["signs", "dead", "counters"] {
        let Ok(entries) = fs::read_dir(Path::new("/run/radius_rs").join(kind)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // ADDRESS-AUTH-ACCT (counters, signs) or ADDRESS_PORT (dead): the last numbers are ports.
            let ports: Vec<u16> = name.rsplit(['-', '_']).take(2).filter_map(|t| t.parse().ok()).collect();
            if ports.iter().any(|n| all.contains(n)) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_tcp_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn four_free_ports() -> [u16; 4] {
    // Two pairs (auth, auth + 1), free on both address families: clients
    // with the pam_radius_auth file format send accounting to auth + 1.
    let free = |p: u16| {
        std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok() && std::net::UdpSocket::bind(("::1", p)).is_ok()
    };
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 4 {
        let p = super::free_port("127.0.0.1");
        if p < u16::MAX && free(p) && free(p + 1) && !ports.contains(&p) && !ports.contains(&(p + 1)) {
            ports.extend([p, p + 1]);
        }
    }
    [ports[0], ports[1], ports[2], ports[3]]
}

impl FreeRadius {
    /// Writes a configuration and starts FreeRADIUS in the foreground on
    /// free loopback ports; returns once it is ready.
    /// With `-xx` debug output in `debug.log`, which the suites read to
    /// see what the server received.
    pub fn start() -> FreeRadius {
        Self::start_with(&["-xx"])
    }

    /// As a production server runs: no debug output (writing it costs
    /// every request tens of microseconds), for the benchmarks.
    pub fn start_quiet() -> FreeRadius {
        Self::start_with(&[])
    }

    /// As [`FreeRadius::start`], with RadSec listeners too (virtual server
    /// `radsec`, detail file `radsec`) using `pki`'s certificates.
    /// A client may hold FreeRADIUS's stock 16 connections.
    pub fn start_radsec(pki: &crate::pki::Pki) -> (FreeRadius, RadsecPorts) {
        Self::start_radsec_with(pki, &["-xx"], None)
    }

    /// As [`FreeRadius::start_radsec`] with `flags` (none: quiet, for the
    /// benchmarks) and, if given, `client_connections` allowed per client
    /// instead of the stock 16.
    pub fn start_radsec_with(pki: &crate::pki::Pki, flags: &[&str], client_connections: Option<u32>) -> (FreeRadius, RadsecPorts) {
        ensure_installed();
        for _ in 0..3 {
            let ports = RadsecPorts {
                good: free_tcp_port(),
                rogue: free_tcp_port(),
                expired: free_tcp_port(),
                tls12: free_tcp_port(),
            };
            if let Some(fr) = Self::try_start(flags, Some(radsec_conf(pki, ports, client_connections))) {
                return (fr, ports);
            }
        }
        panic!("FreeRADIUS with RadSec did not start three times in a row");
    }

    fn start_with(flags: &[&str]) -> FreeRadius {
        ensure_installed();
        for _ in 0..3 {
            if let Some(fr) = Self::try_start(flags, None) {
                return fr;
            }
        }
        panic!("FreeRADIUS did not start three times in a row");
    }

    fn try_start(flags: &[&str], radsec: Option<String>) -> Option<FreeRadius> {
        let dir = tempfile::Builder::new().prefix("freeradius-").tempdir().expect("tempdir");
        let ports = four_free_ports();
        forget_earlier_servers(&ports);
        fs::write(dir.path().join("radiusd.conf"), radiusd_conf(dir.path(), ports, radsec)).expect("write conf");
        fs::write(dir.path().join("users"), USERS).expect("write users");
        fs::write(dir.path().join("acct_users"), "").expect("write acct_users");
        let mut dictionary = fs::read_to_string("/etc/freeradius/3.0/dictionary").expect("read the dictionary");
        // pppd radius.so's traffic limit (its own numbers, in no standard dictionary).
        dictionary += "\nATTRIBUTE\tSession-Octets-Limit\t227\tinteger\nATTRIBUTE\tOctets-Direction\t228\tinteger\n";
        fs::write(dir.path().join("dictionary"), dictionary).expect("write dictionary");
        let child = spawn_ready(dir.path(), flags)?;
        let version = installed_version();
        let signs = signs_every_reply(&version);
        let site = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let unsigned = signs.then(|| crate::unsigned::Unsigned::start(site(ports[2]), site(ports[3]), SECRET));
        Some(FreeRadius {
            dir,
            child: std::sync::Mutex::new(child),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            modern_auth: ports[0],
            modern_acct: ports[1],
            legacy_auth: unsigned.as_ref().map(|u| u.port).unwrap_or(ports[2]),
            // Through the relay too (its port + 1), as a pam_radius_auth.conf line expects.
            legacy_acct: unsigned.as_ref().map(|u| u.port + 1).unwrap_or(ports[3]),
            legacy_site_auth: ports[2],
            version,
            signs_every_reply: signs,
            _unsigned: unsigned,
        })
    }

    /// Stops the server (an outage): its ports answer nothing until [`FreeRadius::restart`].
    pub fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the server again on the same ports and files (the detail
    /// files and debug.log go on); returns once it is ready.
    pub fn restart(&self) {
        self.stop();
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        for _ in 0..3 {
            if let Some(child) = spawn_ready(self.dir.path(), &flags) {
                *self.child.lock().unwrap_or_else(|p| p.into_inner()) = child;
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("FreeRADIUS did not restart three times in a row");
    }

    /// The directory holding its configuration and output.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The accounting detail file of a virtual server ("modern"/"legacy").
    pub fn detail_path(&self, server: &str) -> PathBuf {
        self.dir.path().join(format!("detail-{server}"))
    }

    /// The accounting records written so far by a virtual server.
    pub fn detail(&self, server: &str) -> String {
        fs::read_to_string(self.detail_path(server)).unwrap_or_default()
    }

    /// Waits until the detail file of `server` holds `needle`.
    pub fn wait_detail(&self, server: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.detail(server);
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// FreeRADIUS's debug output so far.
    pub fn debug_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("debug.log")).unwrap_or_default()
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the first line of a file (helper for tests).
pub fn first_line(path: &Path) -> String {
    fs::File::open(path)
        .ok()
        .and_then(|f| BufReader::new(f).lines().next())
        .and_then(Result::ok)
        .unwrap_or_default()
}
