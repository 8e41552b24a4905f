// The page: pick or drop the disc, type the passport name, check in a worker, show and save the report.
// Everything stays on this computer: the wasm and the worker's code are inside this file, nothing is fetched.
"use strict";

const TEXT = {
  en: {
    title: "Check your imaging disc",
    lead: "Checks that the disc or USB stick from the hospital holds your scans, readable, complete and under your passport name. Nothing leaves this computer.",
    step1: "1. The disc",
    pickFolder: "Choose the disc's folder",
    pickFile: "or a .zip / .iso file",
    drop: "…or drop the disc's folder, a .zip or an .iso here",
    step2: "2. You",
    name: "Name as in the passport (family name first)",
    namePlaceholder: "SMITH^JOHN",
    dob: "Birth date (optional)",
    date: "Exam date (optional)",
    check: "Check the disc",
    reading: "Reading the disc…",
    chosenFolder: (n, root) => `${root}: ${n} files`,
    chosenFile: (name, mb) => `${name} (${mb} MB)`,
    nothing: "Choose the disc's folder or a .zip/.iso first.",
    noName: "Type the name as it is written in the passport.",
    pass: "PASS — the disc holds what it should.",
    fail: "FAIL — something must be fixed before you leave. Show the note below to the staff.",
    error: "The check could not run:",
    save: "Save the report",
    json: "Technical details (JSON)",
    done: (s) => `Checked in ${s} s.`,
    privacy: "Runs offline in this browser; no file is uploaded.",
  },
  zh: {
    title: "检查您的影像光盘",
    lead: "检查医院给您的光盘或U盘：影像是否齐全、可读，姓名是否与护照一致。所有文件只在本机读取，不会上传。",
    step1: "1. 光盘",
    pickFolder: "选择光盘文件夹",
    pickFile: "或 .zip / .iso 文件",
    drop: "……或把光盘文件夹、.zip 或 .iso 拖到这里",
    step2: "2. 您的信息",
    name: "护照上的姓名（姓在前）",
    namePlaceholder: "SMITH^JOHN",
    dob: "出生日期（可选）",
    date: "检查日期（可选）",
    check: "开始检查",
    reading: "正在读取光盘……",
    chosenFolder: (n, root) => `${root}：${n} 个文件`,
    chosenFile: (name, mb) => `${name}（${mb} MB）`,
    nothing: "请先选择光盘文件夹或 .zip/.iso 文件。",
    noName: "请输入护照上的姓名。",
    pass: "通过 — 光盘内容完整。",
    fail: "不通过 — 离开前需要处理。请把下面的说明给工作人员看。",
    error: "无法完成检查：",
    save: "保存报告",
    json: "技术信息（JSON）",
    done: (s) => `用时 ${s} 秒。`,
    privacy: "在本浏览器中离线运行，不上传任何文件。",
  },
};

let lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
let chosen = null; // {kind: "folder"|"file", root, files: [File], paths: [string]}
let worker = null;
let wasmSent = false;
let lastHtml = "";
let started = 0;

const $ = (id) => document.getElementById(id);

function t(key, ...args) {
  const value = TEXT[lang][key];
  return typeof value === "function" ? value(...args) : value;
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("name").placeholder = t("namePlaceholder");
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  showChosen();
  showResult();
}

// The verdict line and timing of the last check, in the page's language.
function showResult() {
  const { verdict, seconds } = document.body.dataset;
  if (verdict !== "pass" && verdict !== "fail") return;
  $("verdict").className = "verdict " + verdict;
  $("verdict").textContent = t(verdict);
  $("timing").textContent = t("done", seconds);
}

function showChosen() {
  if (!chosen) return;
  $("chosen").textContent =
    chosen.kind === "folder"
      ? t("chosenFolder", chosen.files.length, chosen.root)
      : t("chosenFile", chosen.root, (chosen.files[0].size / 1e6).toFixed(1));
}

// A folder's files as the browser lists them ("disc/DICOM/IM1"): the first component names the folder.
function chooseFolder(files, paths) {
  if (!files.length) return;
  const first = paths[0].split("/")[0];
  const shared = paths.every((p) => p.split("/")[0] === first && p.includes("/"));
  chosen = {
    kind: "folder",
    root: shared ? first : "",
    files,
    paths: shared ? paths.map((p) => p.slice(first.length + 1)) : paths,
  };
  showChosen();
}

function chooseFile(file) {
  chosen = { kind: "file", root: file.name, files: [file], paths: [file.name] };
  showChosen();
}

// Every file under a dropped folder, with its path (directory readers return their entries in batches).
async function collect(entry, prefix, files, paths) {
  if (entry.isFile) {
    const file = await new Promise((ok, fail) => entry.file(ok, fail));
    files.push(file);
    paths.push(prefix + entry.name);
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) break;
    for (const child of batch) await collect(child, prefix + entry.name + "/", files, paths);
  }
}

async function dropped(event) {
  event.preventDefault();
  $("drop").classList.remove("over");
  const items = [...event.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (items.length === 1 && items[0].isFile) {
    chooseFile(event.dataTransfer.files[0]);
    return;
  }
  const files = [];
  const paths = [];
  for (const entry of items) await collect(entry, "", files, paths);
  chooseFolder(files, paths);
}

function wasmBytes() {
  const text = $("wasm").textContent.trim();
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function startWorker() {
  const source = $("worker-source").textContent;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  worker = new Worker(url);
  URL.revokeObjectURL(url);
  wasmSent = false;
  worker.onmessage = (event) => {
    const msg = event.data;
    if ("progress" in msg) {
      $("progress").value = msg.progress;
    } else if (msg.ok) {
      finished(msg.ok);
    } else {
      failed(msg.error);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    failed(event.message || "worker error");
  };
}

function check() {
  $("message").textContent = "";
  const name = $("name").value.trim();
  if (!chosen) return say(t("nothing"));
  if (!name) return say(t("noName"));
  delete document.body.dataset.verdict;
  $("result").hidden = true;
  $("check").disabled = true;
  $("progress").value = 0;
  $("progress-row").hidden = false;
  if (!worker) startWorker();
  const job = {
    kind: chosen.kind,
    root: chosen.root,
    files: chosen.files,
    paths: chosen.paths,
    name,
    dob: $("dob").value,
    date: $("date").value,
  };
  if (!wasmSent) {
    job.wasm = wasmBytes();
    wasmSent = true;
  }
  started = performance.now();
  worker.postMessage(job);
}

function say(text) {
  $("message").textContent = text;
}

function finished(result) {
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  $("check").disabled = false;
  $("progress").value = 1;
  $("progress-row").hidden = true;
  lastHtml = result.html;
  $("report-json").textContent = result.json;
  const frame = $("report");
  frame.onload = fitReport;
  frame.srcdoc = result.html;
  $("result").hidden = false;
  document.body.dataset.seconds = seconds;
  document.body.dataset.verdict = result.verdict;
  showResult();
}

// The report's own page, as tall as its content at the window's width (a phone turned, a window resized).
function fitReport() {
  const frame = $("report");
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  frame.style.height = "0";
  frame.style.height = doc.documentElement.scrollHeight + 4 + "px";
}

function failed(message) {
  $("check").disabled = false;
  $("progress-row").hidden = true;
  say(t("error") + " " + message);
  document.body.dataset.verdict = "error";
  // A panic leaves the WebAssembly instance unusable: the next check starts a fresh worker.
  if (worker) worker.terminate();
  worker = null;
}

function save() {
  const url = URL.createObjectURL(new Blob([lastHtml], { type: "text/html" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "dicomcheck-report.html";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

$("disc").addEventListener("change", (e) => {
  const files = [...e.target.files];
  chooseFolder(files, files.map((f) => f.webkitRelativePath || f.name));
});
$("archive").addEventListener("change", (e) => {
  if (e.target.files.length) chooseFile(e.target.files[0]);
});
$("drop").addEventListener("dragover", (e) => {
  e.preventDefault();
  $("drop").classList.add("over");
});
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", dropped);
$("check").addEventListener("click", check);
window.addEventListener("resize", fitReport);
$("save").addEventListener("click", save);
for (const b of document.querySelectorAll("[data-lang]")) {
  b.addEventListener("click", () => {
    lang = b.dataset.lang;
    applyLanguage();
  });
}
applyLanguage();
