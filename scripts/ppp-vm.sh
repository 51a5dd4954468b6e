#!/usr/bin/env bash
# Boots the throwaway VM (virtme-ng, Debian's kernel, TCG: this kernel has
# no PPP) and runs real pppd sessions with the plugin against FreeRADIUS
# inside it: `scripts/ppp-vm.sh PROFILE OUT_DIR [SCENARIO-FILTER]` with this
# system's pppd 2.4.9, or `PPPD=2.5 scripts/ppp-vm.sh …` in the Debian
# trixie root (pppd 2.5.2; the plugin from target/pppd-2.5, built with
# PPPD_INCLUDE_DIR=/var/lib/radius_rs/trixie/usr/include/pppd).
# Verdicts land in OUT_DIR/verdicts, logs beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=$1 out=$(realpath -m "$2") filter=${3:-}
mkdir -p "$out"
rm -f "$out/verdicts"
kernel=/var/lib/radius_rs/vm/vmlinuz
if [[ "${PPPD:-2.4}" == 2.5 ]]; then
    t=/tmp/radius-rs-target
    timeout 1200 vng --run "$kernel" --disable-kvm --memory 1G --cpus 2 --root /var/lib/radius_rs/trixie \
        --rodir=/usr/lib/modules=/lib/modules --rodir=$t="$PWD/target" --rwdir="$out=$out" \
        --exec "$t/$profile/ppp-scenarios $out $t/pppd-2.5/$profile/libradius_rs.so $filter" >"$out/vng.log" 2>&1 || true
else
    timeout 1200 vng --run "$kernel" --disable-kvm --memory 1G --cpus 2 --rwdir "$out" \
        --exec "$PWD/target/$profile/ppp-scenarios $out $PWD/target/$profile/libradius_rs.so $filter" >"$out/vng.log" 2>&1 || true
fi
grep -q "^done" "$out/verdicts" || { echo "ppp-vm: the VM run did not finish; see $out/vng.log" >&2; exit 1; }
