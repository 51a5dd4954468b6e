//! Takes pppd's version from the installed headers (`ppp-dev`, or
//! `PPPD_INCLUDE_DIR`): pppd refuses a plugin whose `pppd_version` is not
//! its own, and 2.5's API is not 2.4's (`cfg(pppd_2_5)`). And puts `link/`
//! on the link search path, so that what links this crate (the PAM module,
//! the pppd plugin) takes GCC's static unwinder rather than libgcc_s.so.1
//! (see `link/libgcc_s.so`).

use std::path::PathBuf;

fn main() {
    let link = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("link");
    println!("cargo:rerun-if-changed={}", link.join("libgcc_s.so").display());
    println!("cargo:rustc-link-search=native={}", link.display());
    let dir = PathBuf::from(std::env::var("PPPD_INCLUDE_DIR").unwrap_or_else(|_| "/usr/include/pppd".into()));
    println!("cargo:rerun-if-env-changed=PPPD_INCLUDE_DIR");
    println!("cargo::rustc-check-cfg=cfg(pppd_2_5)");
    // pppd 2.5 names its version in pppdconf.h (PPPD_VERSION), 2.4 in
    // patchlevel.h (VERSION); the API differs between them (see src/pppd/sys/).
    let (header, name) = if dir.join("pppdconf.h").exists() {
        println!("cargo:rustc-cfg=pppd_2_5");
        (dir.join("pppdconf.h"), "PPPD_VERSION")
    } else {
        (dir.join("patchlevel.h"), "VERSION")
    };
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header).unwrap_or_else(|e| {
        panic!("{}: {e}: the pppd plugin API headers are needed (apt-get install ppp-dev)", header.display())
    });
    let version = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#define"))
        .filter_map(|l| l.trim().strip_prefix(name))
        .filter(|l| l.starts_with(char::is_whitespace))
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .next()
        .unwrap_or_else(|| panic!("{}: no `#define {name} \"x.y.z\"`", header.display()));
    println!("cargo:rustc-env=PPPD_VERSION={version}");
    println!("cargo:rustc-env=PPPD_INCLUDE_DIR={}", dir.display());
}
