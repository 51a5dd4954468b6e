#!/usr/bin/env bash
# A short cargo-fuzz run of every target (fuzz/ is outside the workspace),
# each from its committed seed corpus. cargo-fuzz needs nightly flags;
# RUSTC_BOOTSTRAP lets the one stable toolchain accept them. A crash fails
# the run. The long campaign is scripts/fuzz-campaign.sh.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O 2>&1 | tail -n 1
for target in $(cargo fuzz list); do
    corpus=$(mktemp -d)
    cp seeds/"$target"/* "$corpus"/
    cargo fuzz run -O "$target" "$corpus" -- -max_total_time=15 -runs=3000000 2>&1 | grep -aE "^Done|ERROR|panicked" | tail -n 3
    rm -rf "$corpus"
    echo "fuzz: $target ran without a crash"
done
