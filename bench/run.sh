#!/usr/bin/env bash
# The throughput harness: generates a deterministic debug-level NDJSON log (examples/gen_log.rs,
# seeded), then runs side by side, RUNS interleaved rounds (best time, largest RSS):
#   baton-lint on the file (-j 1: one thread; -j 2: reader, two workers and the engine), baton-lint
#   from stdin (-j 2), jq -c 'select(.level=="error")',
#   rg -c with the rules' literals, cat FILE | wc -c, and 8 files with -j 1 vs -j 2; the same
#   syncs at info level (gen_log … info) with -j 1, -j 2 and jq; and the fair yardstick
#   ../shared/perf-anchor (`pa rules-full-memo sonic`) when it is beside the project.
# Prints MB/s, lines/s, peak RSS (/usr/bin/time -v) and the ratios the targets are about.
#
#   bench/run.sh              # 1024 MB, 3 runs (a few minutes)
#   bench/run.sh 200 1        # smaller
#   bench/run.sh --smoke      # 20 MB, 1 run: seconds (CI)
#   BENCH_8G=1 bench/run.sh   # also stream 8 x the file through stdin to compare peak RSS
# Then start-up: the first 20 lines of the debug log, linted STARTUP_RUNS times (default 100) by
# examples/startup.rs: median and p90 wall time; then the largest peak RSS of 5 runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1024}
RUNS=${2:-3}
if [ "$SIZE" = "--smoke" ]; then SIZE=20; RUNS=1; fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "installing $2"; (apt-get install -y -qq "$2" >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$2" >/dev/null 2>&1)) || true; }; }
need jq jq
need rg ripgrep
[ -x /usr/bin/time ] || need time time

cargo build --release --quiet --example gen_log --example startup
cargo build --release --quiet
BL=target/release/baton-lint
mkdir -p target/bench
F=target/bench/gen-$SIZE.log
[ -f "$F" ] || target/release/examples/gen_log "$F" "$SIZE" 2>/dev/null
# The same syncs at --log-level info (zap drops the debug lines): fewer, shorter lines per sync.
FI=target/bench/gen-info-$SIZE.log
[ -f "$FI" ] || target/release/examples/gen_log "$FI" "$SIZE" 7 info 2>/dev/null
IBYTES=$(stat -c %s "$FI")
ILINES=$(wc -l < "$FI")
BYTES=$(stat -c %s "$F")
LINES=$(wc -l < "$F")
PARTS=target/bench/parts-$SIZE
if [ ! -d "$PARTS" ]; then mkdir -p "$PARTS" && split -n l/8 -d "$F" "$PARTS/part-" && for p in "$PARTS"/part-*; do mv "$p" "$p.log"; done; fi

# Runs are interleaved (every command once, then again, RUNS rounds) so that the machine's
# drift over minutes hits every command alike; each keeps its best wall time (s) and its largest
# max RSS (KiB).
declare -A SECS KB CMD
NAMES=()
add() { NAMES+=("$1"); CMD[$1]=$2; }
measure_all() {
  for _ in $(seq "$RUNS"); do
    for name in "${NAMES[@]}"; do
      /usr/bin/time -f "%e %M" -o target/bench/.time bash -c "${CMD[$name]}" > /dev/null 2>&1 || true
      read -r s kb < <(tail -n 1 target/bench/.time)
      if [ -z "${SECS[$name]:-}" ] || awk "BEGIN{exit !($s < ${SECS[$name]})}"; then SECS[$name]=$s; fi
      if [ "$kb" -gt "${KB[$name]:-0}" ]; then KB[$name]=$kb; fi
    done
  done
}

LIT='next page token|Too Many Requests|code = Unauthenticated|code = PermissionDenied|x509: |connection refused|no such host|does not have provisioner|provisioning is not enabled|ingest invariant|panic: '
add "baton-lint file -j1"  "$BL --isolated -q -j 1 $F"
add "baton-lint file -j2"  "$BL --isolated -q -j 2 $F"
add "baton-lint stdin"     "cat $F | $BL --isolated -q -j 2"
add "jq select level"      "jq -c 'select(.level==\"error\")' $F"
add "rg -c literals"       "rg -c '$LIT' $F"
add "cat | wc -c"          "cat $F | wc -c"
add "info file -j1"       "$BL --isolated -q -j 1 $FI"
add "info file -j2"       "$BL --isolated -q -j 2 $FI"
add "info jq select"      "jq -c 'select(.level==\"error\")' $FI"
add "8 files -j1"          "$BL --isolated -q -j 1 $PARTS/*.log"
add "8 files -j2"          "$BL --isolated -q -j 2 $PARTS/*.log"
# The fair yardstick (../shared/perf-anchor): built from a copy, run on the same file, same rounds.
ANCHOR=../shared/perf-anchor
if [ -d "$ANCHOR" ]; then
  if [ ! -x target/perf-anchor/target/release/pa ]; then
    rm -rf target/perf-anchor && cp -r "$ANCHOR" target/perf-anchor && (cd target/perf-anchor && cargo build --release --quiet)
  fi
  add "anchor pa full-memo"  "target/perf-anchor/target/release/pa rules-full-memo sonic < $F"
else
  echo "no $ANCHOR beside the project: the anchor row is skipped"
fi
if [ "${BENCH_8G:-0}" = 1 ]; then
  add "baton-lint stdin 8x"  "for i in 1 2 3 4 5 6 7 8; do cat $F; done | $BL --isolated -q -j 2"
fi
measure_all

printf '\nbaton-lint %s, %s cores, %s\n' "$($BL --version | cut -d' ' -f2)" "$(nproc)" "$(uname -srm)"
printf 'input: %s, %d bytes, %d lines (%.0f B/line)\n' "$F" "$BYTES" "$LINES" "$(awk "BEGIN{print $BYTES/$LINES}")"
printf 'info-level input (rows "info …"): %s, %d bytes, %d lines (%.0f B/line)\n\n' "$FI" "$IBYTES" "$ILINES" "$(awk "BEGIN{print $IBYTES/$ILINES}")"
printf '%-24s %9s %10s %12s %10s\n' "run" "seconds" "MB/s" "lines/s" "peak RSS"
for name in "baton-lint file -j1" "baton-lint file -j2" "baton-lint stdin" "anchor pa full-memo" "jq select level" "info file -j1" "info file -j2" "info jq select" "rg -c literals" "cat | wc -c" "8 files -j1" "8 files -j2" "baton-lint stdin 8x"; do
  [ -n "${SECS[$name]:-}" ] || continue
  mult=1; [ "$name" = "baton-lint stdin 8x" ] && mult=8
  b=$BYTES; l=$LINES
  case "$name" in info*) b=$IBYTES; l=$ILINES ;; esac
  awk -v n="$name" -v s="${SECS[$name]}" -v b="$b" -v l="$l" -v k="${KB[$name]}" -v m="$mult" \
    'BEGIN{ if (s <= 0) s = 0.01; printf "%-24s %9.2f %10.1f %12.0f %7.1f MiB\n", n, s, b*m/1e6/s, l*m/s, k/1024 }'
done
awk -v a="${SECS[baton-lint file -j1]}" -v a2="${SECS[baton-lint file -j2]}" -v j="${SECS[jq select level]}" \
    -v s="${SECS[baton-lint stdin]}" -v c="${SECS[cat | wc -c]}" \
    -v i="${SECS[info file -j1]}" -v ij="${SECS[info jq select]}" \
    -v p1="${SECS[8 files -j1]}" -v p2="${SECS[8 files -j2]}" 'BEGIN{
  # %e has 10 ms resolution: a run that rounds to 0 counts as 10 ms (no division by zero).
  if (a <= 0) a = 0.01; if (a2 <= 0) a2 = 0.01; if (s <= 0) s = 0.01; if (i <= 0) i = 0.01; if (p2 <= 0) p2 = 0.01
  printf "\nratios (targets of #16 in brackets):\n"
  printf "  debug, one thread vs jq        %5.1fx  (>= 10x)\n", j/a
  printf "  info, one thread vs jq         %5.1fx  (>= 20x)\n", ij/i
  printf "  stdin -j2 vs one thread        %5.2fx  (>= 1.5x); vs jq %.1fx (>= 13x)\n", a/s, j/s
  printf "  file -j2 vs one thread         %5.2fx  (>= 1.6x)\n", a/a2
  printf "  8 files -j2 vs -j1             %5.2fx  (>= 1.6x)\n", p1/p2
  printf "  stdin vs cat | wc -c           %5.0f%%\n", 100*c/s }'
if [ -n "${SECS[anchor pa full-memo]:-}" ]; then
  awk -v a="${SECS[baton-lint file -j1]}" -v p="${SECS[anchor pa full-memo]}" \
    'BEGIN{ if (a <= 0) a = 0.01; printf "  one thread vs the fair anchor  %5.2fx  (>= 1.1x)\n", p/a }'
fi

# Start-up and a small log's memory (#16: <= 10 ms median wall, <= 8 MiB), after the
# throughput runs so that nothing else runs beside them.
TINY=target/bench/first-20.log
head -n 20 "$F" > "$TINY"
read -r med p90 < <(target/release/examples/startup "$BL" "$TINY" "${STARTUP_RUNS:-100}")
rss=0
for _ in 1 2 3 4 5; do
  /usr/bin/time -f "%M" -o target/bench/.time "$BL" --isolated -q "$TINY" > /dev/null 2>&1 || true
  kb=$(tail -n 1 target/bench/.time)
  if [ "$kb" -gt "$rss" ]; then rss=$kb; fi
done
rss=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')
printf '\nstart-up, 20-line log (%s runs): median %s ms, p90 %s ms (<= 10 ms); peak RSS %s MiB (<= 8 MiB)\n' \
  "${STARTUP_RUNS:-100}" "$med" "$p90" "$rss"
