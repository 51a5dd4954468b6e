#!/usr/bin/env bash
# The core and PAM suites once more, inside the Debian trixie root
# (scripts/in-trixie.sh): against trixie's FreeRADIUS 3.2.7, whose
# post-BlastRADIUS behaviour differs from bookworm's 3.2.1 (it signs every
# reply) and whose RadSec listener is newer, and its libpam 1.7 and pamtester. The binaries are the ones
# `cargo test` built here; their output goes to stdout like cargo test's.
set -euo pipefail
cd "$(dirname "$0")/.."
suites=(auth_methods challenge failover blastradius accounting hardening slow_is_not_dead pam_module pam_robustness radsec)
args=()
for s in "${suites[@]}"; do args+=(--test "$s"); done
mapfile -t binaries < <(cargo test --no-run --message-format=json -p radius-rs-integration "${args[@]}" 2>/dev/null |
    python3 -c 'import sys, json
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])')
[[ ${#binaries[@]} -eq ${#suites[@]} ]] || { echo "trixie-suites: expected ${#suites[@]} test binaries, found ${#binaries[@]}" >&2; exit 1; }
echo "FreeRADIUS in the trixie root: $(chroot /var/lib/radius_rs/trixie freeradius -v | head -n 1)"
status=0
for b in "${binaries[@]}"; do
    echo "     Running (trixie) $(basename "$b")"
    bash scripts/in-trixie.sh "$b" || status=1
done
exit $status
