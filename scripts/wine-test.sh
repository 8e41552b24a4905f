#!/usr/bin/env bash
# Runs the Windows build (x86_64-pc-windows-gnu, linked by Debian's mingw-w64) under Wine on the sample disc and on
# a damaged copy of it, each mapped to a drive letter as a patient's CD would be: exit 0 and 1, the summary, the
# Chinese note for the counter staff, and `/` in the JSON paths.
#
# Wine 8.0 (Debian) lacks bcryptprimitives.dll, whose ProcessPrng Rust's standard library imports, so a test-only
# shim (scripts/wine/bcryptprimitives.c, forwarding to advapi32's SystemFunction036) is built with mingw and put
# beside the .exe in a temporary test folder. It is never shipped: real Windows has the DLL.
#
# Usage: scripts/wine-test.sh [path/to/dicomcheck.exe]   (default: a debug build made here)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null 2>&1 || missing+=(wine wine64)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu

exe=${1:-}
if [ -z "$exe" ]; then
  cargo build --quiet --target x86_64-pc-windows-gnu
  exe=target/x86_64-pc-windows-gnu/debug/dicomcheck.exe
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$exe" "$work/dicomcheck.exe"
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32

# A Wine prefix kept between runs (creating one takes ~10 s), with D: the sample disc and E: a damaged copy.
export WINEPREFIX="$PWD/target/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
[ -d "$WINEPREFIX/dosdevices" ] || wine wineboot --init >/dev/null 2>&1 || true
cp -r fixtures/sample-disc "$work/damaged"
truncate -s 1000 "$work/damaged/DICOM/ST000002/SE000001/IM000002"
ln -sfn "$PWD/fixtures/sample-disc" "$WINEPREFIX/dosdevices/d:"
ln -sfn "$work/damaged" "$WINEPREFIX/dosdevices/e:"
# D: is a CD-ROM drive (GetDriveTypeW), E: a fixed disk: the search without a path must take D:.
wine reg add 'HKLM\Software\Wine\Drives' /v d: /d cdrom /f >/dev/null 2>&1
# A new prefix's wineserver (and its mount manager) only reads the drive types when it starts: stop it, so the
# next program starts one that knows D: is a CD-ROM.
wineserver -k >/dev/null 2>&1 || true
wineserver -w >/dev/null 2>&1 || true

passed=0 failures=0
run() { # run NAME EXPECTED-EXIT ARGS...: runs the .exe, keeps its output in $out
  local name=$1 expected=$2
  shift 2
  set +e
  out=$(cd "$work" && wine ./dicomcheck.exe "$@" 2>"$work/stderr")
  local code=$?
  set -e
  echo "── wine dicomcheck.exe $* → exit $code"
  printf '%s\n' "$out" | head -n 30 | sed 's/^/   /'
  if [ "$code" != "$expected" ]; then
    echo "FAIL $name: exit $code, expected $expected; stderr:"; cat "$work/stderr"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}
expect() { # expect NAME TEXT: $out contains TEXT
  if grep -qF -- "$2" <<<"$out"; then
    echo "ok   $1"; passed=$((passed + 1))
  else
    echo "FAIL $1: no '$2'"; failures=$((failures + 1))
  fi
}

run "sample disc on D:" 0 'D:\' --name 'SMITH^JOHN'
expect "sample: verdict" "RESULT: PASS"
expect "sample: drive letter" 'D:\'
expect "sample: all files read" "Read 55 files in"
expect "sample: every image opened" "51 frames decoded from 51 files"

run "damaged copy on E:" 1 'E:\' --name 'SMITH^JOHN'
expect "damaged: verdict" "RESULT: FAIL — 1 problem to fix before you leave the counter"
expect "damaged: the cut file, with /" "DICOM/ST000002/SE000001/IM000002"
expect "damaged: Chinese note" "光盘中有1个文件不完整（刻录中断）。请重新刻录光盘。"

run "damaged copy, JSON" 1 'E:\DICOM\..' --name 'SMITH^JOHN' --json
expect "json: verdict" '"verdict": "fail"'
expect "json: path with /" '"DICOM/ST000002/SE000001/IM000002 (file ends'
if grep -qF 'ST000002\\' <<<"$out"; then
  echo "FAIL json: a backslash path"; failures=$((failures + 1))
else
  echo "ok   json: no backslash path"; passed=$((passed + 1))
fi

run "no path: the CD-ROM drive that holds DICOM" 0 --name 'SMITH^JOHN'
expect "no path: verdict" "RESULT: PASS"
if grep -qF 'checking D:\ (the CD/DVD that holds DICOM)' "$work/stderr"; then
  echo "ok   no path: D: found and named"; passed=$((passed + 1))
else
  echo "FAIL no path: D: not named on stderr:"; cat "$work/stderr"; failures=$((failures + 1))
fi

# A double-click: asked for the name (a Chinese one is refused, then the Latin one), then waits for Enter.
set +e
out=$(cd "$work" && printf '张三\nSMITH^JOHN\n\n' | DICOMCHECK_DOUBLE_CLICK=1 wine ./dicomcheck.exe 2>"$work/stderr")
code=$?
set -e
echo "── double-click (DICOMCHECK_DOUBLE_CLICK=1), typed: 张三, SMITH^JOHN, Enter → exit $code"
printf '%s\n' "$out" | head -n 30 | sed 's/^/   /'
expect "double-click: asks for the name" "surname first (e.g. SMITH^JOHN), then Enter:"
expect "double-click: verdict" "RESULT: PASS"
expect "double-click: waits for Enter" "Press Enter to close this window."
if [ "$code" = 0 ] && grep -qF "has no Latin letters" "$work/stderr"; then
  echo "ok   double-click: exit 0, the Chinese name refused"; passed=$((passed + 1))
else
  echo "FAIL double-click: exit $code; stderr:"; cat "$work/stderr"; failures=$((failures + 1))
fi

echo "wine: $passed passed, $failures failed"
[ "$failures" = 0 ]
