#!/usr/bin/env bash
# The main job: build everything, start a local FreeRADIUS and show real
# logins through radius_rs against it, then a real pppd session with the
# plugin against FreeRADIUS (in a VM: this kernel has no PPP).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --workspace --quiet
target/release/radius-testbed run -- bash scripts/demo-logins.sh
bash scripts/demo-ppp.sh
