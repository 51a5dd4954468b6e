//! Links radius_rs.so with its functions in the order of `hot-symbols.txt`
//! (what an authenticating pppd runs, measured by `scripts/hot-symbols.sh`),
//! so that a session touches a few contiguous pages of the .so rather than
//! pages all over it: every pppd maps what it touches, and the kernel maps
//! 64 kB around each touched page. Only rust-lld (rustc's default linker on
//! x86_64 Linux since 1.90) takes the order file; with any other linker the
//! layout is the default one, which works the same and costs more pages.
//! With rust-lld the relative relocations are also packed and each segment
//! starts a page of its own (`ffi/so_link.rs`, shared with the PAM module).

use std::path::PathBuf;

include!("../ffi/so_link.rs");

fn main() {
    let list = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-env-changed=RADIUS_RS_LINK_MAP");
    if !lean_so_layout() {
        return;
    }
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
