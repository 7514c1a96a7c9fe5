#!/bin/sh
# Sustained detection throughput of `vigil serve` on one core with the bundled rules: a syslog
# file of 24 h of traffic and a folder of EVTX files, with RSS sampled (see bench/serve/throughput.py).
# Usage: bench/serve-throughput.sh [LINES [EVTX_COPIES [HOURS]]]   (defaults 500000, 200 and 24)
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet --release -p vigil
echo "machine: $(uname -sm), $(nproc) cores, $(date -u +%Y-%m-%d)"
exec python3 bench/serve/throughput.py target/release/vigil "${1:-500000}" "${2:-200}" "${3:-24}"
