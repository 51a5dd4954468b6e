//! The scenarios, each a subscriber or operator story with the outcome it
//! must show.

use crate::{dm, hardening, reference};
use crate::rig::{self, Rig, Session, SESSIONS_DIR};

pub type Scenario = fn(&Rig, &str) -> Result<(), String>;

pub const ALL: &[(&str, Scenario)] = &[
    ("pap_radius_session", pap_radius_session),
    ("pap_wrong_password", pap_wrong_password),
    ("chap_md5_radius", chap_md5_radius),
    ("mschapv1_radius", mschapv1_radius),
    ("mschapv2_mppe_radius", mschapv2_mppe_radius),
    ("mschapv2_wrong_password", mschapv2_wrong_password),
    ("local_chap_first", local_chap_first),
    ("local_mschapv2_mppe", local_mschapv2_mppe),
    ("local_pap_first", local_pap_first),
    ("local_static_addresses", local_static_addresses),
    ("service_type_login_refused", service_type_login_refused),
    ("ipv6_delegated_prefix", ipv6_delegated_prefix),
    ("session_timeout", session_timeout),
    ("traffic_limit", traffic_limit),
    ("pppoe_kernel_mode", pppoe_kernel_mode),
    ("l2tp_lns", l2tp_lns),
    ("dm_disconnect_by_user", dm::dm_disconnect_by_user),
    ("dm_disconnect_by_session_id", dm::dm_disconnect_by_session_id),
    ("dm_disconnect_by_ip", dm::dm_disconnect_by_ip),
    ("dm_refusals_and_duplicates", dm::dm_refusals_and_duplicates),
    ("dm_coa_session_timeout", dm::dm_coa_session_timeout),
    ("dm_coa_hook", dm::dm_coa_hook),
    ("dm_lost_session_stop", dm::dm_lost_session_stop),
    ("dm_spool_outage", dm::dm_spool_outage),
    ("radsec_session", radsec_session),
    ("dm_replay_from_another_port", dm::dm_replay_from_another_port),
    ("dm_coa_burst_answered", dm::dm_coa_burst_answered),
    ("unprivileged_options_refused", hardening::unprivileged_options_refused),
    ("idle_timeout_unanswered_terminate", hardening::idle_timeout_unanswered_terminate),
    ("persist_next_peer_starts_clean", hardening::persist_next_peer_starts_clean),
    ("radius_so_drop_in", reference::radius_so_drop_in),
    ("reference_radius_so", reference::compare),
];

/// Scenarios run only when the filter names them exactly: for `scripts/bench.sh`
/// and `scripts/hot-symbols.sh`.
pub const BENCH: &[(&str, Scenario)] =
    &[("bench_chap_secrets_growth", reference::bench_chap_secrets_growth), ("bench_hot_functions", reference::bench_hot_functions)];

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}
pub(crate) use ensure;

fn client(user: &str, password: &str) -> String {
    format!("user {user} password \"{password}\"")
}

/// Starts a session and waits for IP up; the session and ppp0's ip-up record.
pub fn up(rig: &Rig, name: &str, server: &str, peer: &str) -> Result<Session, String> {
    let s = Session::start(rig, name, server, peer);
    ensure!(rig.wait_up("ppp0", 40), "the link never reached IP up\n{}", s.logs());
    Ok(s)
}

/// The authenticating side sees the peer at `ip`.
fn peer_is(s: &Session, ip: &str) -> Result<(), String> {
    ensure!(s.server_log().contains(&format!("remote IP address {ip}")), "peer address is not {ip}\n{}", s.logs());
    Ok(())
}

/// A rejected peer: pppd ends with EXIT_PEER_AUTH_FAILED (11) and no IP up.
fn rejected(rig: &Rig, name: &str, server: &str, peer: &str) -> Result<Session, String> {
    let mut s = Session::start(rig, name, server, peer);
    let code = s.wait_exit(40);
    ensure!(!rig.wait_up("ppp0", 0), "a wrong password reached IP up\n{}", s.logs());
    ensure!(code == Some(11), "pppd ended with {code:?}, expected 11 (peer failed to authenticate)\n{}", s.logs());
    Ok(s)
}

fn session_id(rig: &Rig) -> Result<String, String> {
    let record = rig.seen("session.ppp0");
    record
        .lines()
        .find_map(|l| l.strip_prefix("acct_session_id = "))
        .map(|v| v.trim_matches('"').to_string())
        .ok_or_else(|| format!("no session record under {SESSIONS_DIR} at ip-up: {record:?}"))
}

/// A PPP session authenticated and accounted over RadSec: our config names
/// only FreeRADIUS's TLS listener (with this NAS's client certificate);
/// the peer gets its Framed-IP-Address, the Access-Request arrives on the
/// TLS port, and Start and Stop land in that listener's detail file.
fn radsec_session(rig: &Rig, name: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(&rig.config).map_err(|e| e.to_string())?;
    let (head, rest) = text.split_once("[[server]]").ok_or("no [[server]] in the rig's config")?;
    let tail = &rest[rest.find("[ppp]").ok_or("no [ppp] in the rig's config")?..];
    let pki = &rig.pki;
    let server = pki.server_toml(rig.radsec.good, &pki.client, radius_testbed::pki::SERVER_NAME) + "\n";
    let config = rig.out.join("radsec.toml");
    std::fs::write(&config, format!("{head}{server}{tail}")).map_err(|e| e.to_string())?;
    rig::shell(&format!("chmod 600 {}", config.display()))?;
    let plugin = format!("plugin {} radius-rs-config {}", rig.plugin.display(), config.display());
    let mut s = Session::start_with(rig, name, &format!("{plugin} require-pap 10.65.0.1:"), &client("ppp-alice", "ppp-alice-pw"));
    ensure!(rig.wait_up("ppp0", 40), "the link never reached IP up over RadSec\n{}", s.logs());
    peer_is(&s, "10.65.0.2")?;
    let id = session_id(rig)?;
    s.hang_up();
    let to_tls = format!("to 127.0.0.1:{} ", rig.radsec.good);
    ensure!(
        rig.fr.debug_log().split("Received ").any(|b| b.starts_with("Access-Request") && b.contains(&to_tls) && b.contains("ppp-alice")),
        "no Access-Request for ppp-alice arrived on the RadSec port {}", rig.radsec.good
    );
    let detail = |status: &str| {
        let needle = format!("Acct-Session-Id = \"{id}\"");
        rig.fr.detail("radsec").split("\n\n").any(|r| r.contains(&needle) && r.contains(&format!("Acct-Status-Type = {status}")))
    };
    ensure!(rig::wait_for(10, || detail("Start") && detail("Stop")), "no Start and Stop for {id} in the RadSec detail file:\n{}", rig.fr.detail("radsec"));
    ensure!(rig.records(&id).is_empty(), "accounting for {id} went over UDP too");
    Ok(())
}

fn pap_radius_session(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(rig, name, "require-pap +ipv6 10.65.0.1:", &format!("{} +ipv6", client("ppp-alice", "ppp-alice-pw")))?;
    peer_is(&s, "10.65.0.2")?;
    let log = rig.fr.debug_log();
    for needle in [
        "Service-Type = Framed-User",
        "Framed-Protocol = PPP",
        "NAS-Port-Type = Virtual",
        "NAS-Port-Id = \"ppp0\"",
        "NAS-Identifier = \"vm-bras\"",
        "Message-Authenticator = 0x",
    ] {
        ensure!(log.contains(needle), "the Access-Request lacks {needle}");
    }
    ensure!(s.server_log().contains("remote LL address fe80::0000:0000:0000:0007"), "Framed-Interface-Id not applied\n{}", s.logs());
    let env = rig.seen("env.ppp0");
    for needle in [
        "RADIUS_FILTER_ID=ppp-std",
        "RADIUS_MIKROTIK_RATE_LIMIT=10M/20M",
        "RADIUS_FRAMED_ROUTE=10.99.0.0/24 10.65.0.2 1",
        "RADIUS_DELEGATED_IPV6_PREFIX=2001:db8:1200::/56",
        "RADIUS_FRAMED_INTERFACE_ID=",
    ] {
        ensure!(env.contains(needle), "ip-up environment lacks {needle}:\n{env}");
    }
    let radattr = rig.seen("radattr.ppp0");
    for needle in ["Framed-IP-Address 10.65.0.2", "Mikrotik-Rate-Limit 10M/20M", "Filter-Id ppp-std", "Service-Type Framed-User"] {
        ensure!(radattr.contains(needle), "radattr.ppp0 lacks `{needle}`:\n{radattr}");
    }
    ensure!(rig.seen("radattr-mode.ppp0").trim() == "600", "radattr.ppp0 mode is {:?}", rig.seen("radattr-mode.ppp0"));
    let mtu = std::fs::read_to_string("/sys/class/net/ppp0/mtu").unwrap_or_default();
    ensure!(mtu.trim().parse::<u32>().is_ok_and(|m| m <= 1400), "Framed-MTU 1400 not applied: mtu {mtu:?}");
    let id = session_id(rig)?;
    let record = rig.seen("session.ppp0");
    ensure!(record.contains("user = \"ppp-alice\"") && record.contains("10.65.0.2"), "session record: {record}");
    // Acct-Interim-Interval 2 (floor lowered to 1s for the test): at least one update.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let code = s.hang_up();
    ensure!(code == Some(5), "pppd ended with {code:?} after SIGTERM, expected 5");
    ensure!(rig::wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Status-Type = Stop"))), "no Stop for {id}");
    let records = rig.records(&id);
    let find = |status: &str| records.iter().find(|r| r.contains(&format!("Acct-Status-Type = {status}"))).cloned();
    let start = find("Start").ok_or("no Start record")?;
    find("Interim-Update").ok_or("no Interim-Update record")?;
    let stop = find("Stop").ok_or("no Stop record")?;
    for r in [&start, &stop] {
        for needle in [
            "User-Name = \"ppp-alice\"",
            "Class = 0x7070702d676f6c64",
            "Framed-IP-Address = 10.65.0.2",
            "NAS-Port-Type = Virtual",
            "Acct-Authentic = RADIUS",
            "Service-Type = Framed-User",
            "Event-Timestamp",
        ] {
            ensure!(r.contains(needle), "record lacks {needle}:\n{r}");
        }
    }
    for needle in ["Acct-Terminate-Cause = User-Request", "Acct-Session-Time", "Acct-Input-Octets", "Acct-Output-Packets", "Acct-Input-Gigawords"] {
        ensure!(stop.contains(needle), "Stop lacks {needle}:\n{stop}");
    }
    ensure!(!std::path::Path::new("/var/run/radattr.ppp0").exists(), "radattr.ppp0 left behind after the session");
    ensure!(!std::path::Path::new(&format!("{SESSIONS_DIR}/ppp0.toml")).exists(), "session record left behind");
    Ok(())
}

fn pap_wrong_password(rig: &Rig, name: &str) -> Result<(), String> {
    rejected(rig, name, "require-pap 10.65.0.1:", &client("ppp-alice", "not-the-password"))?;
    Ok(())
}

fn chap_md5_radius(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(rig, name, "require-chap 10.65.0.1:", &client("ppp-alice", "ppp-alice-pw"))?;
    peer_is(&s, "10.65.0.2")?;
    ensure!(s.server_log().contains("sent [CHAP Success"), "no CHAP Success sent\n{}", s.logs());
    s.hang_up();
    Ok(())
}

/// MS-CHAPv1 (RFC 2433) through RADIUS, with MPPE from its keys
/// (MS-CHAP-MPPE-Keys): rejected with a wrong password, accepted with the right one.
fn mschapv1_radius(rig: &Rig, name: &str) -> Result<(), String> {
    rejected(rig, &format!("{name}-wrong"), "require-mschap 10.65.0.1:", &client("ppp-alice", "wrong"))?;
    rig.cleanup();
    let mut s = up(rig, name, "require-mschap require-mppe-128 10.65.0.1:", &format!("{} require-mppe-128", client("ppp-alice", "ppp-alice-pw")))?;
    peer_is(&s, "10.65.0.2")?;
    ensure!(s.server_log().contains("<auth chap MS>"), "LCP did not agree on MS-CHAPv1\n{}", s.logs());
    ensure!(s.server_log().contains("sent [CHAP Success"), "no MS-CHAPv1 success sent\n{}", s.logs());
    ensure!(s.server_log().contains("MPPE 128-bit stateless compression enabled"), "MPPE not negotiated from MS-CHAPv1 keys\n{}", s.logs());
    s.hang_up();
    Ok(())
}

fn mschapv2_mppe_radius(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(rig, name, "require-mschap-v2 require-mppe-128 10.65.0.1:", &format!("{} require-mppe-128", client("ppp-alice", "ppp-alice-pw")))?;
    peer_is(&s, "10.65.0.2")?;
    ensure!(s.server_log().contains("MPPE 128-bit stateless compression enabled"), "MPPE not negotiated\n{}", s.logs());
    // The peer checked the server's authenticator response (MS-CHAP2-Success).
    ensure!(s.client_log().contains("CHAP authentication succeeded"), "the peer did not accept our MS-CHAPv2 success\n{}", s.logs());
    s.hang_up();
    Ok(())
}

fn mschapv2_wrong_password(rig: &Rig, name: &str) -> Result<(), String> {
    rejected(rig, name, "require-mschap-v2 10.65.0.1:", &client("ppp-alice", "wrong"))?;
    Ok(())
}

/// A user with a local record: accepted with the local secret at `peer_ip`,
/// rejected with the password RADIUS would accept, and RADIUS never asked.
fn local_record_decides(rig: &Rig, name: &str, auth: &str, user: &str, password: &str, peer_ip: &str) -> Result<(), String> {
    let server = format!("{auth} 10.65.0.1:{peer_ip}");
    let mut s = up(rig, name, &server, &client(user, password))?;
    peer_is(&s, peer_ip)?;
    s.hang_up();
    rig.cleanup();
    rejected(rig, &format!("{name}-wrong"), &server, &client(user, "radius-would-say-this"))?;
    ensure!(!rig.radius_asked_for(user), "FreeRADIUS was asked about {user}, who has a local record");
    Ok(())
}

fn local_chap_first(rig: &Rig, name: &str) -> Result<(), String> {
    local_record_decides(rig, name, "require-chap", "local-chap", "local chap pw", "10.65.0.50")
}

fn local_mschapv2_mppe(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(
        rig,
        name,
        "require-mschap-v2 require-mppe-128 10.65.0.1:10.65.0.51",
        &format!("{} require-mppe-128", client("local-chap", "local chap pw")),
    )?;
    ensure!(s.server_log().contains("MPPE 128-bit stateless compression enabled"), "MPPE not negotiated\n{}", s.logs());
    ensure!(s.client_log().contains("CHAP authentication succeeded"), "the peer refused our local MS-CHAPv2 success\n{}", s.logs());
    s.hang_up();
    ensure!(!rig.radius_asked_for("local-chap"), "FreeRADIUS was asked about a user with a local CHAP record");
    Ok(())
}

fn local_pap_first(rig: &Rig, name: &str) -> Result<(), String> {
    local_record_decides(rig, name, "require-pap", "local-pap", "local-pap-pw", "10.65.0.52")
}

/// The addresses column of pap-/chap-secrets, as pppd applies it without a
/// plugin: a single address is the peer's (no remote address in the
/// options); a list or subnet restricts; a RADIUS user on the same options
/// still gets his Framed-IP-Address.
fn local_static_addresses(rig: &Rig, name: &str) -> Result<(), String> {
    for (auth, user, password, ip) in [
        ("require-pap", "local-pap-static", "static-pap-pw", "10.65.0.60"),
        ("require-chap", "local-static", "static chap pw", "10.65.0.61"),
        ("require-mschap-v2", "local-static", "static chap pw", "10.65.0.61"),
        ("require-pap", "ppp-alice", "ppp-alice-pw", "10.65.0.2"),
    ] {
        let mut s = up(rig, &format!("{name}-{user}-{auth}"), &format!("{auth} 10.65.0.1:"), &client(user, password))?;
        peer_is(&s, ip).map_err(|e| format!("{auth} {user}: {e}"))?;
        s.hang_up();
        rig.cleanup();
    }
    ensure!(!rig.radius_asked_for("local-static") && !rig.radius_asked_for("local-pap-static"), "RADIUS was asked about a local user");
    // `!10.65.1.9 10.65.1.0/24`: the subnet, but not .9.
    let mut s = up(rig, &format!("{name}-subnet"), "require-chap 10.65.0.1:10.65.1.7", &client("local-subnet", "subnet-pw"))?;
    peer_is(&s, "10.65.1.7")?;
    s.hang_up();
    rig.cleanup();
    let mut s = Session::start(rig, &format!("{name}-excluded"), "require-chap 10.65.0.1:10.65.1.9", &client("local-subnet", "subnet-pw"));
    let refused = rig::wait_for(40, || s.server_log().contains("Peer is not authorized to use remote address 10.65.1.9"));
    ensure!(refused && !rig.wait_up("ppp0", 0), "an address the line excludes was accepted\n{}", s.logs());
    s.hang_up();
    Ok(())
}

/// An IPv6 subscriber: his link prefix, delegated prefix and
/// Framed-IPv6-Route are routed through his link at IPv6 up (the NAS
/// reaches an address the peer took from the delegated prefix), the DNS
/// server is exported to the scripts, and the prefixes are in Start and Stop.
fn ipv6_delegated_prefix(rig: &Rig, name: &str) -> Result<(), String> {
    rig::shell("ip -6 addr replace 2001:db8:ffff::1/128 dev lo nodad")?;
    let mut s = up(rig, name, "require-pap +ipv6 10.65.0.1:", &format!("{} +ipv6", client("ppp-v6", "ppp-v6-pw")))?;
    let id = session_id(rig)?;
    ensure!(rig::wait_for(30, || rig.seen.join("ipv6-up.ppp0").exists()), "IPV6CP never came up\n{}", s.logs());
    let routes = rig::shell("ip -6 route show dev ppp0")?;
    for want in ["2001:db8:600::/56", "2001:db8:1:6::/64", "2001:db8:6ff::/48"] {
        ensure!(routes.contains(want), "no route for {want} through ppp0:\n{routes}\n{}", s.logs());
    }
    ensure!(routes.lines().any(|l| l.starts_with("2001:db8:6ff::/48") && l.contains("metric 7")), "the Framed-IPv6-Route lost its metric:\n{routes}");
    let reached = rig::wait_for(30, || rig::shell("ping -6 -c 1 -W 1 -I 2001:db8:ffff::1 2001:db8:600::1").is_ok());
    ensure!(reached, "the peer's address in its delegated prefix is not reachable through the link\n{routes}\n{}", s.logs());
    ensure!(
        rig.seen("env.ppp0").contains("RADIUS_DNS_SERVER_IPV6_ADDRESS=2001:db8::53"),
        "DNS-Server-IPv6-Address not exported to the scripts"
    );
    s.hang_up();
    let routes = rig::shell("ip -6 route show").unwrap_or_default();
    ensure!(!routes.contains("2001:db8:600::/56"), "the delegated prefix is still routed after the session:\n{routes}");
    ensure!(
        rig::wait_for(10, || {
            let r = rig.records(&id);
            r.len() >= 2
                && r.iter().all(|r| r.contains("Delegated-IPv6-Prefix = 2001:db8:600::/56") && r.contains("Framed-IPv6-Prefix = 2001:db8:1:6::/64"))
        }),
        "the Start and Stop of {id} do not both carry the prefixes: {:?}",
        rig.records(&id)
    );
    Ok(())
}

/// Session-Octets-Limit / Octets-Direction (radius.so's traffic limit):
/// pppd ends the session once the link has carried the granted bytes
/// (EXIT_TRAFFIC_LIMIT, 20) and the Stop says NAS-Request, as radius.so's.
fn traffic_limit(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(rig, name, "require-pap 10.65.0.1:", &client("ppp-quota", "ppp-quota-pw"))?;
    let id = session_id(rig)?;
    // 1 kB each way per echo: the 20,000-byte limit falls within a few seconds.
    let _ = rig::shell("ping -c 60 -i 0.2 -s 1000 -W 1 10.65.0.7 >/dev/null 2>&1");
    let code = s.wait_exit(30);
    ensure!(code == Some(20), "pppd ended with {code:?}, expected 20 (traffic limit)\n{}", s.logs());
    ensure!(s.server_log().contains("Traffic limit reached. Limit: 20000"), "pppd did not apply the limit\n{}", s.logs());
    ensure!(
        rig::wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Terminate-Cause = NAS-Request"))),
        "no Stop with Acct-Terminate-Cause = NAS-Request for {id}: {:?}",
        rig.records(&id)
    );
    Ok(())
}

fn service_type_login_refused(rig: &Rig, name: &str) -> Result<(), String> {
    let s = rejected(rig, name, "require-pap 10.65.0.1:", &client("ppp-login", "ppp-login-pw"))?;
    ensure!(s.server_log().contains("not Framed-User"), "no log line says why\n{}", s.logs());
    Ok(())
}

fn session_timeout(rig: &Rig, name: &str) -> Result<(), String> {
    let mut s = up(rig, name, "require-pap 10.65.0.1:", &client("ppp-short", "ppp-short-pw"))?;
    let id = session_id(rig)?;
    let started = std::time::Instant::now();
    let code = s.wait_exit(30);
    let took = started.elapsed().as_secs();
    ensure!(code == Some(13), "pppd ended with {code:?}, expected 13 (connect time expired)\n{}", s.logs());
    ensure!(took <= 12, "Session-Timeout 6 ended the session only after {took}s");
    ensure!(
        rig::wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Terminate-Cause = Session-Timeout"))),
        "no Stop with Acct-Terminate-Cause = Session-Timeout for {id}: {:?}",
        rig.records(&id)
    );
    Ok(())
}

/// Kernel-mode PPPoE, as a BRAS runs it: pppoe-server -k hands the
/// session to pppd's PPPoE plugin, which fills remote_number with the
/// client's MAC; the Access-Request and the accounting carry it as
/// Calling-Station-Id, NAS-Port-Type Ethernet and the interface as
/// NAS-Port-Id.
fn pppoe_kernel_mode(rig: &Rig, name: &str) -> Result<(), String> {
    let server_log_path = rig.out.join(format!("{name}.server.log"));
    let options = rig.out.join("pppoe-server-options");
    std::fs::write(&options, format!("require-pap\nlcp-echo-interval 0\ndebug\nlogfile {}\n{}\n", server_log_path.display(), rig.plugin_option_lines()))
        .map_err(|e| e.to_string())?;
    rig::shell(
        "ip netns del pppoe-cl 2>/dev/null; ip link del veth-ac 2>/dev/null; \
         ip link add veth-ac type veth peer name veth-cl && ip netns add pppoe-cl && ip link set veth-cl netns pppoe-cl && \
         ip netns exec pppoe-cl ip link set veth-cl address 02:00:00:00:aa:01 && ip netns exec pppoe-cl ip link set veth-cl up && \
         ip netns exec pppoe-cl ip link set lo up && ip link set veth-ac up",
    )?;
    let k = rig::KernelPppoe::find()?;
    rig::shell(&format!(
        "{} -k -g {} -q /usr/sbin/pppd -I veth-ac -L 10.66.0.1 -R 10.66.0.10 -N 4 -O {}",
        k.server,
        k.plugin.display(),
        options.display()
    ))?;
    let client_log = rig.out.join(format!("{name}.client.log"));
    let mut client = std::process::Command::new("ip")
        .args(["netns", "exec", "pppoe-cl", "pppd", "plugin"])
        .arg(&k.plugin)
        .args(["nic-veth-cl", "nodetach", "noauth", "noipdefault", "debug", "lcp-echo-interval", "0", "user", "ppp-alice", "password", "ppp-alice-pw", "logfile"])
        .arg(&client_log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let server_log = || std::fs::read_to_string(&server_log_path).unwrap_or_default();
    let is_up = rig::wait_for(40, || server_log().contains("remote IP address 10.65.0.2"));
    let client_text = std::fs::read_to_string(&client_log).unwrap_or_default();
    let _ = client.kill();
    let _ = client.wait();
    ensure!(is_up, "PPPoE session never reached IP up\n--- server\n{}\n--- client\n{}", rig::tail(&server_log(), 25), rig::tail(&client_text, 15));
    ensure!(
        server_log().contains("Connect: ppp0 <--> veth-ac"),
        "the session did not run in kernel mode (no `Connect: ppp0 <--> veth-ac`)\n{}",
        rig::tail(&server_log(), 25)
    );
    let log = rig.fr.debug_log();
    let request = log.split("Received ").filter(|b| b.starts_with("Access-Request") && b.contains("ppp-alice")).last().unwrap_or_default().to_ascii_lowercase();
    ensure!(request.contains("calling-station-id = \"02:00:00:00:aa:01\""), "the Access-Request's Calling-Station-Id is not the client's MAC\n{request}");
    ensure!(request.contains("nas-port-type = ethernet"), "NAS-Port-Type is not Ethernet for PPPoE\n{request}");
    ensure!(request.contains("nas-port-id = \"veth-ac\""), "NAS-Port-Id is not the PPPoE interface\n{request}");
    ensure!(
        rig::wait_for(10, || rig.fr.detail("modern").to_ascii_lowercase().contains("calling-station-id = \"02:00:00:00:aa:01\"")),
        "no accounting record carries the client's MAC"
    );
    let _ = rig::shell("ip netns del pppoe-cl; ip link del veth-ac");
    Ok(())
}

fn l2tp_lns(rig: &Rig, name: &str) -> Result<(), String> {
    // xl2tpd's control FIFOs cannot live on the 9p share: tmpfs.
    let dir = std::path::PathBuf::from("/run/l2tp-test");
    let _ = std::fs::create_dir_all(&dir);
    let w = |f: &str, text: String| std::fs::write(dir.join(f), text).map_err(|e| e.to_string());
    let server_log = rig.out.join(format!("{name}.server.log"));
    w(
        "lns.conf",
        format!(
            "[global]\nlisten-addr = 127.0.0.1\nport = 1701\n\n[lns default]\nip range = 10.67.0.10-10.67.0.20\nlocal ip = 10.67.0.1\nrequire authentication = yes\nrequire chap = yes\nrefuse pap = yes\nname = vm-lns\npppoptfile = {}\nlength bit = yes\n",
            dir.join("lns.options").display()
        ),
    )?;
    w("lns.options", format!("{}\nlcp-echo-interval 0\ndebug\nlogfile {}\n", rig.plugin_option_lines(), server_log.display()))?;
    w(
        "lac.conf",
        format!(
            "[global]\nlisten-addr = 127.0.0.1\nport = 1702\n\n[lac test]\nlns = 127.0.0.1\nredial = no\nrequire authentication = no\nname = ppp-l2tp\npppoptfile = {}\nlength bit = yes\nautodial = yes\n",
            dir.join("lac.options").display()
        ),
    )?;
    w(
        "lac.options",
        format!("noauth\nnoipdefault\nuser ppp-l2tp\npassword ppp-l2tp-pw\nlcp-echo-interval 0\ndebug\nlogfile {}\n", rig.out.join(format!("{name}.client.log")).display()),
    )?;
    let d = dir.display();
    rig::shell(&format!("mkdir -p /var/run/xl2tpd; xl2tpd -c {d}/lns.conf -p {d}/lns.pid -C {d}/lns.control -D > {d}/lns.out 2>&1 &"))?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    rig::shell(&format!("xl2tpd -c {d}/lac.conf -p {d}/lac.pid -C {d}/lac.control -D > {d}/lac.out 2>&1 &"))?;
    let log = || std::fs::read_to_string(&server_log).unwrap_or_default();
    let is_up = rig::wait_for(60, || log().contains("remote IP address 10.65.0.4"));
    let lns_out = std::fs::read_to_string(dir.join("lns.out")).unwrap_or_default();
    ensure!(is_up, "L2TP session never reached IP up\n--- LNS pppd\n{}\n--- xl2tpd\n{}", rig::tail(&log(), 25), rig::tail(&lns_out, 15));
    ensure!(rig.radius_asked_for("ppp-l2tp"), "the LNS never asked RADIUS");
    ensure!(
        rig::wait_for(10, || rig.fr.detail("modern").split("\n\n").any(|r| r.contains("User-Name = \"ppp-l2tp\"") && r.contains("Acct-Status-Type = Start"))),
        "no accounting Start for the L2TP session"
    );
    Ok(())
}
