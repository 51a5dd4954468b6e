// Link settings both .so files (pam_radius_rs.so, radius_rs.so) take from
// rust-lld, included by their build.rs.
//
// - `-z pack-relative-relocs` (DT_RELR, glibc 2.36+): the ~2,100 relative
//   relocations take under 1 kB instead of the 50 kB the loader reads (and
//   faults in) at every load: every pppd, and every process a PAM login
//   runs in (sshd's child, su).
// - `-z separate-loadable-segments`: each segment from a page of its own;
//   else .data starts near the end of the page RELRO ends in, and its 4 kB
//   straddle two pages, both written in every process.

/// Asks for the settings above when rust-lld links; whether it does.
fn lean_so_layout() -> bool {
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    if !links_with_rust_lld() {
        return false;
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,separate-loadable-segments");
    true
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
    let Ok(out) = std::process::Command::new(rustc).arg("-vV").output() else { return false };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
