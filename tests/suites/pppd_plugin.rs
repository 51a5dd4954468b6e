//! The pppd plugin and radius-rs-dmd against real pppd 2.4.9, FreeRADIUS,
//! radclient, pppoe-server and xl2tpd. The host kernel has no PPP, so one throwaway VM (virtme-ng,
//! Debian's kernel, TCG) boots for the whole suite and runs
//! `ppp-scenarios` (tests/ppp/), which drives every scenario and writes a
//! verdict per scenario; each test below asserts its own verdict.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const KERNEL: &str = "/var/lib/radius_rs/vm/vmlinuz";

struct Run {
    out: PathBuf,
    verdicts: String,
}

fn target_dir() -> PathBuf {
    // tests/ → the workspace's target/<profile>/
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_ppp-scenarios"));
    exe.parent().expect("target dir").to_path_buf()
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        assert!(Path::new(KERNEL).exists(), "{KERNEL} is missing: run scripts/setup.sh (it fetches the VM kernel)");
        let plugin = target_dir().join("libradius_rs.so");
        assert!(plugin.exists(), "{} is missing: `cargo build --workspace` builds the plugin", plugin.display());
        let dmd = target_dir().join("radius-rs-dmd");
        assert!(dmd.exists(), "{} is missing: `cargo build --workspace` builds the daemon", dmd.display());
        let out = tempfile::Builder::new().prefix("ppp-vm-").tempdir().expect("tempdir").keep();
        let guest = format!("{} {} {}", env!("CARGO_BIN_EXE_ppp-scenarios"), out.display(), plugin.display());
        let status = Command::new("timeout")
            .args(["1200", "vng", "--run", KERNEL, "--disable-kvm", "--memory", "1G", "--cpus", "2", "--rwdir"])
            .arg(&out)
            .args(["--exec", &guest])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("vng (virtme-ng) runs: scripts/setup.sh installs it");
        let verdicts = std::fs::read_to_string(out.join("verdicts")).unwrap_or_default();
        assert!(
            verdicts.contains("done\tok"),
            "the VM run did not finish (vng exit {:?}); verdicts so far:\n{verdicts}\nvng output:\n{}{}",
            status.status.code(),
            String::from_utf8_lossy(&status.stdout).lines().rev().take(40).collect::<Vec<_>>().join("\n"),
            String::from_utf8_lossy(&status.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
        );
        Run { out, verdicts }
    })
}

fn verdict(name: &str) {
    let r = run();
    let line = r.verdicts.lines().find(|l| l.split('\t').next() == Some(name));
    match line {
        Some(l) if l.ends_with("\tok") => {}
        Some(l) => panic!("{l}\n(logs in {})", r.out.display()),
        None => panic!("scenario {name} has no verdict; all:\n{}", r.verdicts),
    }
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => { $( #[test] fn $name() { verdict(stringify!($name)); } )* };
}

scenarios!(
    setup,
    pap_radius_session,
    pap_wrong_password,
    chap_md5_radius,
    mschapv2_mppe_radius,
    mschapv2_wrong_password,
    local_chap_first,
    local_mschapv2_mppe,
    local_pap_first,
    local_static_addresses,
    service_type_login_refused,
    session_timeout,
    pppoe_calling_station_mac,
    l2tp_lns,
    dm_disconnect_by_user,
    dm_disconnect_by_session_id,
    dm_disconnect_by_ip,
    dm_refusals_and_duplicates,
    dm_coa_session_timeout,
    dm_coa_hook,
    dm_lost_session_stop,
    dm_replay_from_another_port,
    dm_coa_burst_answered,
    unprivileged_options_refused,
    idle_timeout_unanswered_terminate,
    persist_next_peer_starts_clean,
    reference_radius_so,
);
