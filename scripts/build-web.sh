#!/usr/bin/env bash
# Builds the offline web page: one self-contained dicomcheck.html (the core compiled to WebAssembly and embedded
# as base64, the worker's code inline and started from a Blob URL), written to target/web/dicomcheck.html or to
# the path given as the first argument. It opens from file:// or any static server and makes no request.
#
# Needs the wasm32 standard library (rustup) and the wasm-bindgen CLI of exactly the version the lock file pins,
# compiled from crates.io once and kept in ~/.cargo/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/web/dicomcheck.html}

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" != "$version" ]; then
  # --locked keeps the CLI's own lock file; a registry mirror missing one of its pinned versions falls back to
  # the newest compatible ones (the CLI's version stays exact either way).
  cargo install wasm-bindgen-cli --version "=$version" --locked ||
    cargo install wasm-bindgen-cli --version "=$version"
fi

cargo build -p dicomcheck-web --profile web --target wasm32-unknown-unknown
glue=target/web/glue
rm -rf "$glue"
wasm-bindgen --target no-modules --no-typescript --out-dir "$glue" \
  target/wasm32-unknown-unknown/web/dicomcheck_web.wasm
if command -v wasm-opt >/dev/null 2>&1; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$glue/dicomcheck_web_bg.wasm" -o "$glue/dicomcheck_web_bg.wasm"
fi

mkdir -p "$(dirname "$out")"
python3 - "$glue" "$out" <<'EOF'
import base64, pathlib, sys
glue, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
web = pathlib.Path("web")
worker = (glue / "dicomcheck_web.js").read_text() + "\n" + (web / "worker.js").read_text()
page = (web / "page.js").read_text()
for name, text in (("worker", worker), ("page", page)):
    # Inline scripts end at the first "</script"; neither may contain one.
    if "</script" in text.lower():
        sys.exit(f"build-web: the {name} script contains </script")
wasm = base64.b64encode((glue / "dicomcheck_web_bg.wasm").read_bytes()).decode()
html = (web / "page.html").read_text()
for marker, text in (("/*STYLE*/", (web / "page.css").read_text()), ("/*WASM*/", wasm),
                     ("/*WORKER*/", worker), ("/*PAGE*/", page)):
    if html.count(marker) != 1:
        sys.exit(f"build-web: {marker} must appear once in web/page.html")
    html = html.replace(marker, text)
out.write_text(html)
print(f"{out}: {out.stat().st_size} bytes ({len(wasm) * 3 // 4} bytes of WebAssembly)")
EOF
