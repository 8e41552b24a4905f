#!/usr/bin/env bash
# Runs every test. Installs what the tests use when it is missing (never runtime dependencies): the reference
# toolkits the interoperability tests read files from and write DICOMDIRs with (Debian's dcmtk, PyPI's
# pydicom), the disc-image builders of the archive tests (genisoimage, xorriso), and what renders the HTML
# report (headless Chromium, poppler-utils, a small CJK font so the Chinese counter note prints as text), the
# images tests' references (Debian's libgdcm-tools; PyPI's pydicom-data) and cmake, which builds CharLS (JPEG-LS).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dcmmkdir >/dev/null 2>&1 || missing+=(dcmtk)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v gdcmconv >/dev/null 2>&1 || missing+=(libgdcm-tools)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
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
# The compressed reference files of the images tests (JPEG, JPEG-LS, JPEG 2000, RLE, deflate).
if ! python3 -c "from pydicom.data import get_testdata_file as g; assert g('US1_J2KR.dcm')" >/dev/null 2>&1; then
  python3 -m pip install --quiet pydicom-data
fi

# Run every test target; close with one line that totals all of them (the last target cargo reports is an
# example with no tests, so its own "0 passed" must not read as the whole run's result).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# test-hooks: the isolation tests make a decoder panic, abort, hang and allocate, and reads fail (tests/images_isolation.rs).
cargo test --all-targets --features test-hooks "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
total() { grep -E '^test result:' "$log" | grep -Eo "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(total passed) passed, $(total failed) failed, $(total ignored) skipped"
exit "$status"
