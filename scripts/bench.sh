#!/usr/bin/env bash
# Benchmarks radius_rs against the reference clients in one run and prints
# medians and ratios (not a test: nothing fails on a number).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p pam_radius_rs
cargo bench -p radius-rs-benches --bench pam
# radius-rs-dmd: Disconnects/s and latency with 10,000 sessions, vs a bare UDP echo loop.
cargo build --release --workspace --quiet
cargo bench -p radius-rs-benches --bench dmd

# Peak RSS of the authenticating pppd: radius_rs.so vs pppd's radius.so, the
# same PAP session in the same VM run.
cargo build --release --workspace --quiet
out=$(mktemp -d /tmp/radius-rs-ppp-bench.XXXXXX)
bash scripts/ppp-vm.sh release "$out" reference_radius_so
awk '/^radius.so/ {t=$2} /^radius_rs/ {o=$2} END { if (t > 0 && o > 0) printf "pppd peak RSS (VmHWM): radius_rs.so %d kB, radius.so %d kB, ratio %.2f\n", o, t, o / t; else print "pppd peak RSS: not measured (see the VM logs)" }' "$out/rss"
