#!/usr/bin/env bash
# Side by side with Hayabusa 4.0 on the same EVTX corpus and the same SigmaHQ rules:
#   (a) wall time, CPU time, records/s and peak RSS of vigil, of Hayabusa, and of the parse floor
#       (the evtx crate rendering every record as JSON text, with no rules);
#   (b) vigil's recall of Hayabusa's detections, rule by rule: the same SigmaHQ rule (Hayabusa's
#       converted rules name their SigmaHQ rule in `related: derived`) on the same record (file and
#       EventRecordID), with the misses listed per rule.
#
# Nothing of Hayabusa is committed. How it is built (what this script does with the sources):
#   git clone https://github.com/Yamato-Security/hayabusa             # tag v4.0.0 = 188e22e
#   git clone https://github.com/Yamato-Security/hayabusa-rules       # checkout e9a98d4, the commit
#                                                                      # v4.0.0's `rules` submodule pins
#   git clone https://github.com/Yamato-Security/hayabusa-evtx        # 0.9.10 = 68a50d9: v4.0.0 pins
#       rev 31be1c3 (0.9.11), which is not in the public repository; 0.9.10 is its parent release
#   The Hayabusa source is copied to $WORK, its `evtx` git dependency is pointed at the
#   hayabusa-evtx checkout (same features), and it is built with
#   `cargo $HAYABUSA_TOOLCHAIN build --release --ignore-rust-version` (v4.0.0 declares
#   rust-version 1.97.1; it builds with rustc 1.97.0-nightly: HAYABUSA_TOOLCHAIN=+nightly).
#   It runs from that copy, with `rules` = the hayabusa-rules checkout (its `config/` and the
#   converted SigmaHQ rules in `rules/sigma`).
#
# Environment:
#   VIGIL_SHARED_DATA    the shared data (default ../shared/data): evtx-attack-samples,
#                        hayabusa-sample-evtx, sigma
#   HAYABUSA_SRC, HAYABUSA_EVTX_SRC, HAYABUSA_RULES_SRC   the three checkouts above
#   HAYABUSA_BIN         an already built hayabusa binary (skips the build; HAYABUSA_SRC and
#                        HAYABUSA_RULES_SRC are still needed for its config and rules)
#   HAYABUSA_TOOLCHAIN   e.g. +nightly (default: the default toolchain)
#   RUNS                 timed runs per row (default 3; the median is reported)
#   WORK                 work directory (default: a temporary one, removed at the end; set it to
#                        keep the corpus, the outputs and the recall report)
# Without the Hayabusa sources the script still measures vigil against the parse floor.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${VIGIL_SHARED_DATA:-../shared/data}"
if [ ! -d "$DATA/evtx-attack-samples" ] || [ ! -d "$DATA/hayabusa-sample-evtx" ] ||
  [ ! -d "$DATA/sigma/rules" ]; then
  echo "shared data not found at $DATA (set VIGIL_SHARED_DATA): nothing measured"
  exit 0
fi
RUNS="${RUNS:-3}"
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
WORK=$(cd "$WORK" && pwd)

# The corpus: every .evtx file of both sets, deduplicated by SHA-1 (hayabusa-sample-evtx holds
# copies of EVTX-ATTACK-SAMPLES files), copied under unique names into one folder both tools read.
CORPUS="$WORK/corpus"
rm -rf "$CORPUS"
mkdir -p "$CORPUS"
find "$DATA/evtx-attack-samples" "$DATA/hayabusa-sample-evtx" -type f -iname '*.evtx' -print0 |
  sort -z | xargs -0 sha1sum | sort -s -k1,1 -u |
  while read -r sum path; do cp "$path" "$CORPUS/${sum:0:10}-$(basename "$path")"; done
# The same SigmaHQ rules for vigil: the Windows, web, Linux and emerging-threat rules Hayabusa's
# converted set is made from (it also converts rules-threat-hunting, which the data lacks).
SIGMA=("$DATA/sigma/rules" "$DATA/sigma/rules-emerging-threats")

cargo build --release -q -p vigil
cargo build --release -q -p vigil-logs --example evtx_floor
VIGIL="${VIGIL_BIN:-$PWD/target/release/vigil}"
FLOOR="$PWD/target/release/examples/evtx_floor"
# vigil's rule cache in the work directory: the first run fills it, the timed runs use it.
export VIGIL_CACHE_DIR="$WORK/vigil-cache"
RULE_ARGS=()
for r in "${SIGMA[@]}"; do RULE_ARGS+=(--rules "$r"); done

FILES=$(find "$CORPUS" -name '*.evtx' | wc -l)
BYTES=$(find "$CORPUS" -name '*.evtx' -print0 | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
RECORDS=$("$FLOOR" --json "$CORPUS" | awk '{print $6}')

# measure NAME CMD…: median wall and CPU (user+sys) seconds over RUNS runs, and the peak RSS (MB)
# of the run with the median wall time; the exit status is ignored (hunt exits 3 when some input
# failed, Hayabusa when it has nothing to say).
measure() {
  local name=$1
  shift
  : > "$WORK/$name.times"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/$name.t" "$@" > /dev/null 2>&1 || true
    tail -n 1 "$WORK/$name.t" >> "$WORK/$name.times"
  done
  sort -n "$WORK/$name.times" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {
    printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

ROWS="$WORK/rows.txt"
: > "$ROWS"
row() {
  local label=$1 name=$2
  shift 2
  echo "$label|$(measure "$name" "$@")" >> "$ROWS"
}

# Untimed runs first: they fill vigil's rule cache and give the detections compared below.
"$VIGIL" hunt "$CORPUS" "${RULE_ARGS[@]}" --format jsonl -o "$WORK/vigil.jsonl" 2> "$WORK/vigil.err" || true
"$VIGIL" rules list --json "${RULE_ARGS[@]}" > "$WORK/vigil-rules.jsonl" 2> /dev/null || true

row "parse floor: evtx crate, JSON text, 1 thread per file" floor "$FLOOR" --json "$CORPUS"
row "vigil hunt --parse-only" parse "$VIGIL" hunt --parse-only "$CORPUS" -o /dev/null
row "vigil hunt, SigmaHQ rules (rule cache warm)" vigil \
  "$VIGIL" hunt "$CORPUS" "${RULE_ARGS[@]}" -o /dev/null
row "vigil hunt, SigmaHQ rules, --no-cache" vigil_nocache \
  "$VIGIL" hunt --no-cache "$CORPUS" "${RULE_ARGS[@]}" -o /dev/null

# copy_tree SRC DST: a source checkout without its build output and git metadata.
copy_tree() {
  mkdir -p "$2"
  (cd "$1" && tar --exclude=./target --exclude=./.git -cf - .) | (cd "$2" && tar -xf -)
}

HAYABUSA_OK=""
if [ -n "${HAYABUSA_SRC:-}" ] && [ -n "${HAYABUSA_RULES_SRC:-}" ]; then
  HB="$WORK/hayabusa"
  if [ ! -x "$HB/target/release/hayabusa" ] && [ -z "${HAYABUSA_BIN:-}" ]; then
    : "${HAYABUSA_EVTX_SRC:?set HAYABUSA_EVTX_SRC to a hayabusa-evtx checkout}"
    rm -rf "$HB"
    copy_tree "$HAYABUSA_SRC" "$HB"
    # The pinned git revision of hayabusa-evtx → the local checkout, same features.
    sed -i -E 's|^evtx = \{ *git = "[^"]*" *, *features = \[([^]]*)\] *, *rev = "[^"]*" *\}|evtx = { path = "'"$HAYABUSA_EVTX_SRC"'", features = [\1] }|' \
      "$HB/Cargo.toml"
    grep -q "path = \"$HAYABUSA_EVTX_SRC\"" "$HB/Cargo.toml" ||
      { echo "could not point Hayabusa's evtx dependency at $HAYABUSA_EVTX_SRC" >&2; exit 4; }
    (cd "$HB" && cargo ${HAYABUSA_TOOLCHAIN:-} build --release --ignore-rust-version)
  elif [ ! -d "$HB" ]; then
    copy_tree "$HAYABUSA_SRC" "$HB"
  fi
  HAYABUSA="${HAYABUSA_BIN:-$HB/target/release/hayabusa}"
  rm -rf "$HB/rules"
  copy_tree "$HAYABUSA_RULES_SRC" "$HB/rules"
  HAYABUSA_VERSION=$("$HAYABUSA" help 2>/dev/null | head -1 || true)
  # As in peers.md: the converted SigmaHQ rules only, no wizard, UTC, no colour, quiet.
  (cd "$HB" && "$HAYABUSA" dfir-timeline -d "$CORPUS" -r rules/sigma -w -C -K -U -q -N \
    -t jsonl -p super-verbose -o "$WORK/hayabusa.jsonl" > "$WORK/hayabusa.log" 2>&1) || true
  (
    cd "$HB"
    row "Hayabusa dfir-timeline -r rules/sigma" hayabusa \
      "$HAYABUSA" dfir-timeline -d "$CORPUS" -r rules/sigma -w -C -K -U -q -o "$WORK/hb.csv"
  )
  HAYABUSA_OK=1
else
  echo "Hayabusa not measured: set HAYABUSA_SRC, HAYABUSA_EVTX_SRC and HAYABUSA_RULES_SRC" >&2
fi

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), " \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%d), vigil $("$VIGIL" --version | cut -d' ' -f2), ${HAYABUSA_VERSION:-no Hayabusa}"
echo "corpus: $FILES EVTX files (deduplicated by SHA-1), $((BYTES / 1000000)) MB, $RECORDS records;" \
  "runs per row: $RUNS"
echo
echo "| row | wall s (median) | CPU s | peak RSS MB | records/s (wall) | records/CPU-s |"
echo "|---|---|---|---|---|---|"
while IFS='|' read -r label figures; do
  read -r wall cpu rss <<< "$figures"
  python3 -c 'import sys
label, wall, cpu, rss, rec = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rate = lambda s: f"{rec / s / 1000:.1f}k" if s > 0 else "-"
print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss} | {rate(wall)} | {rate(cpu)} |")' \
    "$label" "$wall" "$cpu" "$rss" "$RECORDS"
done < "$ROWS"
if [ -n "$HAYABUSA_OK" ]; then
  python3 - "$ROWS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, figures = line.rstrip("\n").split("|")
    wall, cpu, _ = figures.split()
    rows[label] = (float(wall), float(cpu))
v = rows["vigil hunt, SigmaHQ rules (rule cache warm)"]
h = rows["Hayabusa dfir-timeline -r rules/sigma"]
print(f"\nvigil against Hayabusa: {h[0] / v[0]:.1f}x the records/s (wall), {h[1] / v[1]:.1f}x per CPU second")
PY
  echo
  python3 bench/hayabusa_recall.py "$HB/rules/sigma" "$WORK/hayabusa.jsonl" "$WORK/vigil.jsonl" \
    "$WORK/vigil-rules.jsonl" | tee "$WORK/recall.md"
fi
