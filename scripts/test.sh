#!/usr/bin/env bash
# Runs every test. Installs what the tests use when it is missing (never runtime dependencies): the reference
# toolkits the interoperability tests read files from and write DICOMDIRs with (Debian's dcmtk, PyPI's
# pydicom), the disc-image builders of the archive tests (genisoimage, xorriso), what renders the HTML
# report (headless Chromium, poppler-utils, a small CJK font so the Chinese counter note prints as text), and
# what drives the web page (Node.js; npm's playwright-core, below).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dcmmkdir >/dev/null 2>&1 || missing+=(dcmtk)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! python3 -c "import pydicom" >/dev/null 2>&1; then
  python3 -m pip install --quiet pydicom
fi

# The modules import each other in no cycle (docs/architecture.md); the checker itself must see a planted cycle.
python3 scripts/import-cycles.py
cycle=$(mktemp -d)
printf 'mod a;\nmod b;\n' >"$cycle/lib.rs"
printf 'use crate::b::B;\npub struct A;\n' >"$cycle/a.rs"
printf 'pub struct B;\nfn f(_: crate::a::A) {}\n' >"$cycle/b.rs"
if python3 scripts/import-cycles.py "$cycle" >/dev/null; then echo "import-cycles.py missed a cycle"; exit 1; fi
rm -r "$cycle"

# Run every test target; close with one line that totals all of them (the last target cargo reports is an
# example with no tests, so its own "0 passed" must not read as the whole run's result).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

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
[ "$web_status" = 0 ] || { echo "web page test: FAILED"; [ "$status" != 0 ] || status=$web_status; }
total() { grep -E '^test result:' "$log" | grep -Eo "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(total passed) passed, $(total failed) failed, $(total ignored) skipped"
exit "$status"
