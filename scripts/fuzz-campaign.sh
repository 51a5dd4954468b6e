#!/usr/bin/env bash
# A long fuzzing campaign: every target for EXECS executions (default
# 10,000,000) from its seed corpus; prints executions, seconds and crashes
# per target, and keeps any crashing input under fuzz/artifacts/.
# Not a test: run it by hand (`bash scripts/fuzz-campaign.sh [EXECS [TARGET...]]`);
# naming targets runs only those.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
execs=${1:-10000000}
shift || true
cargo fuzz build -O 2>&1 | tail -n 1
printf '%-18s %12s %8s %8s\n' target execs seconds crashes
status=0
targets=("$@")
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$(cargo fuzz list | tr '\n' ' ')"
for target in "${targets[@]}"; do
    corpus=$(mktemp -d)
    cp seeds/"$target"/* "$corpus"/
    log=$(mktemp)
    cargo fuzz run -O "$target" "$corpus" -- -runs="$execs" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    done_line=$(grep -aE "^Done [0-9]+ runs in [0-9]+ second" "$log" | tail -n 1)
    runs=$(grep -aoE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -n 1)
    secs=$(echo "$done_line" | grep -oE "in [0-9]+" | grep -oE "[0-9]+")
    crashes=$(grep -acE "^==[0-9]+== ERROR|panicked at|deadly signal" "$log")
    printf '%-18s %12s %8s %8s\n' "$target" "${runs:-?}" "${secs:-?}" "$crashes"
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -aE "Test unit written|panicked at" "$log" | head -n 3
    fi
    rm -rf "$corpus" "$log"
done
exit $status
