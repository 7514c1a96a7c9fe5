#!/usr/bin/env bash
# Memory benchmark: `vigil hunt` over SIZE_MB (default 1024) MiB of syslog lines that vigil's own rules
# match and correlate (Postfix "SASL LOGIN authentication failed", the brute-force correlation fires),
# and over as many lines of the same shape that nothing matches ("... authentication passed"), both
# gzip-compressed. Prints, per file: wall and CPU seconds, MB/s and events/s (uncompressed), peak RSS
# (/usr/bin/time -v), the exit status and the detections found.
#
#   bench/memory.sh                       # builds the release binary, 1 GiB per file
#   SIZE_MB=64 bench/memory.sh            # a quick run
#   VIGIL_BIN=/path/to/older/vigil bench/memory.sh   # another build on the same files
#
# Each run is capped at MEM_CAP_MB (default 8192) of address space (ulimit -v), so that a build whose
# memory grows with the input fails instead of exhausting the machine; its peak RSS is then the cap
# it reached. The generated files are kept in WORK (default /tmp/vigil-memory-bench) for reruns.
# Needs perl and gzip; no network, no shared data.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB="${SIZE_MB:-1024}"
MEM_CAP_MB="${MEM_CAP_MB:-8192}"
WORK="${WORK:-/tmp/vigil-memory-bench}"
mkdir -p "$WORK"
if [ -z "${VIGIL_BIN:-}" ]; then
  cargo build --release -q -p vigil
fi
VIGIL="${VIGIL_BIN:-./target/release/vigil}"

# generate KIND BYTES: RFC 3339 syslog lines from Postfix smtpd, 100 a second from 2021-08-13, the
# client address cycling through 256 addresses of a /24 that moves every 2^20 lines.
generate() {
  perl -e '
    my ($kind, $bytes) = @ARGV;
    my $msg = $kind eq "matching"
      ? "SASL LOGIN authentication failed: UGFzc3dvcmQ6"
      : "SASL LOGIN authentication passed: UGFzc3dvcmQ6";
    my ($t, $n, $written, $buf) = (1628812800, 0, 0, "");
    while ($written < $bytes) {
      my @g = gmtime($t + int($n / 100));
      $buf .= sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00 mx1 postfix/smtpd[%d]: warning: unknown[198.51.%d.%d]: %s\n",
        $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1], $g[0], ($n % 100) * 10000,
        3000 + $n % 7000, ($n >> 20) % 256, $n % 256, $msg);
      $n++;
      if (length($buf) > 1 << 20) { print $buf; $written += length($buf); $buf = ""; }
    }
    print $buf;
  ' "$1" "$2"
}

BYTES=$((SIZE_MB * 1024 * 1024))
for kind in matching other; do
  f="$WORK/$kind-${SIZE_MB}MiB.log.gz"
  if [ ! -s "$f" ]; then
    echo "generating $f" >&2
    generate "$kind" "$BYTES" | gzip -6 > "$f.tmp"
    mv "$f.tmp" "$f"
  fi
done

echo "vigil: $VIGIL ($("$VIGIL" --version 2>/dev/null || echo unknown))"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-24s | %9s | %7s | %8s | %10s | %11s | %4s | %s\n' \
  file "wall s" "CPU s" "MB/s" "events/s" "peak RSS MB" exit detections
for kind in matching other; do
  f="$WORK/$kind-${SIZE_MB}MiB.log.gz"
  rc=0
  ( ulimit -v $((MEM_CAP_MB * 1024)); exec /usr/bin/time -v -o "$WORK/time.txt" \
      "$VIGIL" hunt "$f" --format jsonl > "$WORK/out.jsonl" 2> "$WORK/err.txt" ) || rc=$?
  wall=$(awk -F': ' '/Elapsed/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$WORK/time.txt")
  events=$(sed -n 's/^\([0-9]*\) events read.*/\1/p' "$WORK/err.txt" | head -1)
  detections=$(sed -n 's/^\([0-9]*\) detections.*/\1/p' "$WORK/err.txt" | head -1)
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ]; then
    mbs=$(printf '%.1f' "$(echo "$SIZE_MB / $wall" | bc -l)")
    eps=$(printf '%.0f' "$(echo "${events:-0} / $wall" | bc -l)")
  else
    # Killed or aborted (status 134: an allocation failed at MEM_CAP_MB): it did not finish.
    mbs=-
    eps=-
  fi
  printf '| %-24s | %9s | %7s | %8s | %10s | %11s | %4s | %s\n' \
    "$(basename "$f")" "$wall" "$cpu" "$mbs" "$eps" "$rss" "$rc" "${detections:--}"
done
