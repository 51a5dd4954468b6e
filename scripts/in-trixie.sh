#!/usr/bin/env bash
# Runs a command (a test binary built here) inside the Debian trixie root
# (scripts/setup.sh builds it), so it meets trixie's FreeRADIUS 3.2.7,
# libpam and pamtester instead of bookworm's: `scripts/in-trixie.sh CMD…`.
# A private mount namespace holds the root's /proc, /dev, a fresh /tmp and
# /run, and this checkout at the same path; nothing is left mounted.
set -euo pipefail
root=/var/lib/radius_rs/trixie
here=$(cd "$(dirname "$0")/.." && pwd)
[[ -x "$root/usr/sbin/freeradius" ]] || { echo "in-trixie: $root is missing: run scripts/setup.sh" >&2; exit 1; }
exec unshare --mount --propagation private -- bash -c '
    set -e
    root=$1 here=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mkdir -p "$root$here"
    mount --bind "$here" "$root$here"
    cd "$here"
    exec chroot "$root" env -C "$here" "$@"
' in-trixie "$root" "$here" "$@"
