//! Links radius_rs.so with its functions in the order of `hot-symbols.txt`
//! (what an authenticating pppd runs, measured by `scripts/hot-symbols.sh`),
//! so that a session touches a few contiguous pages of the .so rather than
//! pages all over it: every pppd maps what it touches, and the kernel maps
//! 64 kB around each touched page. Only rust-lld (rustc's default linker on
//! x86_64 Linux since 1.90) takes the order file; with any other linker the
//! layout is the default one, which works the same and costs more pages.
//! With rust-lld the relative relocations are also packed (DT_RELR, glibc
//! 2.36+): 2,100 of them take 664 bytes instead of 50 kB that the loader
//! reads in every pppd; and each segment starts a page of its own.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let list = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    println!("cargo:rerun-if-env-changed=RADIUS_RS_LINK_MAP");
    if !links_with_rust_lld() {
        return;
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    // Each segment from a page of its own: else .data starts near the end
    // of the page that RELRO ends in, and its 4 kB straddle two pages, both
    // written in every pppd.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,separate-loadable-segments");
    if list.exists() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--symbol-ordering-file={}", list.display());
        println!("cargo:rustc-cdylib-link-arg=-Wl,--no-warn-symbol-ordering");
    }
    // Where each function of this very build landed, for
    // scripts/hot-symbols.sh: the release .so is stripped, and a build with
    // symbols (another profile) would not do, as its mangled names carry
    // another hash.
    if let Some(map) = std::env::var_os("RADIUS_RS_LINK_MAP") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Map={}", PathBuf::from(map).display());
    }
}

/// Whether rustc links this build with its own lld: the x86_64 Linux target,
/// rustc 1.90 or later, and no linker chosen by the user.
fn links_with_rust_lld() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("TARGET") != "x86_64-unknown-linux-gnu" || std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some() {
        return false;
    }
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if flags.split('\x1f').any(|f| f.contains("linker") || f.contains("link-self-contained") || f.contains("fuse-ld")) {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else { return false };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
