#!/usr/bin/env bash
# Benchmarks radius_rs against the reference clients in one run and prints
# medians and ratios (not a test: nothing fails on a number).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p pam_radius_rs
cargo bench -p radius-rs-benches --bench pam
