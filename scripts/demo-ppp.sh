#!/usr/bin/env bash
# Part of the main job: one real PPP session — pppd 2.4.9 with radius_rs.so
# authenticating a peer pppd (PAP) against FreeRADIUS, in the VM — and what
# the operator sees of it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/radius-rs-ppp-demo.XXXXXX)
echo "== pppd session in a VM (boots in ~30 s under TCG)"
bash scripts/ppp-vm.sh release "$out" pap_radius_session
echo "-- authenticating pppd:"
grep -E "radius_rs: |PAP peer authentication|IP address|LL address" "$out/pap_radius_session.server.log" | sed 's/^/   /'
echo "-- FreeRADIUS accounting for the session:"
grep -E "Acct-Status-Type|Acct-Session-Id|Framed-IP-Address|Acct-Terminate-Cause|Class" "$out/freeradius.log" | grep -v "^\s*$" | sort -u | head -12 | sed 's/^/   /'
grep -P "^pap_radius_session\tok" "$out/verdicts" >/dev/null || { echo "the PPP session did not go as it should:"; cat "$out/verdicts"; exit 1; }
echo "== pppd session: ok (logs in $out)"
