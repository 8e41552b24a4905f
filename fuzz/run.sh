#!/usr/bin/env bash
# Builds one fuzz target the way `cargo fuzz build` does (sanitizer coverage for libFuzzer, debug assertions and
# overflow checks on, no ASan: the code under test is safe Rust), without needing cargo-fuzz installed, and runs
# it on one core for the given seconds; further arguments go to libFuzzer. Needs the nightly toolchain (`rustup
# toolchain install nightly`).
#   fuzz/run.sh iso9660 600
#   fuzz/run.sh header 600 -max_len=20000   # inputs past the header reader's 8 KiB buffer (default cap: 4096)
set -euo pipefail
target=${1:?target: header, charset_pn, dicomdir, iso9660 or zip}
seconds=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
cd "$(dirname "$0")"
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
  cargo +nightly build --release --target x86_64-unknown-linux-gnu --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "./target/x86_64-unknown-linux-gnu/release/$target" "corpus/$target" "seeds/$target" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="artifacts/$target/" "$@"
