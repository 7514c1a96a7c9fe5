#!/bin/sh
# Server time of the console's overview with 50 assets, 10,000 open findings and 1,000 alerts, and
# the API's throughput (pages of 100 alerts), over real TLS on loopback, in a release build: the
# measurement in crates/vigil-console/tests/scale.rs (ignored by the test suite, it seeds a store).
# Usage: bench/console.sh
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(uname -sm), $(nproc) cores, $(date -u +%Y-%m-%d)"
exec cargo test --quiet --release -p vigil-console --test scale -- --ignored --nocapture
