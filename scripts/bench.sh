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
# The accounting spool: the fast path with it on vs off, and the drain rate after an outage.
cargo bench -p radius-rs-benches --bench spool

# Memory of the authenticating pppd: radius_rs.so vs pppd's radius.so, the
# same PAP session in the same VM run (three of each, interleaved; medians).
cargo build --release --workspace --quiet
out=$(mktemp -d /tmp/radius-rs-ppp-bench.XXXXXX)
bash scripts/ppp-vm.sh release "$out" reference_radius_so,bench_chap_secrets_growth
awk '/^radius.so/ {th=$2; ta=$3; tp=$4} /^radius_rs/ {oh=$2; oa=$3; op=$4}
     END { if (th > 0 && oh > 0) {
             printf "authenticating pppd, median of 3 sessions each (kB):\n"
             printf "  VmHWM   radius_rs.so %6d  radius.so %6d  ratio %.2f\n", oh, th, oh / th
             printf "  RssAnon radius_rs.so %6d  radius.so %6d  ratio %.2f\n", oa, ta, oa / ta
             printf "  Pss     radius_rs.so %6d  radius.so %6d  ratio %.2f\n", op, tp, op / tp
           } else print "pppd memory: not measured (see the VM logs)" }' "$out/rss"
# Cost growth of local-first authentication: CHAP Response to Success with a
# 50,000-line chap-secrets (the user on the last line), pppd alone vs ours.
awk '/^pppd / {p=$2} /^radius_rs / {o=$2} /^radius_rs_1_line / {s=$2}
     END { if (p > 0 && o > 0) {
             printf "local CHAP decision, 50,000-line chap-secrets, median of 3 (ms, in the TCG VM):\n"
             printf "  pppd alone %7.1f  radius_rs.so %7.1f  ratio %.2f   (radius_rs.so with a 1-line file: %.1f)\n", p, o, o / p, s
           } else print "chap-secrets growth: not measured (see the VM logs)" }' "$out/chap-growth"
for so in target/release/libradius_rs.so target/release/libpam_radius_rs.so /usr/lib/pppd/2.4.9/radius.so /lib/x86_64-linux-gnu/security/pam_radius_auth.so; do
    [ -e "$so" ] && printf '  size %-48s %8d bytes\n' "$so" "$(stat -c %s "$so")"
done
