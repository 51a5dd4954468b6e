#!/usr/bin/env bash
# Runs every radius_rs test: lints, unit tests, the integration suites
# against a real FreeRADIUS, and a fuzzing smoke run of the reply decoder.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== build (the PAM module and the probe the suites load)"
cargo build --workspace --quiet

echo "== tests"
cargo test --workspace 2>&1 | tee /tmp/radius-rs-test.log
grep -q "test result: FAILED" /tmp/radius-rs-test.log && exit 1

echo "== fuzz smoke (every target)"
bash scripts/fuzz-smoke.sh

# One closing line for the whole run, summed over every cargo test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' /tmp/radius-rs-test.log
