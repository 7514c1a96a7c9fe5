#!/usr/bin/env bash
# Knowledge-base benchmarks: importing the shared advisory sets with `vigil db import`, and 10,000
# package look-ups with range evaluation against the same data (crates/vigil-pipeline/examples/lookup_bench.rs).
# Needs the shared data sets: VIGIL_SHARED_DATA (default ../shared/data beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${VIGIL_SHARED_DATA:-../shared/data}"
if [ ! -d "$DATA/pypa-advisory-database" ]; then
  echo "shared data not found at $DATA (set VIGIL_SHARED_DATA): nothing measured"
  exit 0
fi
cargo build --release -q -p vigil -p vigil-pipeline --example lookup_bench
SETS=("$DATA/pypa-advisory-database" "$DATA/rustsec-advisory-db/main" "$DATA/golang-vulndb" "$DATA/almalinux-osv" "$DATA/ghsa-subset")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== vigil db import (PyPA + RustSec + Go + AlmaLinux + GHSA), fresh store, 3 runs"
for i in 1 2 3; do
  rm -f "$TMP"/k.db*
  /usr/bin/time -f "wall %e s, peak RSS %M KB" ./target/release/vigil --db "$TMP/k.db" -q db import "${SETS[@]}" > /dev/null \
    || [ $? -eq 3 ] # exit 3: PyPA's triage/false_positives.yaml is not an advisory and is skipped
done
./target/release/vigil --db "$TMP/k.db" db status | tail -1

echo "== parse, store and 10,000 look-ups with range evaluation"
./target/release/examples/lookup_bench "${SETS[@]}"
