#!/usr/bin/env bash
# Builds the radius-rs packages into target/packages/: a .deb for Debian
# bookworm (pppd 2.4.9, this system's headers) and one for Debian trixie
# (pppd 2.5.2, the plugin built against the trixie root's headers that
# scripts/setup.sh debootstraps), and .rpms in the EL9 layout (lib64,
# pppd 2.4.9) and for Fedora (lib64, pppd 2.5.2). cargo-deb and cargo-generate-rpm do the packaging; the
# package's files, modes, conffile and maintainer scripts are declared in
# crates/radius-cli/Cargo.toml ([package.metadata.deb], [...generate-rpm]).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
out=target/packages
mkdir -p "$out/man"
for page in packaging/man/*.[58]; do
    gzip -9n <"$page" >"$out/man/$(basename "$page").gz"
done
cargo build --release --quiet -p radius-cli -p radius-dmd -p pam_radius_rs -p pppd_radius_rs
PPPD_INCLUDE_DIR=/var/lib/radius_rs/trixie/usr/include/pppd cargo build --release --quiet -p pppd_radius_rs --target-dir target/pppd-2.5
# Each plugin goes under /usr/lib/pppd/<version>/: the version it was built for.
grep -aq '^2\.4\.9$' <(strings target/release/libradius_rs.so) || { echo "build.sh: target/release/libradius_rs.so is not for pppd 2.4.9" >&2; exit 1; }
grep -aq '^2\.5\.2$' <(strings target/pppd-2.5/release/libradius_rs.so) || { echo "build.sh: the trixie plugin is not for pppd 2.5.2" >&2; exit 1; }
# cargo-deb takes built products only from target/release: the trixie
# plugin is staged beside the packages.
mkdir -p "$out/stage/trixie"
cp target/pppd-2.5/release/libradius_rs.so "$out/stage/trixie/radius_rs.so"
cargo deb --no-build --no-strip -p radius-cli --output "$out/radius-rs_bookworm_amd64.deb" >/dev/null
cargo deb --no-build --no-strip -p radius-cli --variant trixie --output "$out/radius-rs_trixie_amd64.deb" >/dev/null
# The EL9 .rpm (cargo-generate-rpm; [package.metadata.generate-rpm]).
command -v cargo-generate-rpm >/dev/null || cargo install --locked --quiet cargo-generate-rpm
cargo generate-rpm -p crates/radius-cli -o "$out/radius-rs.el9.x86_64.rpm"
# Fedora's (pppd 2.5.2): the trixie-built plugin staged above.
cargo generate-rpm -p crates/radius-cli --variant fedora -o "$out/radius-rs.fc.x86_64.rpm"
ls -l "$out"/*.deb "$out"/*.rpm
