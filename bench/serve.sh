#!/bin/sh
# Alert latency of `vigil serve`: from a line appended to a watched log to the webhook receiving
# the alert it raises (median and p99 over N alerts, each a separate incident on its own host),
# with the bundled rules plus one high-level test rule, the default poll interval, and the RSS
# of the service at the end.
# Usage: bench/serve.sh [ALERTS [LINES_PER_SECOND]]   (defaults 1000 and 20)
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet --release -p vigil
echo "machine: $(uname -sm), $(nproc) cores, $(date -u +%Y-%m-%d)"
exec python3 bench/serve/latency.py target/release/vigil "${1:-1000}" "${2:-20}"
