#!/usr/bin/env bash
# Runs every test. Installs what the tests use when it is missing (never runtime dependencies): the reference
# toolkits the interoperability tests read files from and write DICOMDIRs with (Debian's dcmtk, PyPI's
# pydicom), the real scanner series PyPI's heudiconv and nibabel ship, the disc-image builders of the archive
# tests (genisoimage, xorriso), and what renders the HTML report (headless Chromium, poppler-utils, a small CJK
# font so the Chinese counter note prints as text).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dcmmkdir >/dev/null 2>&1 || missing+=(dcmtk)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
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
# Real scanner series for tests/real_series.rs: the test data heudiconv and nibabel ship in their wheels (Siemens
# DWI mosaics, a Philips enhanced MR, scouts, MIPs). Only the data are used, so their dependencies are not needed.
if ! python3 -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('heudiconv') and u.find_spec('nibabel')))"; then
  python3 -m pip install --quiet --no-deps heudiconv==1.5.1 nibabel==5.4.2
fi

# Run every test target; close with one line that totals all of them (the last target cargo reports is an
# example with no tests, so its own "0 passed" must not read as the whole run's result).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
total() { grep -E '^test result:' "$log" | grep -Eo "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(total passed) passed, $(total failed) failed, $(total ignored) skipped"
exit "$status"
