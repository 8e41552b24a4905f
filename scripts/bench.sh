#!/usr/bin/env bash
# Benchmark: dicomcheck's header phase against the header scans of DCMTK, GDCM and pydicom, and against the read
# floor (walk the tree, open each file, read the bytes the scanner needs, close; in parallel), on a realistic
# 20,000-file tree (about 1 GB): warm (in the page cache), then cold (the tree's pages evicted before each run,
# with the bytes each tool read from the device); instructions per file under callgrind on a smaller tree; then
# peak memory on a 100,000-file tree.
# Then the images phase (every byte read, every frame decoded) on an uncompressed tree and on JPEG 2000 and
# JPEG-lossless copies of it (made by gdcmconv), against reading every byte, GDCM and dcmtk decoding one process
# per file, and a pydicom pixel_array loop. IMG_FILES (default 1000, about 8 minutes; 0 skips it) sets its size;
# HEADERS=0 skips everything before it (the images phase alone).
#
#   scripts/bench.sh [RUNS]        (default 5 runs of the fast tools, 3 of the slow ones; medians are printed)
#
# Trees are built once under $BENCH_DIR (default /tmp/dicomcheck-bench) and reused. FILES (default 20000),
# CALLGRIND_FILES (default 2000, 0 skips callgrind) and BIG_FILES (default 100000, 0 skips the memory run) set
# their sizes; COLD=0 skips the cold runs. Peers are installed when missing: Debian dcmtk, libgdcm-tools, time,
# vmtouch and valgrind, PyPI pydicom. dicomcheck runs with --quick (header phase only) when it has that option.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-5}
SLOW_RUNS=$(( RUNS < 3 ? RUNS : 3 ))
BENCH_DIR=${BENCH_DIR:-/tmp/dicomcheck-bench}
FILES=${FILES:-20000}
BIG_FILES=${BIG_FILES:-100000}
CALLGRIND_FILES=${CALLGRIND_FILES:-2000}
COLD=${COLD:-1}
TREE=$BENCH_DIR/tree-$FILES
BIG=$BENCH_DIR/small-$BIG_FILES

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
command -v dcmdump >/dev/null 2>&1 || apt_install dcmtk
command -v gdcmscanner >/dev/null 2>&1 || apt_install libgdcm-tools
[ -x /usr/bin/time ] || apt_install time
command -v vmtouch >/dev/null 2>&1 || apt_install vmtouch || true
[ "$CALLGRIND_FILES" = 0 ] || command -v valgrind >/dev/null 2>&1 || apt_install valgrind
python3 -c "import pydicom" >/dev/null 2>&1 || python3 -m pip install --quiet pydicom

cargo build --release --quiet --bin dicomcheck --example make_bench_tree --example read_floor
BIN=target/release/dicomcheck
FLOOR=target/release/examples/read_floor
# The header phase: once the images phase is on by default, --quick turns it off.
QUICK=()
if "$BIN" --help 2>&1 | grep -q -- '--quick'; then QUICK=(--quick); fi
mkdir -p "$BENCH_DIR"
[ "${HEADERS:-1}" = 0 ] || [ -d "$TREE" ] || target/release/examples/make_bench_tree "$TREE" "$FILES"
PLAN=$BENCH_DIR/plan-$FILES.tsv
PYLOOP=$BENCH_DIR/pydicom_loop.py
cat >"$PYLOOP" <<'EOF'
import os, sys
import pydicom
seen = 0
for top, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        try:
            ds = pydicom.dcmread(os.path.join(top, name), stop_before_pixels=True)
            (ds.get("PatientName"), ds.get("SeriesInstanceUID"), ds.get("InstanceNumber"), ds.get("StudyDate"))
            seen += 1
        except Exception:
            pass
print(seen)
EOF

# One timed run of "$@": wall seconds, peak RSS (KB), and the rchar and read_bytes of the command (a reaped
# child's I/O counters are added to its parent's /proc/PID/io; the wrapper's own, measured with `true`, is
# subtracted).
OUT=$BENCH_DIR/run.out
run_once() {
  /usr/bin/time -f "%e %M" -o "$OUT.time" \
    bash -c '"$@" >/dev/null 2>&1; cat /proc/$$/io' _ "$@" >"$OUT.io" || true
  local wall rss rchar rbytes
  read -r wall rss <"$OUT.time"
  rchar=$(awk '/^rchar/ {print $2}' "$OUT.io")
  rbytes=$(awk '/^read_bytes/ {print $2}' "$OUT.io")
  echo "$wall $rss $rchar $rbytes"
}
BASE_RCHAR=$(run_once true | awk '{print $3}')

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# measure NAME RUNS CMD...: prints "NAME wall rss rchar read_bytes" with the median wall time and the last run's
# other figures.
measure() {
  local name=$1 runs=$2; shift 2
  local walls=() line
  "$@" >/dev/null 2>&1 || true # warm the page cache and the binary
  for _ in $(seq "$runs"); do
    line=$(run_once "$@")
    walls+=("${line%% *}")
  done
  echo "$name $(printf '%s\n' "${walls[@]}" | median) ${line#* } $(printf '%s,' "${walls[@]}")"
}

RESULTS=$BENCH_DIR/results.txt
if [ "${HEADERS:-1}" != 0 ]; then
nfiles=$(find "$TREE" -type f | wc -l)
tree_bytes=$(du -sb "$TREE" | cut -f1)
"$BIN" "$TREE" --name "SMITH^JOHN" "${QUICK[@]}" >/dev/null 2>&1 || true
plan_line=$("$FLOOR" --plan "$TREE" "$PLAN")
header_bytes=$(awk '{s += $1} END {print s}' "$PLAN")

echo "dicomcheck benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $TREE: $nfiles files, $((tree_bytes / 1000000)) MB; header bytes (what dicomcheck needs): $plan_line"
echo "versions: $("$BIN" --version), $(dcmdump --version 2>/dev/null | head -1), gdcm $(gdcmscanner --version 2>/dev/null | head -1 | tr -dc '0-9.'), pydicom $(python3 -c 'import pydicom; print(pydicom.__version__)')"
echo "dicomcheck: $BIN $TREE --name SMITH^JOHN --json ${QUICK[*]} (header phase)"
echo "read floor: walk the tree (dicomcheck's walk: list, then stat each file), open, read the planned header bytes, close; one thread per CPU"
echo "floor-nostat: list the tree (no stat), open, read the planned header bytes, close; one thread per CPU"
echo
echo "WARM page cache; wall time is the median of the runs listed; RSS, bytes and files/s from the last run"

{
  measure dicomcheck "$RUNS" "$BIN" "$TREE" --name "SMITH^JOHN" --json "${QUICK[@]}"
  measure read-floor "$RUNS" "$FLOOR" "$TREE" "$PLAN"
  measure floor-nostat "$RUNS" "$FLOOR" "$TREE" "$PLAN" --no-stat
  measure gdcmscanner "$SLOW_RUNS" gdcmscanner -d "$TREE" -r -t 0010,0010 -t 0020,000e -t 0020,0013 -t 0008,0020 -p
  measure dcmdump "$SLOW_RUNS" dcmdump +sd +r -M +P PatientName "$TREE"
  measure pydicom-loop "$SLOW_RUNS" python3 "$PYLOOP" "$TREE"
} >"$RESULTS"

base=$(awk '$1 == "dicomcheck" {print $2}' "$RESULTS")
awk -v base="$base" -v n="$nfiles" -v hb="$header_bytes" -v rbase="$BASE_RCHAR" '
  BEGIN {
    printf "%-13s %9s %9s %10s %12s %14s %14s %9s  %s\n", "tool", "median s", "x dicomcheck", "files/s", "hdr MB/s", "rchar/file", "disk B/file", "peak RSS", "runs (s)"
  }
  {
    rchar = ($4 - rbase) / n
    printf "%-13s %9.3f %12.2f %10.0f %12.1f %14.0f %14.0f %6.1f MB  %s\n", $1, $2, $2 / base, n / $2, hb / $2 / 1e6, rchar, $5 / n, $3 / 1024, $6
  }' "$RESULTS"
echo
echo "header bytes per file: $((header_bytes / nfiles)); x dicomcheck > 1 means slower than dicomcheck"
awk '$1 == "dicomcheck" {d = $2} $1 == "read-floor" {f = $2} $1 == "floor-nostat" {n = $2} END {
  printf "dicomcheck / read floor: %.2f (target: within 2x)\n", d / f
  printf "dicomcheck / floor without a stat (list, open, read, close; dicomcheck sizes each file from its open handle): %.2f\n", d / n }' "$RESULTS"

# Cold cache: the tree's pages are evicted before each run (vmtouch -e, else posix_fadvise(DONTNEED) on every
# file: no root needed), so the tool reads from the device; read_bytes is what the device delivered, read-ahead
# included. The floor runs twice: with the kernel's read-ahead, and with posix_fadvise(RANDOM), which turns it
# off per file.
evict() {
  sync # dirty pages (a tree just written) cannot be evicted
  if command -v vmtouch >/dev/null 2>&1; then
    vmtouch -qe "$1"
  else
    python3 - "$1" <<'PY'
import os, sys
for top, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        fd = os.open(os.path.join(top, name), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
  fi
}
cold() {
  local name=$1; shift
  evict "$TREE"
  echo "$name $(run_once "$@")"
}
if [ "$COLD" != 0 ]; then
  echo
  echo "COLD cache: one run each, the tree's pages evicted first ($(command -v vmtouch >/dev/null 2>&1 && echo 'vmtouch -e' || echo 'posix_fadvise DONTNEED')); read-ahead $(cat /sys/block/*/queue/read_ahead_kb 2>/dev/null | head -1) KB"
  COLD_RESULTS=$BENCH_DIR/results-cold.txt
  {
    cold dicomcheck "$BIN" "$TREE" --name "SMITH^JOHN" --json "${QUICK[@]}"
    cold read-floor "$FLOOR" "$TREE" "$PLAN"
    cold read-floor-random "$FLOOR" "$TREE" "$PLAN" --random
    cold gdcmscanner gdcmscanner -d "$TREE" -r -t 0010,0010 -t 0020,000e -t 0020,0013 -t 0008,0020 -p
    cold dcmdump dcmdump +sd +r -M +P PatientName "$TREE"
    cold pydicom-loop python3 "$PYLOOP" "$TREE"
  } >"$COLD_RESULTS"
  awk -v n="$nfiles" -v hb="$header_bytes" '
    BEGIN { printf "%-17s %9s %10s %14s %16s %9s\n", "tool", "wall s", "files/s", "disk B/file", "x header bytes", "peak RSS" }
    $1 == "read-floor" { floor = $2 }
    { printf "%-17s %9.3f %10.0f %14.0f %16.2f %6.1f MB\n", $1, $2, n / $2, $5 / n, $5 / hb, $3 / 1024 }' "$COLD_RESULTS"
  echo "x header bytes: bytes read from the device over the header bytes dicomcheck needs (read-ahead inflation)"
fi

# Instructions per file (callgrind counts every instruction of every thread: stable on a loaded machine; the
# kernel's work in system calls is not counted). The release build strips its symbols: callgrind runs the same
# build with them kept (profile.profiling), so that the header reader and the main thread can be told apart.
if [ "$CALLGRIND_FILES" != 0 ]; then
  cargo build --profile profiling --quiet --bin dicomcheck --example read_floor
  SMALL=$BENCH_DIR/tree-$CALLGRIND_FILES
  [ -d "$SMALL" ] || target/release/examples/make_bench_tree "$SMALL" "$CALLGRIND_FILES" >/dev/null
  target/profiling/examples/read_floor --plan "$SMALL" "$BENCH_DIR/plan-$CALLGRIND_FILES.tsv" >/dev/null
  echo
  echo "INSTRUCTIONS per file (valgrind --tool=callgrind, $CALLGRIND_FILES files, dicomcheck -j 1; reader = read_header::read_source"
  echo "on the worker thread, main = the main thread: walk, DICOMDIR, catalog, checks, report)"
  printf '%-13s %12s %12s %12s\n' tool "in all" reader main
  for tool in dicomcheck read-floor; do
    out=$BENCH_DIR/callgrind.$tool
    case $tool in
      dicomcheck) valgrind --tool=callgrind --callgrind-out-file="$out" target/profiling/dicomcheck "$SMALL" --name "SMITH^JOHN" --json -j 1 "${QUICK[@]}" >/dev/null 2>&1 || true ;;
      read-floor) valgrind --tool=callgrind --callgrind-out-file="$out" target/profiling/examples/read_floor "$SMALL" "$BENCH_DIR/plan-$CALLGRIND_FILES.tsv" >/dev/null 2>&1 || true ;;
    esac
    total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    inclusive=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null)
    first() { awk -v re="$1" '$0 ~ re && !done {gsub(",", "", $1); print $1; done = 1}' <<<"$inclusive"; }
    reader=$(first 'read_header::read_source \\[')
    main=$(first '\\(below main\\) \\[')
    awk -v t="$tool" -v total="$total" -v reader="${reader:-0}" -v main="${main:-0}" -v n="$CALLGRIND_FILES" 'BEGIN {
      printf "%-13s %12.0f %12.0f %12.0f\n", t, total / n, reader / n, main / n }'
  done
fi

if [ "$BIG_FILES" -gt 0 ]; then
  [ -d "$BIG" ] || target/release/examples/make_bench_tree "$BIG" "$BIG_FILES" --small >/dev/null
  echo
  echo "memory: peak RSS of dicomcheck (one run each)"
  for t in "$TREE" "$BIG"; do
    n=$(find "$t" -type f | wc -l)
    "$BIN" "$t" --name "SMITH^JOHN" "${QUICK[@]}" >/dev/null 2>&1 || true
    set -- $(run_once "$BIN" "$t" --name "SMITH^JOHN" --json "${QUICK[@]}")
    awk -v n="$n" -v w="$1" -v rss="$2" -v t="$t" 'BEGIN {
      printf "%8d files  %6.2f s  peak RSS %6.1f MB  (%.2f KB per file)  %s\n", n, w, rss / 1024, rss / n, t }'
  done
fi
fi # HEADERS

IMG_FILES=${IMG_FILES:-1000}
if [ "$IMG_FILES" -gt 0 ]; then
  python3 -c "import pylibjpeg, openjpeg, libjpeg, numpy" >/dev/null 2>&1 ||
    python3 -m pip install --quiet pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg numpy
  IMG=$BENCH_DIR/images-$IMG_FILES
  if [ ! -d "$IMG/raw" ]; then
    target/release/examples/make_bench_tree "$IMG/raw" "$IMG_FILES" >/dev/null
    for kind in j2k jpegll; do
      flag=$([ "$kind" = j2k ] && echo --j2k || echo --jpeg)
      (cd "$IMG/raw" && find . -type f ! -name DICOMDIR -print0) | while IFS= read -r -d '' f; do
        mkdir -p "$(dirname "$IMG/$kind/$f")"
        gdcmconv "$flag" "$IMG/raw/$f" "$IMG/$kind/$f"
      done
    done
  fi
  PIXLOOP=$BENCH_DIR/pixel_loop.py
  cat >"$PIXLOOP" <<'EOF'
import os, sys
import pydicom
frames = 0
for top, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        try:
            frames += pydicom.dcmread(os.path.join(top, name)).pixel_array.size > 0
        except Exception:
            pass
print(frames)
EOF
  echo
  echo "images phase: every byte read, every frame decoded ($IMG_FILES files per tree: the benchmark tree's 256 x 256 CT and 128 x 128 MR, 16 bits)"
  for kind in raw j2k jpegll; do
    t=$IMG/$kind
    mb=$(du -sm "$t" | cut -f1)
    {
      measure dicomcheck-full "$SLOW_RUNS" "$BIN" "$t" --json
      measure dicomcheck-quick "$SLOW_RUNS" "$BIN" "$t" --json --quick
      measure read-every-byte "$SLOW_RUNS" bash -c 'find "$1" -type f -print0 | xargs -0 -P "$(nproc)" -n 64 cat >/dev/null' _ "$t"
      if [ "$kind" != raw ]; then
        # One process per file, as a viewer import or a script would run them, on every CPU.
        measure gdcmconv-raw 1 bash -c 'find "$1" -type f ! -name DICOMDIR -print0 | xargs -0 -P "$(nproc)" -I{} gdcmconv --raw {} /dev/null' _ "$t"
        if [ "$kind" = jpegll ]; then
          measure dcmdjpeg 1 bash -c 'find "$1" -type f ! -name DICOMDIR -print0 | xargs -0 -P "$(nproc)" -I{} dcmdjpeg {} /dev/null' _ "$t"
        fi
        measure pydicom-pixels 1 python3 "$PIXLOOP" "$t"
      fi
    } >"$RESULTS"
    base=$(awk '$1 == "dicomcheck-full" {print $2}' "$RESULTS")
    echo "$kind tree: $mb MB"
    awk -v base="$base" -v mb="$mb" -v n="$IMG_FILES" '{
      printf "  %-17s %8.2f s  %6.2f x full  %7.1f MB/s  %7.0f files/s  peak RSS %6.1f MB\n", $1, $2, $2 / base, mb / $2, n / $2, $3 / 1024 }' "$RESULTS"
    if [ "$kind" = raw ]; then
      awk '$1 == "dicomcheck-full" {d = $2} $1 == "read-every-byte" {f = $2} END {
        printf "  TARGET uncompressed: full verification / read every byte = %.2f (target: at most 1.3)\n", d / f }' "$RESULTS"
    else
      awk '$1 == "dicomcheck-full" {d = $2} $1 ~ /^(gdcmconv-raw|dcmdjpeg|pydicom-pixels)$/ && (best == "" || $2 < best) {best = $2; who = $1}
        END { printf "  TARGET compressed: fastest other (%s) / full verification = %.2f (target: at least 3)\n", who, best / d }' "$RESULTS"
    fi
    awk '$1 == "dicomcheck-full" { printf "  TARGET memory: dicomcheck peak RSS %.1f MB for a %d MB tree (bounded: a 32 MiB byte budget, one frame per worker)\n", $3 / 1024, mb }' mb="$mb" "$RESULTS"
  done
fi
