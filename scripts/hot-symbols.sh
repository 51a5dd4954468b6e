#!/usr/bin/env bash
# Regenerates pppd_plugin/hot-symbols.txt, the order in which the linker lays
# out the plugin's functions (pppd_plugin/build.rs): those an authenticating
# pppd runs go first, side by side, so that each pppd maps a few contiguous
# pages of libradius_rs.so (the kernel maps 64 kB around every page touched;
# with the default layout the functions a session runs are spread over the
# whole 1.5 MB of code).
# It builds the release workspace with a link map of the plugin (where each
# function landed: the release .so is stripped, and a build with symbols
# under another profile would not do, its mangled names carry another hash),
# boots the VM, puts a uprobe on the entry of every function, runs PAP, CHAP
# and MS-CHAPv2 sessions from start to hang-up (scenario bench_hot_functions)
# and lists the functions that ran, grouped by the kinds of session that ran
# them. Run it after changing what a session runs; a stale list costs pages,
# not correctness (the linker skips names it does not find, and places what
# the list misses after it).
set -euo pipefail
cd "$(dirname "$0")/.."
list=pppd_plugin/hot-symbols.txt
out=$(mktemp -d /tmp/radius-rs-hot.XXXXXX)
RADIUS_RS_LINK_MAP=$out/link.map cargo build --release --workspace --quiet
so=target/release/libradius_rs.so
# Every function's file offset (what a uprobe is placed by) and name: the
# map's input sections are one per function, named .text.SYMBOL.
python3 - "$so" "$out/link.map" "$out/functions" <<'PY'
import re, subprocess, sys
so, link_map, functions = sys.argv[1:]
loads = []  # (vaddr, memsz, offset) of each PT_LOAD
for l in subprocess.run(["readelf", "-lW", so], capture_output=True, text=True, check=True).stdout.splitlines():
    f = l.split()
    if f and f[0] == "LOAD":
        loads.append((int(f[2], 16), int(f[5], 16), int(f[1], 16)))
section = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\(\.text\.(?:unlikely\.|hot\.|startup\.)?(\S+)\)$")
rows = set()
for l in open(link_map):
    m = section.match(l)
    if not m or int(m[2], 16) == 0:
        continue
    addr = int(m[1], 16)
    for vaddr, memsz, offset in loads:
        if vaddr <= addr < vaddr + memsz:
            rows.add((addr - vaddr + offset, m[3]))
open(functions, "w").write("".join(f"{o:x} {n}\n" for o, n in sorted(rows)))
PY
bash scripts/ppp-vm.sh release "$out" bench_hot_functions
grep -q "^bench_hot_functions	ok" "$out/verdicts" || { cat "$out/verdicts" >&2; exit 1; }
cp "$out/hot-functions" "$list"
# The names must be those of the plugin however it is built: alone (as the
# pppd 2.5 build and the packages do) as well as with the workspace (see the
# feature pins in pppd_plugin/Cargo.toml).
RADIUS_RS_LINK_MAP=$out/alone.map cargo build --release -p pppd_radius_rs --quiet
missing=$(python3 - "$list" "$out/alone.map" <<'PY'
import sys
names = set(open(sys.argv[1]).read().split())
text = open(sys.argv[2]).read()
print(sum(1 for n in names if f".{n})" not in text))
PY
)
[ "$missing" = 0 ] || { echo "hot-symbols: $missing names differ when the plugin is built alone: a feature pin in pppd_plugin/Cargo.toml is missing" >&2; exit 1; }
cargo build --release --workspace --quiet
echo "hot-symbols: $(wc -l < "$list") of $(wc -l < "$out/functions") functions ran; written to $list"
