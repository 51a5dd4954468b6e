#!/usr/bin/env bash
# The main job: build everything, start a local FreeRADIUS and show real
# logins through radius_rs against it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --workspace --quiet
exec target/release/radius-testbed run -- bash scripts/demo-logins.sh
