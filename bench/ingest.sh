#!/bin/sh
# Sustained ingest throughput of vigil-ingest without detection (the floor): a tailed syslog
# file, the syslog listener over TCP and UDP, EVTX records from a watched folder, the reading
# pinned to one core (the sender threads share it).
# Usage: bench/ingest.sh [LINES [EVTX_COPIES]]   (defaults 500000 and 200)
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet --release -p vigil-ingest --example ingest_bench
echo "machine: $(uname -sm), $(nproc) cores, $(date -u +%Y-%m-%d)"
exec taskset -c 0 target/release/examples/ingest_bench "${1:-500000}" "${2:-200}"
