//! The same PAP session through pppd's stock radius.so (radiusclient
//! configuration written here, its dictionary generated from our own
//! attribute table) and through ours, in the same run: our Start and Stop
//! must carry every attribute name radius.so's carry. The authenticating
//! pppd's memory with each plugin (VmHWM, RssAnon, Pss at IP up; the
//! median of three sessions each, interleaved) is written to `rss` for the
//! benchmark.

use crate::rig::{self, Rig, Session};
use crate::scenarios::ensure;
use radius_core::dictionary::{Kind, NAMED_VALUES, STANDARD, VENDOR};
use radius_testbed::SECRET;
use std::collections::BTreeSet;
use std::path::Path;

const RADIUS_SO: &str = "/usr/lib/pppd/2.4.9/radius.so";

fn rc_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "integer",
        Kind::Ipv4 => "ipaddr",
        _ => "string",
    }
}

/// A radiusclient dictionary from the attribute facts radius_rs knows.
fn dictionary() -> String {
    let mut d = String::new();
    for (t, name, kind) in STANDARD {
        d += &format!("ATTRIBUTE\t{name}\t{t}\t{}\n", rc_type(*kind));
    }
    for (t, v, name) in NAMED_VALUES {
        if let Some((_, attr, _)) = STANDARD.iter().find(|(x, _, _)| x == t) {
            d += &format!("VALUE\t{attr}\t{name}\t{v}\n");
        }
    }
    d += "VALUE\tAcct-Status-Type\tStart\t1\nVALUE\tAcct-Status-Type\tStop\t2\nVALUE\tAcct-Status-Type\tAlive\t3\n";
    d += "VENDOR\tMicrosoft\t311\nVENDOR\tMikrotik\t14988\n";
    for (vendor, t, name, kind) in VENDOR {
        let v = if *vendor == 311 { "Microsoft" } else { "Mikrotik" };
        d += &format!("ATTRIBUTE\t{name}\t{t}\t{}\t{v}\n", rc_type(*kind));
    }
    d
}

pub fn write_radiusclient(dir: &Path, auth: u16, acct: u16) -> Result<(), String> {
    let w = |f: &str, text: String| std::fs::write(dir.join(f), text).map_err(|e| e.to_string());
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    w("dictionary", dictionary())?;
    w("servers", format!("127.0.0.1\t{SECRET}\n"))?;
    w("port-id-map", String::new())?;
    let d = dir.display();
    w(
        "radiusclient.conf",
        format!(
            "auth_order\tradius\nlogin_tries\t4\nlogin_timeout\t60\nnologin\t/etc/nologin\nissue\t/etc/issue\n\
             authserver\t127.0.0.1:{auth}\nacctserver\t127.0.0.1:{acct}\nservers\t{d}/servers\n\
             dictionary\t{d}/dictionary\nlogin_radius\t/bin/true\nseqfile\t{d}/radius.seq\nmapfile\t{d}/port-id-map\n\
             default_realm\nradius_timeout\t3\nradius_retries\t2\nlogin_local\t/bin/login\n"
        ),
    )?;
    Ok(())
}

/// Attribute names of the accounting records of `status` in `detail`.
fn names(detail: &str, user: &str, status: &str) -> BTreeSet<String> {
    detail
        .split("\n\n")
        .filter(|r| r.contains(&format!("User-Name = \"{user}\"")) && r.contains(&format!("Acct-Status-Type = {status}")))
        .flat_map(|r| r.lines().filter_map(|l| l.trim().split_once(" = ").map(|(n, _)| n.to_string())).collect::<Vec<_>>())
        .collect()
}

fn one_session(rig: &Rig, name: &str, plugin_options: &str) -> Result<(Session, rig::Memory), String> {
    let s = Session::start_with(rig, name, &format!("require-pap 10.65.0.1: {plugin_options}"), "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "{name}: the link never reached IP up\n{}", s.logs());
    let memory = rig::Memory::of(s.pid()).ok_or_else(|| format!("{name}: no /proc memory figures for pppd {}", s.pid()))?;
    // Where it is, mapping by mapping, for whoever wants to know.
    let _ = std::fs::copy(format!("/proc/{}/smaps", s.pid()), rig.out.join(format!("{name}.smaps")));
    Ok((s, memory))
}

/// Element-wise medians of the figures.
fn median(all: &mut [rig::Memory]) -> rig::Memory {
    let mid = |f: fn(&rig::Memory) -> u64, all: &mut [rig::Memory]| {
        let mut v: Vec<u64> = all.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    rig::Memory { hwm_kb: mid(|m| m.hwm_kb, all), rss_anon_kb: mid(|m| m.rss_anon_kb, all), pss_kb: mid(|m| m.pss_kb, all) }
}

/// `plugin radius_rs.so` in place of `plugin radius.so`, with radius.so's
/// own option lines and radiusclient files unchanged: the peer is
/// authenticated by the server those files name, radius.so's `avpair` goes
/// into the request, and the session is accounted there.
pub fn radius_so_drop_in(rig: &Rig, name: &str) -> Result<(), String> {
    let dir = rig.out.join("radiusclient-dropin");
    write_radiusclient(&dir, rig.fr.legacy_auth, rig.fr.legacy_acct)?;
    let options = rig.out.join(format!("{name}.options"));
    std::fs::write(
        &options,
        format!(
            "plugin {}\nradius-config-file {}\navpair NAS-Identifier=dropin-bras\nrequire-pap\n",
            rig.plugin.display(),
            dir.join("radiusclient.conf").display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut s = Session::start_with(rig, name, &format!("file {} 10.65.0.1:", options.display()), "user ppp-alice password ppp-alice-pw");
    ensure!(rig.wait_up("ppp0", 40), "the link never reached IP up\n{}", s.logs());
    ensure!(s.server_log().contains("remote IP address 10.65.0.2"), "the peer did not get its Framed-IP-Address\n{}", s.logs());
    s.hang_up();
    let log = rig.fr.debug_log();
    ensure!(
        log.split("Received ").any(|b| b.starts_with("Access-Request") && b.contains("NAS-Identifier = \"dropin-bras\"") && b.contains("ppp-alice")),
        "no Access-Request with radius.so's avpair reached the server the radiusclient files name"
    );
    ensure!(
        rig::wait_for(10, || rig.fr.detail("legacy").split("\n\n").any(|r| r.contains("NAS-Identifier = \"dropin-bras\"") && r.contains("Acct-Status-Type = Stop"))),
        "no Stop at the radiusclient accounting server"
    );
    Ok(())
}

pub fn compare(rig: &Rig, name: &str) -> Result<(), String> {
    ensure!(Path::new(RADIUS_SO).exists(), "{RADIUS_SO} is missing (package ppp)");
    let dir = rig.out.join("radiusclient");
    write_radiusclient(&dir, rig.fr.legacy_auth, rig.fr.legacy_acct)?;
    let theirs_opts = format!("plugin {RADIUS_SO} radius-config-file {}", dir.join("radiusclient.conf").display());
    let (mut theirs_mem, mut ours_mem) = (Vec::new(), Vec::new());
    for round in 0..3 {
        let (mut s, m) = one_session(rig, &format!("{name}-radius.so-{round}"), &theirs_opts)?;
        theirs_mem.push(m);
        s.hang_up();
        drop(s);
        rig.cleanup();
        let (mut s, m) = one_session(rig, &format!("{name}-ours-{round}"), &rig.plugin_options())?;
        ours_mem.push(m);
        s.hang_up();
        drop(s);
        rig.cleanup();
    }
    let legacy = |st: &str| names(&rig.fr.detail("legacy"), "ppp-alice", st);
    ensure!(rig::wait_for(10, || !legacy("Stop").is_empty()), "radius.so's Stop never reached FreeRADIUS");
    ensure!(rig::wait_for(10, || !names(&rig.fr.detail("modern"), "ppp-alice", "Stop").is_empty()), "our Stop never reached FreeRADIUS");
    let mut report = String::new();
    for status in ["Start", "Stop"] {
        let theirs = legacy(status);
        let ours = names(&rig.fr.detail("modern"), "ppp-alice", status);
        let missing: Vec<&String> = theirs.difference(&ours).collect();
        report += &format!("{status}: radius.so {theirs:?}\n{status}: ours {ours:?}\n");
        ensure!(missing.is_empty(), "our {status} lacks {missing:?} that radius.so sends");
    }
    std::fs::write(rig.out.join("attributes-compared"), report).map_err(|e| e.to_string())?;
    let (theirs, ours) = (median(&mut theirs_mem), median(&mut ours_mem));
    std::fs::write(
        rig.out.join("rss"),
        format!(
            "radius.so {} {} {}\nradius_rs {} {} {}\n",
            theirs.hwm_kb, theirs.rss_anon_kb, theirs.pss_kb, ours.hwm_kb, ours.rss_anon_kb, ours.pss_kb
        ),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// How long pppd takes from the peer's CHAP Response to its CHAP Success,
/// watched in its log (written line by line) every millisecond.
fn chap_decision_time(s: &Session, name: &str) -> Result<std::time::Duration, String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut response_seen: Option<std::time::Instant> = None;
    while std::time::Instant::now() < deadline {
        let log = s.server_log();
        match response_seen {
            None if log.contains("rcvd [CHAP Response") => response_seen = Some(std::time::Instant::now()),
            Some(t) if log.contains("sent [CHAP Success") => return Ok(t.elapsed()),
            _ => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(format!("{name}: no CHAP Success within 60 s\n{}", s.logs()))
}

/// The benchmark's cost-growth line for local-first authentication: a
/// local CHAP user at the end of a 50,000-line chap-secrets, decided by
/// pppd alone (no plugin) and with radius_rs.so (which finds the user's
/// record in the file and checks the response itself), and radius_rs.so
/// with a one-line file; three sessions each, interleaved, medians in
/// `chap-growth`. Run by `scripts/bench.sh` only (name it in the filter).
pub fn bench_chap_secrets_growth(rig: &Rig, name: &str) -> Result<(), String> {
    const LINES: usize = 50_000;
    let original = std::fs::read_to_string("/etc/ppp/chap-secrets").map_err(|e| e.to_string())?;
    let mut big = String::from("# client server secret addresses\n");
    for i in 0..LINES - 1 {
        big += &format!("bulk-{i:05} * \"bulk secret {i}\" *\n");
    }
    big += "local-chap * \"local chap pw\" *\n";
    let server = "require-chap 10.65.0.1:10.65.0.50";
    let peer = "user local-chap password \"local chap pw\"";
    let mut times: [Vec<std::time::Duration>; 3] = Default::default();
    let result = (|| {
        for round in 0..3 {
            for (i, (label, secrets, plugin)) in
                [("pppd", &big, false), ("radius_rs", &big, true), ("radius_rs-1-line", &original, true)].into_iter().enumerate()
            {
                std::fs::write("/etc/ppp/chap-secrets", secrets).map_err(|e| e.to_string())?;
                let opts = if plugin { format!("{} {server}", rig.plugin_options()) } else { server.to_string() };
                let mut s = Session::start_with(rig, &format!("{name}-{label}-{round}"), &opts, peer);
                times[i].push(chap_decision_time(&s, label)?);
                ensure!(rig.wait_up("ppp0", 40), "{label}: the link never reached IP up\n{}", s.logs());
                s.hang_up();
                drop(s);
                rig.cleanup();
            }
        }
        Ok(())
    })();
    std::fs::write("/etc/ppp/chap-secrets", original).map_err(|e| e.to_string())?;
    result?;
    let median = |v: &mut Vec<std::time::Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let [pppd, ours, ours_small] = &mut times;
    std::fs::write(
        rig.out.join("chap-growth"),
        format!("pppd {:.1}\nradius_rs {:.1}\nradius_rs_1_line {:.1}\n", median(pppd), median(ours), median(ours_small)),
    )
    .map_err(|e| e.to_string())
}

/// Which of the plugin's functions an authenticating pppd runs: a uprobe on
/// the entry of each function in `functions` (`FILE_OFFSET_HEX NAME` lines,
/// written by `scripts/hot-symbols.sh` from the link map), then a PAP, a
/// CHAP and an MS-CHAPv2 session from start to hang-up. The names whose
/// probe fired go to `hot-functions` for the linker's symbol order, grouped
/// by the kinds of session that ran them, so that a session of one kind
/// touches a stretch or two of the code and not the other kinds' functions
/// between its own. Run by that script only.
pub fn bench_hot_functions(rig: &Rig, name: &str) -> Result<(), String> {
    let tracing = Path::new("/sys/kernel/tracing");
    if !tracing.join("uprobe_events").exists() {
        rig::shell("mount -t tracefs nodev /sys/kernel/tracing")?;
    }
    let list = std::fs::read_to_string(rig.out.join("functions")).map_err(|e| format!("functions: {e}"))?;
    let mut functions: Vec<(u64, &str)> = Vec::new();
    for line in list.lines() {
        let (offset, symbol) = line.split_once(' ').ok_or_else(|| format!("functions: {line:?}"))?;
        functions.push((u64::from_str_radix(offset, 16).map_err(|e| format!("functions: {line:?}: {e}"))?, symbol));
    }
    let plugin = std::fs::canonicalize(&rig.plugin).map_err(|e| e.to_string())?;
    let mut offsets: Vec<u64> = functions.iter().map(|f| f.0).collect();
    offsets.sort();
    offsets.dedup();
    let probes: String = offsets.iter().enumerate().map(|(i, o)| format!("p:rrs/f{i} {}:0x{o:x}\n", plugin.display())).collect();
    std::fs::write(tracing.join("uprobe_events"), probes).map_err(|e| format!("uprobe_events: {e}"))?;
    std::fs::write(tracing.join("events/rrs/enable"), "1").map_err(|e| format!("enable: {e}"))?;
    // Hits so far of each probe, by offset ("  FILE EVENT HITS" per probe).
    let hits = || -> Result<Vec<u64>, String> {
        let profile = std::fs::read_to_string(tracing.join("uprobe_profile")).map_err(|e| format!("uprobe_profile: {e}"))?;
        let mut hits = vec![0; offsets.len()];
        for line in profile.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [_, event, count] = f[..] {
                let bad = || format!("uprobe_profile: {line:?}");
                let i: usize = event.trim_start_matches("rrs/").trim_start_matches('f').parse().map_err(|_| bad())?;
                *hits.get_mut(i).ok_or_else(bad)? = count.parse().map_err(|_| bad())?;
            }
        }
        Ok(hits)
    };
    let result = (|| {
        // Bit k of ran[i]: the k-th kind of session ran the function at offsets[i].
        let mut ran = vec![0u8; offsets.len()];
        let mut before = hits()?;
        for (k, (label, server, peer)) in [
            ("pap", "require-pap 10.65.0.1:", "user ppp-alice password ppp-alice-pw"),
            ("chap", "require-chap 10.65.0.1:", "user ppp-alice password ppp-alice-pw"),
            ("mschapv2", "require-mschap-v2 require-mppe-128 10.65.0.1:", "user ppp-alice password ppp-alice-pw require-mppe-128"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut s = Session::start(rig, &format!("{name}-{label}"), server, peer);
            ensure!(rig.wait_up("ppp0", 60), "{label}: the link never reached IP up\n{}", s.logs());
            std::thread::sleep(std::time::Duration::from_secs(2));
            ensure!(s.hang_up().is_some(), "{label}: pppd did not end on hang-up\n{}", s.logs());
            drop(s);
            rig.cleanup();
            let after = hits()?;
            for (i, (a, b)) in after.iter().zip(&before).enumerate() {
                if a > b {
                    ran[i] |= 1 << k;
                }
            }
            before = after;
        }
        ensure!(ran.iter().any(|&r| r != 0), "no probe fired in {} functions", offsets.len());
        // Those of all three kinds first, then around the ring PAP,
        // MS-CHAPv2, CHAP: each kind's functions lie in at most two
        // stretches. File order within each group.
        const GROUPS: [u8; 7] = [0b111, 0b011, 0b001, 0b101, 0b100, 0b110, 0b010];
        let rank = |r: u8| GROUPS.iter().position(|&g| g == r).expect("every non-empty set of three kinds is a group");
        let mut hot: Vec<(usize, u64, &str)> = Vec::new();
        for &(offset, symbol) in &functions {
            let r = ran[offsets.binary_search(&offset).expect("offsets holds every function's offset")];
            if r != 0 {
                hot.push((rank(r), offset, symbol));
            }
        }
        hot.sort();
        let text: String = hot.iter().map(|f| format!("{}\n", f.2)).collect();
        std::fs::write(rig.out.join("hot-functions"), text).map_err(|e| e.to_string())
    })();
    let _ = std::fs::write(tracing.join("events/rrs/enable"), "0");
    let _ = std::fs::write(tracing.join("uprobe_events"), "");
    result
}
