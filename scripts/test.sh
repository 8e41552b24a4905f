#!/usr/bin/env bash
# Runs every test. Installs the reference toolkits the interoperability tests read files from and write
# DICOMDIRs with (Debian's dcmtk, PyPI's pydicom), and the disc-image builders the archive tests use
# (Debian's genisoimage and xorriso) when they are missing; they are never runtime dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dcmmkdir >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk >/dev/null
  fi
fi
if ! command -v genisoimage >/dev/null 2>&1 || ! command -v xorriso >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq genisoimage xorriso >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq genisoimage xorriso >/dev/null
  fi
fi
if ! python3 -c "import pydicom" >/dev/null 2>&1; then
  python3 -m pip install --quiet pydicom
fi

cargo test --all-targets "$@"
