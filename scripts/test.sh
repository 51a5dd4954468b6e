#!/usr/bin/env bash
# Runs every radius_rs test: lints, unit tests, the integration suites
# against a real FreeRADIUS (bookworm's 3.2.1, and trixie's 3.2.7 in its
# debootstrap'd root), the pppd suites in VMs (pppd 2.4.9 and 2.5.2), and a
# fuzzing smoke run of every parser.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Each step says when it began, so a slow one shows in the CI log.
step() { echo "== $* ($(date -u +%T))"; }

step "clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build (the PAM module and the probe the suites load)"
cargo build --workspace --quiet

# The pppd plugin once more, for pppd 2.5: against Debian trixie's ppp-dev
# headers (scripts/setup.sh debootstraps the root); its own target dir, as
# the pppd API is chosen at build time. Linted and its layouts checked
# against those headers; the pppd_plugin suite runs it in the trixie VM.
PPPD_2_5=(env PPPD_INCLUDE_DIR=/var/lib/radius_rs/trixie/usr/include/pppd)
step "pppd 2.5 plugin (clippy, build)"
"${PPPD_2_5[@]}" cargo clippy -p radius-ffi -p pppd_radius_rs --all-targets --quiet --target-dir target/pppd-2.5 -- -D warnings
"${PPPD_2_5[@]}" cargo build -p pppd_radius_rs --quiet --target-dir target/pppd-2.5

step "packages (packaging/build.sh: the bookworm and trixie .debs the packages suite installs)"
bash packaging/build.sh 2>&1 | grep -v "does not match the pattern"

step "tests"
cargo test --workspace 2>&1 | tee /tmp/radius-rs-test.log
step "tests of the FFI and the plugin built for pppd 2.5"
"${PPPD_2_5[@]}" cargo test -p radius-ffi -p pppd_radius_rs --target-dir target/pppd-2.5 2>&1 | tee -a /tmp/radius-rs-test.log
step "core and PAM suites against Debian trixie's FreeRADIUS 3.2.7 (in its root)"
bash scripts/trixie-suites.sh 2>&1 | tee -a /tmp/radius-rs-test.log
grep -q "test result: FAILED" /tmp/radius-rs-test.log && exit 1

step "fuzz smoke (every target)"
bash scripts/fuzz-smoke.sh

# One closing line for the whole run, summed over every cargo test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' /tmp/radius-rs-test.log
