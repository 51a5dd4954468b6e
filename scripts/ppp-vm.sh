#!/usr/bin/env bash
# Boots the throwaway VM (virtme-ng, Debian's kernel, TCG: this kernel has
# no PPP) and runs real pppd sessions with the plugin against FreeRADIUS
# inside it: `scripts/ppp-vm.sh PROFILE OUT_DIR [SCENARIO-FILTER]`.
# Verdicts land in OUT_DIR/verdicts, logs beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=$1 out=$2 filter=${3:-}
mkdir -p "$out"
rm -f "$out/verdicts"
timeout 1200 vng --run /var/lib/radius_rs/vm/vmlinuz --disable-kvm --memory 1G --cpus 2 --rwdir "$out" \
    --exec "$PWD/target/$profile/ppp-scenarios $out $PWD/target/$profile/libradius_rs.so $filter" >"$out/vng.log" 2>&1 || true
grep -q "^done" "$out/verdicts" || { echo "ppp-vm: the VM run did not finish; see $out/vng.log" >&2; exit 1; }
