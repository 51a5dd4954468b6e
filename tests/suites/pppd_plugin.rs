//! The pppd plugin and radius-rs-dmd against real pppd, FreeRADIUS,
//! radclient, pppoe-server and xl2tpd. The host kernel has no PPP, so a
//! throwaway VM (virtme-ng, Debian's kernel, TCG) boots once per pppd
//! version and runs `ppp-scenarios` (tests/ppp/), which drives the
//! scenarios and writes a verdict per scenario; each test below asserts its
//! own verdict. pppd 2.4.9 (bookworm, the host's root) runs every scenario;
//! pppd 2.5.2 (a debootstrap'd Debian trixie root, with its FreeRADIUS
//! 3.2.7, and the plugin built against trixie's ppp-dev) runs the core ones
//! (`pppd_2_5::*`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

const KERNEL: &str = "/var/lib/radius_rs/vm/vmlinuz";
/// Debian trixie's root (pppd 2.5.2, FreeRADIUS 3.2.7), built by scripts/setup.sh.
const TRIXIE: &str = "/var/lib/radius_rs/trixie";

struct Run {
    out: PathBuf,
    verdicts: String,
}

/// Which pppd a VM run uses.
#[derive(Clone, Copy)]
enum Pppd {
    /// bookworm's 2.4.9: the host's own root.
    V2_4,
    /// trixie's 2.5.2: the debootstrap'd root, and the plugin built against its headers.
    V2_5,
}

/// The scenarios the pppd 2.5 VM runs: the core ones (every method,
/// local first, accounting, Session-Timeout, a Disconnect, an outage of
/// the accounting server, PPPoE).
const CORE_2_5: &str = "pap_radius_session,chap_md5_radius,mschapv1_radius,mschapv2_mppe_radius,local_chap_first,local_pap_first,\
local_static_addresses,ipv6_,session_timeout,traffic_limit,dm_disconnect_by_user,dm_spool_outage,radsec_session,pppoe_,radius_so_drop_in";

fn target_dir() -> PathBuf {
    // tests/ → the workspace's target/<profile>/
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_ppp-scenarios"));
    exe.parent().expect("target dir").to_path_buf()
}

fn run(pppd: Pppd) -> &'static Run {
    static V2_4: OnceLock<Run> = OnceLock::new();
    static V2_5: OnceLock<Run> = OnceLock::new();
    // One VM at a time: TCG is CPU-bound and the scenarios have deadlines.
    static ONE_VM: Mutex<()> = Mutex::new(());
    let cell = match pppd {
        Pppd::V2_4 => &V2_4,
        Pppd::V2_5 => &V2_5,
    };
    cell.get_or_init(|| {
        let _one = ONE_VM.lock().unwrap_or_else(|e| e.into_inner());
        boot(pppd)
    })
}

fn boot(pppd: Pppd) -> Run {
    assert!(Path::new(KERNEL).exists(), "{KERNEL} is missing: run scripts/setup.sh (it fetches the VM kernel)");
    let target = target_dir();
    let profile = target.file_name().expect("profile dir").to_owned();
    let plugin = match pppd {
        Pppd::V2_4 => target.join("libradius_rs.so"),
        Pppd::V2_5 => target.parent().expect("target").join("pppd-2.5").join(&profile).join("libradius_rs.so"),
    };
    assert!(plugin.exists(), "{} is missing: scripts/test.sh builds it (cargo build; PPPD_INCLUDE_DIR=… for 2.5)", plugin.display());
    let dmd = target.join("radius-rs-dmd");
    assert!(dmd.exists(), "{} is missing: `cargo build --workspace` builds the daemon", dmd.display());
    let out = tempfile::Builder::new().prefix("ppp-vm-").tempdir().expect("tempdir").keep();
    let mut vng = Command::new("timeout");
    vng.args(["1200", "vng", "--run", KERNEL, "--disable-kvm", "--memory", "1G", "--cpus", "2"]);
    let guest = match pppd {
        Pppd::V2_4 => {
            vng.arg("--rwdir").arg(&out);
            format!("{} {} {}", env!("CARGO_BIN_EXE_ppp-scenarios"), out.display(), plugin.display())
        }
        Pppd::V2_5 => {
            assert!(Path::new(TRIXIE).join("usr/sbin/pppd").exists(), "{TRIXIE} is missing: run scripts/setup.sh (it debootstraps it)");
            // The trixie root is the guest's /; the host's modules, build
            // outputs and the verdicts directory are mounted into it.
            let workspace_target = target.parent().expect("target");
            vng.args(["--root", TRIXIE, "--rodir=/usr/lib/modules=/lib/modules"]);
            vng.arg(format!("--rodir=/tmp/radius-rs-target={}", workspace_target.display()));
            vng.arg(format!("--rwdir={0}={0}", out.display()));
            let inside = |p: &Path| Path::new("/tmp/radius-rs-target").join(p.strip_prefix(workspace_target).expect("under target"));
            let exe = PathBuf::from(env!("CARGO_BIN_EXE_ppp-scenarios"));
            format!("{} {} {} {CORE_2_5}", inside(&exe).display(), out.display(), inside(&plugin).display())
        }
    };
    let status = vng.args(["--exec", &guest]).stdin(std::process::Stdio::null()).output().expect("vng (virtme-ng) runs: scripts/setup.sh installs it");
    let verdicts = std::fs::read_to_string(out.join("verdicts")).unwrap_or_default();
    assert!(
        verdicts.contains("done\tok"),
        "the VM run did not finish (vng exit {:?}); verdicts so far:\n{verdicts}\nvng output:\n{}{}",
        status.status.code(),
        String::from_utf8_lossy(&status.stdout).lines().rev().take(40).collect::<Vec<_>>().join("\n"),
        String::from_utf8_lossy(&status.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    Run { out, verdicts }
}

fn verdict(pppd: Pppd, name: &str) {
    let r = run(pppd);
    let line = r.verdicts.lines().find(|l| l.split('\t').next() == Some(name));
    match line {
        Some(l) if l.ends_with("\tok") => {}
        Some(l) => panic!("{l}\n(logs in {})", r.out.display()),
        None => panic!("scenario {name} has no verdict; all:\n{}", r.verdicts),
    }
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => { $( #[test] fn $name() { verdict(Pppd::V2_4, stringify!($name)); } )* };
}

/// The same scenarios with pppd 2.5.2 (the module's tests are named after them).
macro_rules! scenarios_2_5 {
    ($($name:ident),* $(,)?) => {
        mod pppd_2_5 {
            use super::*;
            $( #[test] fn $name() { verdict(Pppd::V2_5, stringify!($name)); } )*
        }
    };
}

scenarios!(
    setup,
    pap_radius_session,
    pap_wrong_password,
    chap_md5_radius,
    mschapv1_radius,
    mschapv2_mppe_radius,
    mschapv2_wrong_password,
    local_chap_first,
    local_mschapv2_mppe,
    local_pap_first,
    local_static_addresses,
    service_type_login_refused,
    ipv6_delegated_prefix,
    session_timeout,
    traffic_limit,
    pppoe_kernel_mode,
    l2tp_lns,
    dm_disconnect_by_user,
    dm_disconnect_by_session_id,
    dm_disconnect_by_ip,
    dm_refusals_and_duplicates,
    dm_coa_session_timeout,
    dm_coa_hook,
    dm_lost_session_stop,
    dm_spool_outage,
    radsec_session,
    dm_replay_from_another_port,
    dm_coa_burst_answered,
    unprivileged_options_refused,
    idle_timeout_unanswered_terminate,
    persist_next_peer_starts_clean,
    radius_so_drop_in,
    reference_radius_so,
);

scenarios_2_5!(
    setup,
    pap_radius_session,
    chap_md5_radius,
    mschapv1_radius,
    mschapv2_mppe_radius,
    local_chap_first,
    local_pap_first,
    local_static_addresses,
    ipv6_delegated_prefix,
    session_timeout,
    traffic_limit,
    dm_disconnect_by_user,
    dm_spool_outage,
    radsec_session,
    pppoe_kernel_mode,
    radius_so_drop_in,
);
