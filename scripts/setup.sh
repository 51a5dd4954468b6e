#!/usr/bin/env bash
# Installs what building and testing radius_rs needs on Debian bookworm.
# Idempotent: installs only what is missing. Run as root.
set -euo pipefail

# freeradius: the server the suites talk to; pamtester, libpam0g-dev: libpam
# from the outside and its headers; libpam-radius-auth: the reference module
# compared side by side; openssh-server/-client, sshpass: the real ssh login;
# valgrind: memory checks of the module; ppp, ppp-dev: pppd 2.4.9 and the
# plugin API headers; qemu-system-x86, kmod, busybox-static: the throwaway VM
# the pppd suites run in (this kernel has no PPP); pppoe, xl2tpd: the PPPoE
# access concentrator and the L2TP LNS/LAC the suites drive; iputils-ping:
# reaching a subscriber's delegated IPv6 prefix; lintian, rpm: checking the
# packages.
APT_PACKAGES=(freeradius freeradius-utils pamtester libpam0g-dev libpam-radius-auth
    openssh-server openssh-client sshpass valgrind
    ppp ppp-dev qemu-system-x86 kmod busybox-static pppoe xl2tpd iputils-ping lintian rpm)

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

# The packaging tools packaging/build.sh runs.
for tool in cargo-deb cargo-generate-rpm; do
    if ! command -v "$tool" >/dev/null; then
        echo "setup: installing $tool"
        cargo install --locked --quiet "$tool"
    fi
done

# virtme-ng boots the host's filesystem in a VM (the pppd suites).
if ! command -v vng >/dev/null; then
    echo "setup: installing virtme-ng"
    pip install --quiet virtme-ng
fi

# The kernel for that VM: Debian's own, with PPP, PPPoE, L2TP and MPPE modules.
# Its modules go to /lib/modules so the guest can modprobe them; the kernel
# image stays under /var/lib/radius_rs/vm.
KVER=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n1)
VM_DIR=/var/lib/radius_rs/vm
if [[ ! -e "$VM_DIR/vmlinuz" || ! -d "/lib/modules/$KVER" ]]; then
    echo "setup: fetching kernel $KVER for the pppd VM"
    tmp=$(mktemp -d); chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq "linux-image-$KVER" && dpkg -x linux-image-*.deb root)
    mkdir -p "$VM_DIR" /lib/modules
    rm -rf "/lib/modules/$KVER"
    cp -a "$tmp/root/lib/modules/$KVER" /lib/modules/
    depmod "$KVER"
    cp "$tmp/root/boot/vmlinuz-$KVER" "$VM_DIR/vmlinuz.new" && mv "$VM_DIR/vmlinuz.new" "$VM_DIR/vmlinuz"
    rm -rf "$tmp"
fi

# A Debian root made by debootstrap (minbase and PACKAGES), made once and
# again when its package list changes: debootstrap_root ROOT SUITE PACKAGES WHAT.
debootstrap_root() {
    local root=$1 suite=$2 packages=$3 what=$4
    [[ "$(cat "$root/.radius-rs-packages" 2>/dev/null)" == "$packages" ]] && return 0
    command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    echo "setup: building $what (debootstrap $suite)"
    rm -rf "$root.new"
    debootstrap --variant=minbase --include="$packages" "$suite" "$root.new" http://deb.debian.org/debian >"$VM_DIR/debootstrap-$suite.log" 2>&1 \
        || { tail -n 20 "$VM_DIR/debootstrap-$suite.log" >&2; exit 1; }
    # A VM booting this root mounts the host's kernel modules here.
    mkdir -p "$root.new/usr/lib/modules"
    echo "$packages" >"$root.new/.radius-rs-packages"
    rm -rf "$root"
    mv "$root.new" "$root"
}

# pppd 2.5 (and FreeRADIUS 3.2.7): Debian trixie's, in the root the second
# VM boots; the 2.5 plugin is built against its ppp-dev headers
# (PPPD_INCLUDE_DIR). trixie's pppoe-server (rp-pppoe 4.0) is also the one
# with kernel-mode PPPoE (-k): bookworm's 3.15 is built without it.
debootstrap_root /var/lib/radius_rs/trixie trixie \
    ppp,ppp-dev,freeradius,freeradius-utils,pamtester,libpam0g-dev,iproute2,pppoe,kmod,procps,iputils-ping,valgrind \
    "the Debian trixie root for the pppd 2.5 VM"

# A clean Debian bookworm root, the packages suite's .deb install target
# (the package's own dependencies included, so `apt-get -f install` needs
# no network). Never changed: each install test runs in an overlay over it.
debootstrap_root /var/lib/radius_rs/bookworm bookworm ppp,pamtester "a clean Debian bookworm root for the .deb install test"
