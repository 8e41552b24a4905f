// The check, off the page's thread. Appended to the wasm-bindgen glue (`--target no-modules`, which defines the
// global `wasm_bindgen`) and started from a Blob URL, so it works from file:// and makes no request.
//
// Messages in:  {wasm: ArrayBuffer, kind: "folder"|"file", root, files: [File], paths: [string], name, dob, date}
// Messages out: {progress: 0..1} while reading, then {ok: {json, html, verdict}} or {error: message}.
"use strict";

let held = [];
let total = 0;
let done = 0;
let lastPost = 0;
const reader = new FileReaderSync();
// Small reads (an archive's directory is parsed a few bytes at a time) are served from one block read ahead:
// each FileReaderSync call costs far more than copying.
const BLOCK = 64 * 1024;
let cache = { index: -1, start: 0, bytes: new Uint8Array(0) };

function slice(file, start, end) {
  try {
    return new Uint8Array(reader.readAsArrayBuffer(file.slice(start, end)));
  } catch (e) {
    throw String((e && e.message) || e);
  }
}

// The bytes the Rust side asks for: one slice of one file, never the whole file.
self.dicomcheckFiles = {
  readAt(index, offset, buf) {
    const file = held[index];
    if (!file) throw "no such file";
    const end = Math.min(file.size, offset + buf.length);
    if (offset >= end) return 0;
    let bytes;
    if (end - offset >= BLOCK) {
      bytes = slice(file, offset, end);
    } else {
      const cached = cache.index === index && offset >= cache.start && end <= cache.start + cache.bytes.length;
      if (!cached) cache = { index, start: offset, bytes: slice(file, offset, Math.min(file.size, offset + BLOCK)) };
      bytes = cache.bytes.subarray(offset - cache.start, end - cache.start);
    }
    buf.set(bytes);
    // Folders are read file by file in order, archives front to back: the furthest point read is the progress.
    const reached = held.length > 1 ? index + 1 : end;
    if (reached > done) done = reached;
    const now = Date.now();
    if (now - lastPost > 100) {
      lastPost = now;
      self.postMessage({ progress: total ? Math.min(done / total, 1) : 0 });
    }
    return bytes.length;
  },
};

let ready = null;

self.onmessage = async (event) => {
  const job = event.data;
  try {
    if (!ready) ready = wasm_bindgen({ module_or_path: job.wasm });
    await ready;
    held = job.files;
    done = 0;
    let checked;
    if (job.kind === "folder") {
      total = held.length;
      checked = wasm_bindgen.checkFolder(job.root, job.paths, held.map((f) => f.size), job.name, job.dob, job.date);
    } else {
      total = held[0].size;
      checked = wasm_bindgen.checkFile(job.root, held[0].size, job.name, job.dob, job.date);
    }
    self.postMessage({ ok: { json: checked.json, html: checked.html, verdict: checked.verdict } });
    checked.free();
  } catch (e) {
    self.postMessage({ error: String((e && e.message) || e) });
  } finally {
    held = [];
    cache = { index: -1, start: 0, bytes: new Uint8Array(0) };
  }
};
