//! The Rust declarations against the headers they were built for: a C
//! program compiled from `PPPD_INCLUDE_DIR` (pppd 2.4 or 2.5) prints each
//! struct's size and field offsets, and they must equal ours.

use super::sys;
use std::mem::{offset_of, size_of};
use std::process::Command;

const PROGRAM: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/ppp_defs.h>
#include "pppd.h"
#ifdef PPPD_2_5
#include "options.h"
#include "eui64.h"
#endif
#include "fsm.h"
#include "ipcp.h"
#include "ipv6cp.h"
#include VERSION_HEADER
#define P(t, f) printf(#t "." #f " %zu\n", offsetof(t, f))
#define S(t) printf(#t " %zu\n", sizeof(t))
int main(void) {
    S(option_t); P(option_t, type); P(option_t, addr); P(option_t, flags); P(option_t, addr2);
    P(option_t, source); P(option_t, priority); P(option_t, winner);
    S(ipcp_options); P(ipcp_options, vj_protocol); P(ipcp_options, cflag); P(ipcp_options, ouraddr);
    P(ipcp_options, hisaddr); P(ipcp_options, dnsaddr); P(ipcp_options, winsaddr);
    S(ipv6cp_options); P(ipv6cp_options, opt_remote); P(ipv6cp_options, vj_protocol);
    P(ipv6cp_options, ourid); P(ipv6cp_options, hisid);
    S(struct pppd_stats); P(struct pppd_stats, bytes_out); P(struct pppd_stats, pkts_in); P(struct chap_digest_type, code);
    S(struct ppp_idle); P(struct ppp_idle, recv_idle);
    printf("VERSION %s\n", VERSION_MACRO);
    return 0;
}
"#;

fn c_layout() -> String {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("layout.c");
    let bin = dir.path().join("layout");
    std::fs::write(&src, PROGRAM).unwrap();
    // 2.4 names its CHAP header chap-new.h and its version VERSION; 2.5
    // has chap.h and PPPD_VERSION.
    let version = if cfg!(pppd_2_5) {
        ["-DVERSION_HEADER=\"chap.h\"", "-DVERSION_MACRO=PPPD_VERSION", "-DPPPD_2_5"]
    } else {
        ["-DVERSION_HEADER=\"chap-new.h\"", "-DVERSION_MACRO=VERSION", "-DPPPD_2_4"]
    };
    let out = Command::new("cc")
        .args(["-DINET6", "-DCHAPMS", "-DMPPE"])
        .args(version)
        .args(["-I", env!("PPPD_INCLUDE_DIR"), "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("a C compiler (cc)");
    assert!(out.status.success(), "compiling against the pppd headers failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(Command::new(&bin).output().unwrap().stdout).unwrap()
}

#[test]
fn layouts_match_the_installed_headers() {
    let rust = [
        ("option_t", size_of::<sys::option_t>()),
        ("option_t.type", offset_of!(sys::option_t, type_)),
        ("option_t.addr", offset_of!(sys::option_t, addr)),
        ("option_t.flags", offset_of!(sys::option_t, flags)),
        ("option_t.addr2", offset_of!(sys::option_t, addr2)),
        ("option_t.source", offset_of!(sys::option_t, source)),
        ("option_t.priority", offset_of!(sys::option_t, priority)),
        ("option_t.winner", offset_of!(sys::option_t, winner)),
        ("ipcp_options", size_of::<sys::ipcp_options>()),
        ("ipcp_options.vj_protocol", offset_of!(sys::ipcp_options, vj_protocol)),
        ("ipcp_options.cflag", offset_of!(sys::ipcp_options, cflag)),
        ("ipcp_options.ouraddr", offset_of!(sys::ipcp_options, ouraddr)),
        ("ipcp_options.hisaddr", offset_of!(sys::ipcp_options, hisaddr)),
        ("ipcp_options.dnsaddr", offset_of!(sys::ipcp_options, dnsaddr)),
        ("ipcp_options.winsaddr", offset_of!(sys::ipcp_options, winsaddr)),
        ("ipv6cp_options", size_of::<sys::ipv6cp_options>()),
        ("ipv6cp_options.opt_remote", offset_of!(sys::ipv6cp_options, opt_remote)),
        ("ipv6cp_options.vj_protocol", offset_of!(sys::ipv6cp_options, vj_protocol)),
        ("ipv6cp_options.ourid", offset_of!(sys::ipv6cp_options, ourid)),
        ("ipv6cp_options.hisid", offset_of!(sys::ipv6cp_options, hisid)),
        ("struct pppd_stats", size_of::<sys::pppd_stats>()),
        ("struct pppd_stats.bytes_out", offset_of!(sys::pppd_stats, bytes_out)),
        ("struct pppd_stats.pkts_in", offset_of!(sys::pppd_stats, pkts_in)),
        ("struct chap_digest_type.code", offset_of!(sys::chap_digest_type, code)),
        ("struct ppp_idle", size_of::<sys::ppp_idle>()),
        ("struct ppp_idle.recv_idle", offset_of!(sys::ppp_idle, recv_idle)),
    ];
    let c = c_layout();
    for (name, ours) in rust {
        let theirs = c
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} missing from\n{c}"));
        assert_eq!(theirs, ours.to_string(), "{name}: headers say {theirs}, Rust says {ours}");
    }
    let version = c.lines().find_map(|l| l.strip_prefix("VERSION ")).unwrap();
    assert_eq!(format!("{version}\0").as_bytes(), super::VERSION);
}
