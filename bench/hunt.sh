#!/usr/bin/env bash
# Hunt benchmark: the evtx crate's own parse floor, `vigil hunt --parse-only`, the bundled rules'
# fixed load+compile cost (from the rule cache, and with --no-cache), and `vigil hunt` with the
# bundled rules, over the shared EVTX samples.
# Every row is relative to the first (the evtx crate rendering JSON text, as evtx_dump does).
# Prints wall time (hyperfine median when hyperfine is installed, else the median of 3 runs of
# /usr/bin/time), peak RSS, MB/s, events/s and the ratio to the floor for each row.
# Needs VIGIL_SHARED_DATA (default ../shared/data beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${VIGIL_SHARED_DATA:-../shared/data}"
if [ ! -d "$DATA/evtx-attack-samples" ] || [ ! -d "$DATA/hayabusa-sample-evtx" ]; then
  echo "shared data not found at $DATA (set VIGIL_SHARED_DATA): nothing measured"
  exit 0
fi
RUNS="${RUNS:-5}"
cargo build --release -q -p vigil
cargo build --release -q -p vigil-logs --example evtx_floor
# VIGIL_BIN measures another build (e.g. an older one) against the same floor.
VIGIL="${VIGIL_BIN:-./target/release/vigil}"
FLOOR=./target/release/examples/evtx_floor
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# vigil's rule cache in the temporary folder: warm-up runs fill it, timed runs use it.
export VIGIL_CACHE_DIR="$TMP/cache"

# The same inputs for every row: every .evtx file of the two sample sets (the floor reads only
# EVTX), and the two whole folders (EVTX plus the IIS/Apache text logs among them) for vigil.
find "$DATA/evtx-attack-samples" "$DATA/hayabusa-sample-evtx" -type f -iname '*.evtx' -print0 |
  sort -z > "$TMP/evtx.list"
mapfile -d '' EVTX < "$TMP/evtx.list"
DIRS=("$DATA/evtx-attack-samples" "$DATA/hayabusa-sample-evtx")
: > "$TMP/empty.jsonl"
EVTX_BYTES=$(xargs -0 < "$TMP/evtx.list" stat -c %s | awk '{s+=$1} END {print s}')
DIR_BYTES=$(find "${DIRS[@]}" -type f -print0 | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
EVTX_RECORDS=$("$FLOOR" "${EVTX[@]}" | awk '{print $6}')
# (hunt exits non-zero when some files in the folders are not logs: the count is still printed)
DIR_EVENTS=$({ "$VIGIL" hunt --parse-only "${DIRS[@]}" -o /dev/null 2>&1 >/dev/null || true; } |
  sed -n 's/^\([0-9]*\) events read.*/\1/p' | head -1)

# wall NAME CMD…: median wall seconds of the command (stdout/stderr discarded; exit status ignored,
# since hunt exits non-zero when some files in the folders are not logs).
wall() {
  local name=$1
  shift
  if command -v hyperfine > /dev/null; then
    hyperfine -N -i -w 1 -r "$RUNS" --export-json "$TMP/$name.json" -- "$(printf '%q ' "$@")" \
      > /dev/null 2>&1
    python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' \
      "$TMP/$name.json"
  else
    for _ in 1 2 3; do
      /usr/bin/time -f '%e' -o "$TMP/t" "$@" > /dev/null 2>&1 || true
      tail -n 1 "$TMP/t"
    done | sort -n | sed -n 2p
  fi
}

# rss CMD…: peak resident set size in MB of one run.
rss() {
  /usr/bin/time -v -o "$TMP/v" "$@" > /dev/null 2>&1 || true
  awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$TMP/v"
}

FLOOR_S=""
row() {
  local label=$1 bytes=$2 events=$3 name=$4
  shift 4
  local s m
  s=$(wall "$name" "$@")
  m=$(rss "$@")
  [ -z "$FLOOR_S" ] && FLOOR_S=$s
  python3 - "$label" "$s" "$m" "$bytes" "$events" "$FLOOR_S" <<'PY'
import sys
label, s, m, b, e, f = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5] or 0), float(sys.argv[6])
mbs = f"{b / 1e6 / s:.0f}" if b else "-"
eps = f"{e / s / 1000:.1f}k" if e else "-"
print(f"| {label} | {s:.3f} | {m} | {mbs} | {eps} | {s / f:.2f} |")
PY
}

echo "inputs: ${#EVTX[@]} EVTX files, $((EVTX_BYTES / 1000000)) MB, $EVTX_RECORDS records;" \
  "whole folders $((DIR_BYTES / 1000000)) MB, $DIR_EVENTS events; runs per row: $RUNS"
echo "| row | wall s (median) | peak RSS MB | MB/s | events/s | × floor |"
echo "|---|---|---|---|---|---|"
row "evtx crate floor: records_json (JSON text, what vigil's reader takes)" "$EVTX_BYTES" \
  "$EVTX_RECORDS" floor_json "$FLOOR" --json "${EVTX[@]}"
row "evtx crate: records_json_value (serde_json::Value, the reader's input before)" "$EVTX_BYTES" \
  "$EVTX_RECORDS" floor "$FLOOR" "${EVTX[@]}"
row "vigil hunt --parse-only, EVTX files" "$EVTX_BYTES" "$EVTX_RECORDS" parse \
  "$VIGIL" hunt --parse-only "${EVTX[@]}" -o /dev/null
row "vigil rules: load (rule cache) + compile only (hunt over an empty file)" 0 0 rules \
  "$VIGIL" hunt "$TMP/empty.jsonl" -o /dev/null
row "vigil rules: parse + compile, --no-cache" 0 0 rules_nocache \
  "$VIGIL" hunt --no-cache "$TMP/empty.jsonl" -o /dev/null
row "vigil hunt, bundled rules, EVTX files" "$EVTX_BYTES" "$EVTX_RECORDS" hunt \
  "$VIGIL" hunt "${EVTX[@]}" -o /dev/null
row "vigil hunt --parse-only, whole folders" "$DIR_BYTES" "$DIR_EVENTS" parse_dirs \
  "$VIGIL" hunt --parse-only "${DIRS[@]}" -o /dev/null
row "vigil hunt, bundled rules, whole folders" "$DIR_BYTES" "$DIR_EVENTS" hunt_dirs \
  "$VIGIL" hunt "${DIRS[@]}" -o /dev/null
row "vigil rules check (load, compile, coverage report)" 0 0 rules_check \
  "$VIGIL" rules check
