#!/usr/bin/env bash
# A short cargo-fuzz run of the reply decoder (fuzz/ is outside the
# workspace). cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the one
# stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
corpus=$(mktemp -d)
cp seeds/reply_decoder/* "$corpus"/
RUSTC_BOOTSTRAP=1 cargo fuzz run reply_decoder "$corpus" -- -runs=300000 -max_total_time=60 2>&1 | tail -n 5
rm -rf "$corpus"
echo "fuzz: reply_decoder ran without a crash"
