#!/usr/bin/env bash
# Installs what building and testing radius_rs needs on Debian bookworm.
# Idempotent: installs only what is missing. Run as root.
set -euo pipefail

# freeradius: the server the suites talk to; pamtester, libpam0g-dev: libpam
# from the outside and its headers; libpam-radius-auth: the reference module
# compared side by side; openssh-server/-client, sshpass: the real ssh login;
# valgrind: memory checks of the module.
APT_PACKAGES=(freeradius freeradius-utils pamtester libpam0g-dev libpam-radius-auth
    openssh-server openssh-client sshpass valgrind)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The package starts a system FreeRADIUS on 1812/1813; the suites start their
# own on free ports and do not need it.
if pgrep -x freeradius >/dev/null; then
    (systemctl stop freeradius 2>/dev/null || pkill -x freeradius) || true
fi

command -v cargo >/dev/null || { echo "setup: cargo not found (install Rust with rustup)" >&2; exit 1; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "setup: installing cargo-fuzz"
    cargo install --locked --quiet cargo-fuzz
fi
