//! What every scenario stands on inside the VM: the PPP kernel modules,
//! FreeRADIUS, our configuration, pppd's secrets and ip-up script, and
//! helpers to run an authenticating pppd against a peer pppd.

use radius_testbed::freeradius::RadsecPorts;
use radius_testbed::pki::Pki;
use radius_testbed::{FreeRadius, SECRET};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The scenarios' shared world.
pub struct Rig {
    pub fr: FreeRadius,
    /// The certificates of FreeRADIUS's RadSec listeners and ours.
    pub pki: Pki,
    /// Those listeners.
    pub radsec: RadsecPorts,
    pub out: PathBuf,
    pub plugin: PathBuf,
    /// Our configuration file.
    pub config: PathBuf,
    /// Where the ip-up script copies what it saw.
    pub seen: PathBuf,
}

pub const SESSIONS_DIR: &str = "/run/radius_rs/sessions";

const IP_UP: &str = r#"#!/bin/sh
# $1 = interface: keep what a shaping script would see at ip-up.
# The peers share this filesystem (ipparam peer): only our side counts.
[ "$6" = peer ] && exit 0
d=/run/ppp-seen
mkdir -p $d
env | sort > $d/env.$1
cp /var/run/radattr.$1 $d/radattr.$1 2>/dev/null
stat -c %a /var/run/radattr.$1 > $d/radattr-mode.$1 2>/dev/null
cp /run/radius_rs/sessions/$1.toml $d/session.$1 2>/dev/null
touch $d/up.$1
"#;

const IPV6_UP: &str = r#"#!/bin/sh
# $1 = interface, $6 = ipparam. The peer acts as a CPE: it numbers itself
# from ppp-v6's delegated prefix and routes everything back through the link.
if [ "$6" = peer ]; then
    ip -6 addr add 2001:db8:600::1/128 dev $1 nodad 2>/dev/null
    ip -6 route add default dev $1 2>/dev/null
    exit 0
fi
mkdir -p /run/ppp-seen
touch /run/ppp-seen/ipv6-up.$1
"#;

pub fn shell(cmd: &str) -> Result<String, String> {
    let out = Command::new("sh").args(["-c", cmd]).output().map_err(|e| format!("{cmd}: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{cmd}` failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Rig {
    pub fn start(out: &Path, plugin: &Path) -> Result<Rig, String> {
        shell("modprobe -a ppp_generic ppp_async ppp_mppe pppoe l2tp_ppp ppp_deflate bsd_comp")?;
        shell("ip link set lo up")?;
        // As on a real system (virtme-ng leaves a fresh /run world-writable,
        // where the plugin rightly refuses to write its radattr files).
        shell("chmod 755 /run")?;
        if !plugin.exists() {
            return Err(format!("{} is missing: build the workspace first", plugin.display()));
        }
        let pki = Pki::generate();
        let (fr, radsec) = FreeRadius::start_radsec(&pki);
        let config = out.join("radius.toml");
        std::fs::write(
            &config,
            format!(
                r#"[client]
nas_identifier = "vm-bras"
timeout = "1s"
retries = 1

[[server]]
address = "127.0.0.1"
secret = "{SECRET}"
auth_port = {}
acct_port = {}

[ppp]
interim_floor = "1s"
radattr_dir = "/var/run"

[sessions]
dir = "{SESSIONS_DIR}"

[incoming]
accept = true
port = {}
coa_hook = "/etc/ppp/coa-hook"

[accounting]
spool_dir = "{}"
drain_interval = "1s"
"#,
                fr.modern_auth, fr.modern_acct, crate::dm::PORT, crate::dm::SPOOL_DIR
            ),
        )
        .map_err(|e| e.to_string())?;
        shell(&format!("chmod 600 {}", config.display()))?;
        // /etc is a writable overlay in the VM: pppd's own secrets files.
        std::fs::write("/etc/ppp/pap-secrets", "# client server secret addresses\nlocal-pap * local-pap-pw *\nlocal-pap-static * static-pap-pw 10.65.0.60\n")
            .map_err(|e| e.to_string())?;
        std::fs::write(
            "/etc/ppp/chap-secrets",
            "# client server secret addresses\nlocal-chap * \"local chap pw\" *\nlocal-static * \"static chap pw\" 10.65.0.61\nlocal-subnet * subnet-pw !10.65.1.9 10.65.1.0/24\n",
        )
        .map_err(|e| e.to_string())?;
        std::fs::write("/etc/ppp/ip-up", IP_UP).map_err(|e| e.to_string())?;
        std::fs::write("/etc/ppp/ipv6-up", IPV6_UP).map_err(|e| e.to_string())?;
        std::fs::write("/etc/ppp/coa-hook", crate::dm::HOOK).map_err(|e| e.to_string())?;
        shell("chmod 755 /etc/ppp/coa-hook")?;
        shell("chmod 755 /etc/ppp/ip-up /etc/ppp/ipv6-up; chmod 600 /etc/ppp/pap-secrets /etc/ppp/chap-secrets; rm -f /etc/ppp/options /etc/ppp/ip-down")?;
        std::fs::write("/etc/ppp/options", "").map_err(|e| e.to_string())?;
        Ok(Rig { fr, pki, radsec, out: out.to_path_buf(), plugin: plugin.to_path_buf(), config, seen: PathBuf::from("/run/ppp-seen") })
    }

    /// Kills leftover pppd/xl2tpd/pppoe-server between scenarios.
    pub fn cleanup(&self) {
        let _ = shell("pkill -TERM -x radius-rs-dmd; pkill -TERM -x pppd; pkill -TERM -x xl2tpd; pkill -TERM -x pppoe-server; sleep 1; pkill -KILL -x pppd; pkill -KILL -x xl2tpd; pkill -KILL -x pppoe-server; rm -rf /run/ppp-seen; true");
    }

    /// The plugin options for an authenticating pppd, one per line (an options file).
    pub fn plugin_option_lines(&self) -> String {
        format!("plugin {}\nradius-rs-config {}", self.plugin.display(), self.config.display())
    }

    /// The plugin options for an authenticating pppd's command line.
    pub fn plugin_options(&self) -> String {
        self.plugin_option_lines().replace('\n', " ")
    }

    /// What the ip-up script saw for `ifname`, once it ran (waits up to `secs`).
    pub fn wait_up(&self, ifname: &str, secs: u64) -> bool {
        wait_for(secs, || self.seen.join(format!("up.{ifname}")).exists())
    }

    pub fn seen(&self, what: &str) -> String {
        std::fs::read_to_string(self.seen.join(what)).unwrap_or_default()
    }

    /// Whether FreeRADIUS has received an Access-Request for `user`.
    pub fn radius_asked_for(&self, user: &str) -> bool {
        let needle = format!("User-Name = \"{user}\"");
        self.fr.debug_log().split("Received ").any(|block| block.starts_with("Access-Request") && block.contains(&needle))
    }

    /// Accounting records (the modern server's detail file) for a session id.
    pub fn records(&self, session_id: &str) -> Vec<String> {
        let detail = self.fr.detail("modern");
        detail.split("\n\n").filter(|r| r.contains(&format!("Acct-Session-Id = \"{session_id}\""))).map(str::to_string).collect()
    }
}

/// pppd's version, from `pppd --version` ("pppd version 2.5.2").
pub fn pppd_version() -> String {
    let out = Command::new("pppd").arg("--version").output().map(|o| [o.stdout, o.stderr].concat()).unwrap_or_default();
    String::from_utf8_lossy(&out).split_whitespace().last().unwrap_or_default().to_string()
}

/// A pppoe-server with kernel-mode PPPoE (`-k`), and pppd's PPPoE plugin.
pub struct KernelPppoe {
    /// The command that runs pppoe-server.
    pub server: String,
    pub plugin: PathBuf,
}

/// Debian trixie's root (scripts/setup.sh): its pppoe-server is rp-pppoe 4.0.
const TRIXIE: &str = "/var/lib/radius_rs/trixie";

impl KernelPppoe {
    /// Debian bookworm's pppoe-server (rp-pppoe 3.15) is built without
    /// kernel mode (its getopt string has no `k`: `-k` is ignored and the
    /// session runs through a pty), so with pppd 2.4.9 the trixie root's
    /// pppoe-server runs, through its own dynamic loader, and starts this
    /// system's pppd with 2.4.9's rp-pppoe.so (which takes the same
    /// rp_pppoe_sess / rp_pppoe_service options). In the trixie root,
    /// its own pppoe-server and 2.5's pppoe.so.
    pub fn find() -> Result<KernelPppoe, String> {
        let version = pppd_version();
        let dir = PathBuf::from(format!("/usr/lib/pppd/{version}"));
        if version.starts_with("2.4") {
            let root = Path::new(TRIXIE);
            if !root.join("usr/sbin/pppoe-server").exists() {
                return Err(format!("{TRIXIE} is missing: scripts/setup.sh builds it (its pppoe-server has kernel mode)"));
            }
            let server = format!("{0}/usr/lib64/ld-linux-x86-64.so.2 --library-path {0}/usr/lib/x86_64-linux-gnu {0}/usr/sbin/pppoe-server", TRIXIE);
            Ok(KernelPppoe { server, plugin: dir.join("rp-pppoe.so") })
        } else {
            Ok(KernelPppoe { server: "pppoe-server".into(), plugin: dir.join("pppoe.so") })
        }
    }
}

pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    f()
}

/// The peer pppd, in its own network namespace (its options follow).
pub const PEER: &str = "unshare --net pppd notty nodetach noauth local nodefaultroute noipdefault debug lcp-echo-interval 0 ipparam peer";

/// An authenticating pppd over a pty whose other end is a peer pppd in its
/// own network namespace.
pub struct Session {
    pub child: Child,
    pub server_log: PathBuf,
    pub client_log: PathBuf,
}

impl Session {
    /// `server_opts`: auth options for our side; `client_opts`: the peer's.
    pub fn start(rig: &Rig, name: &str, server_opts: &str, client_opts: &str) -> Session {
        Session::start_with(rig, name, &format!("{} {server_opts}", rig.plugin_options()), client_opts)
    }

    /// As [`Session::start`], with the plugin options given in `server_opts`.
    pub fn start_with(rig: &Rig, name: &str, server_opts: &str, client_opts: &str) -> Session {
        let client_log = rig.out.join(format!("{name}.client.log"));
        let _ = std::fs::remove_file(&client_log);
        let peer = format!("{} logfile {} {client_opts}", PEER, client_log.display());
        Session::spawn(rig, name, server_opts, &peer)
    }

    /// An authenticating pppd, with `server_opts` (the plugin's included)
    /// and the peer run by `pty`.
    pub fn spawn(rig: &Rig, name: &str, server_opts: &str, pty: &str) -> Session {
        Session::spawn_through(rig, name, "pppd", server_opts, pty)
    }

    /// As [`Session::spawn`], running `pppd` as given (e.g. under valgrind).
    pub fn spawn_through(rig: &Rig, name: &str, pppd: &str, server_opts: &str, pty: &str) -> Session {
        let server_log = rig.out.join(format!("{name}.server.log"));
        let client_log = rig.out.join(format!("{name}.client.log"));
        let _ = std::fs::remove_file(&server_log);
        let cmd = format!(
            "exec {pppd} nodetach local debug lcp-echo-interval 0 logfile {} {server_opts} pty '{pty}'",
            server_log.display()
        );
        let child = Command::new("sh").args(["-c", &cmd]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn pppd");
        Session { child, server_log, client_log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for pppd to exit; its exit status (None: still running at the deadline).
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let mut code = None;
        wait_for(secs, || match self.child.try_wait() {
            Ok(Some(s)) => {
                code = Some(s.code().unwrap_or(-1));
                true
            }
            _ => false,
        });
        code
    }

    /// SIGTERM (the operator hangs up), then waits for exit.
    pub fn hang_up(&mut self) -> Option<i32> {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        self.wait_exit(15)
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(&self.server_log).unwrap_or_default()
    }

    pub fn client_log(&self) -> String {
        std::fs::read_to_string(&self.client_log).unwrap_or_default()
    }

    /// Both logs, for a failure message.
    pub fn logs(&self) -> String {
        format!("--- server\n{}\n--- client\n{}", tail(&self.server_log(), 25), tail(&self.client_log(), 10))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A process's memory, kB: peak resident set (VmHWM), private anonymous
/// memory (RssAnon), and its proportional share of everything (Pss).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub hwm_kb: u64,
    pub rss_anon_kb: u64,
    pub pss_kb: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Option<Memory> {
        let field = |text: &str, name: &str| -> Option<u64> {
            text.lines().find_map(|l| l.strip_prefix(name))?.trim().trim_end_matches("kB").trim().parse().ok()
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        Some(Memory { hwm_kb: field(&status, "VmHWM:")?, rss_anon_kb: field(&status, "RssAnon:")?, pss_kb: field(&rollup, "Pss:")? })
    }
}


