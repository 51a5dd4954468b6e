//! What a local user or a PPP peer can try against the plugin, with real
//! pppd: options on a setuid pppd's command line, a peer that never
//! answers Terminate-Request (with pppd under valgrind), and `persist`
//! running a second peer in the same pppd.

use crate::rig::{self, wait_for, Rig, Session, PEER, SESSIONS_DIR};
use crate::scenarios::ensure;
use std::process::Command;

/// A member of group `dip` runs the setuid pppd with the plugin from a
/// root-owned peers file: pppd itself refuses every plugin option on the
/// user's command line (it would choose the files root writes, the
/// servers, what requests say). Without them the same pppd goes on.
pub fn unprivileged_options_refused(rig: &Rig, name: &str) -> Result<(), String> {
    std::fs::create_dir_all("/etc/ppp/peers").map_err(|e| e.to_string())?;
    let peers = format!("/etc/ppp/peers/{name}");
    std::fs::write(&peers, format!("plugin {}\n", rig.plugin.display())).map_err(|e| e.to_string())?;
    rig::shell(&format!("chgrp dip {peers} && chmod 640 {peers}"))?;
    std::fs::write("/tmp/evil.toml", "[[server]]\naddress = \"192.0.2.66\"\nsecret = \"attacker-chosen-secret\"\n").map_err(|e| e.to_string())?;
    let dip_user = |extra: &str| -> Result<String, String> {
        let cmd = format!("setpriv --reuid=65534 --regid=65534 --groups=dip timeout 10 pppd call {name} nodetach notty {extra} 2>&1");
        let out = Command::new("sh").args(["-c", &cmd]).output().map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    for option in ["radius-rs-config /tmp/evil.toml", "radius-rs-avpair NAS-Identifier=forged", "map-to-ttyname"] {
        let said = dip_user(option)?;
        let word = option.split_whitespace().next().unwrap_or_default();
        ensure!(said.contains("radius_rs: plugin"), "the plugin was not loaded from the peers file: {said}");
        ensure!(said.contains(&format!("using the {word} option requires root privilege")), "pppd took `{option}` from a dip user:\n{said}");
    }
    let said = dip_user("")?;
    ensure!(!said.contains("requires root privilege"), "pppd refused the peers file itself:\n{said}");
    let _ = std::fs::remove_file(&peers);
    Ok(())
}

/// Idle-Timeout ends a session whose peer then never answers
/// Terminate-Request (it is stopped): pppd resends the request from the
/// reason the plugin gave lcp_close, long after the call. Under valgrind,
/// not one read of freed memory; pppd exits as its own idle timer would,
/// and the Stop says Idle-Timeout.
pub fn idle_timeout_unanswered_terminate(rig: &Rig, name: &str) -> Result<(), String> {
    let vg_log = rig.out.join(format!("{name}.valgrind.log"));
    let client_log = rig.out.join(format!("{name}.client.log"));
    let _ = std::fs::remove_file(&client_log);
    // valgrind will not run a setuid program: the same pppd, copied without the bit.
    rig::shell("install -m 755 /usr/sbin/pppd /run/pppd-unprivileged-copy")?;
    // pppd's own ioctls pass uninitialised padding: memcheck's definedness
    // checks are off; every read and write of freed or unowned memory is still caught.
    let pppd = format!("valgrind --undef-value-errors=no --error-exitcode=99 --log-file={} /run/pppd-unprivileged-copy", vg_log.display());
    let server = format!("{} require-pap 10.65.0.1:", rig.plugin_options());
    let peer = format!("{PEER} logfile {} user ppp-idle password ppp-idle-pw", client_log.display());
    let mut s = Session::spawn_through(rig, name, &pppd, &server, &peer);
    ensure!(rig.wait_up("ppp0", 120), "the link never reached IP up under valgrind\n{}", s.logs());
    let id = rig
        .seen("session.ppp0")
        .lines()
        .find_map(|l| l.strip_prefix("acct_session_id = ").map(|v| v.trim_matches('"').to_string()))
        .ok_or_else(|| format!("no session record under {SESSIONS_DIR}"))?;
    // The peer stops answering anything, Terminate-Requests included. Only
    // its own command line starts with `pppd notty` (ours holds it in its
    // pty option, the shell running pkill in its argument).
    rig::shell("pkill -STOP -f '^pppd notty'")?;
    let code = s.wait_exit(120);
    let _ = rig::shell("pkill -CONT -f '^pppd notty'; pkill -KILL -f '^pppd notty'");
    let valgrind = std::fs::read_to_string(&vg_log).unwrap_or_default();
    let log = s.server_log();
    ensure!(log.matches("sent [LCP TermReq").count() >= 2, "pppd did not resend the Terminate-Request\n{}", s.logs());
    ensure!(log.contains("\"Link inactive\""), "the Terminate-Request lost its reason\n{}", s.logs());
    ensure!(!valgrind.contains("Invalid read"), "pppd read freed memory:\n{}", rig::tail(&valgrind, 40));
    ensure!(valgrind.contains("ERROR SUMMARY: 0 errors"), "valgrind found errors:\n{}", rig::tail(&valgrind, 40));
    // pppd sets EXIT_IDLE_TIMEOUT; when it gives up on the silent peer and
    // closes the pty, its hangup handling makes that EXIT_HANGUP.
    ensure!(matches!(code, Some(12 | 16)), "pppd ended with {code:?}, expected 12 (idle timeout) or 16 (hangup)\n{}", s.logs());
    ensure!(!log.contains("already borrowed"), "a hook was re-entered while the plugin's state was held\n{}", s.logs());
    ensure!(
        wait_for(10, || rig.records(&id).iter().any(|r| r.contains("Acct-Status-Type = Stop") && r.contains("Acct-Terminate-Cause = Idle-Timeout"))),
        "no Stop with Acct-Terminate-Cause = Idle-Timeout for {id}: {:?}",
        rig.records(&id)
    );
    Ok(())
}

/// `persist`: when the first peer (ppp-alice) hangs up, the same pppd runs
/// the next (ppp-l2tp), who gets their own address and no trace of the
/// first one's grant — not alice's address, User-Name or Class.
pub fn persist_next_peer_starts_clean(rig: &Rig, name: &str) -> Result<(), String> {
    let count = "/run/persist-count";
    let _ = std::fs::remove_file(count);
    let script = "/run/persist-peer.sh";
    let client_log = rig.out.join(format!("{name}.client.log"));
    std::fs::write(
        script,
        format!(
            "#!/bin/sh\nn=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}\n\
             if [ \"$n\" = 0 ]; then u=ppp-alice; p=ppp-alice-pw; else u=ppp-l2tp; p=ppp-l2tp-pw; fi\n\
             exec {PEER} maxconnect 4 logfile {}.$n user $u password $p\n",
            client_log.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    rig::shell(&format!("chmod 755 {script}"))?;
    let server = format!("{} persist holdoff 1 maxfail 0 require-pap 10.65.0.1:", rig.plugin_options());
    let mut s = Session::spawn(rig, name, &server, script);
    let session_of = || rig.seen("session.ppp0").lines().find_map(|l| l.strip_prefix("acct_session_id = ").map(|v| v.trim_matches('"').to_string()));
    ensure!(rig.wait_up("ppp0", 40), "the first link never reached IP up\n{}", s.logs());
    let first = session_of().ok_or("no session record for the first link")?;
    let _ = std::fs::remove_file(rig.seen.join("up.ppp0"));
    let second_up = rig.wait_up("ppp0", 60);
    let second = session_of();
    let _ = s.hang_up();
    ensure!(second_up, "the second link never reached IP up\n{}", s.logs());
    let second = second.filter(|id| *id != first).ok_or("the second link has no session of its own")?;
    ensure!(s.server_log().contains("remote IP address 10.65.0.4"), "ppp-l2tp did not get its own address\n{}", s.logs());
    let start = rig
        .records(&second)
        .into_iter()
        .find(|r| r.contains("Acct-Status-Type = Start"))
        .ok_or_else(|| format!("no Start for the second link ({second})"))?;
    ensure!(start.contains("User-Name = \"ppp-l2tp\""), "the second link's Start is not ppp-l2tp's:\n{start}");
    ensure!(start.contains("Framed-IP-Address = 10.65.0.4"), "the second link's Start has another address:\n{start}");
    ensure!(!start.contains("Class = 0x7070702d676f6c64"), "the second link's Start carries the first peer's Class:\n{start}");
    Ok(())
}
