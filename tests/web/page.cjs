// The offline page in a real browser (Debian's Chromium through playwright-core, headless): it must give the
// command line's verdict and JSON on the sample disc, on a damaged copy and on a .zip of it, make no network
// request, and fail cleanly on a name it cannot use. Run by scripts/test.sh after the page is built:
//
//   node tests/web/page.cjs PAGE.html CLI-BINARY NODE_MODULES-DIR
//
// Screenshots of the result at desktop and phone width go to /tmp/dicomcheck-web-*.png.
"use strict";

const assert = require("node:assert/strict");
const { execFileSync, spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const [pagePath, cli, modules] = process.argv.slice(2).map((p) => path.resolve(p));
const { chromium } = require(path.join(modules, "playwright-core"));
const sample = path.resolve(__dirname, "../../fixtures/sample-disc");
const NAME = "SMITH^JOHN";

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

// The CLI's --json on `root`, and its exit code. `--quick`: the page checks the headers only (a browser starts no
// worker processes to decode images), so it is compared with the CLI's header-phase check.
function cliJson(root) {
  const run = spawnSync(cli, [root, "--name", NAME, "--json", "--quick"], { encoding: "utf8" });
  assert.ok(run.status === 0 || run.status === 1, `cli exit ${run.status}: ${run.stderr}`);
  return { status: run.status, report: JSON.parse(run.stdout) };
}

// A report without what differs between two runs of the same check: when, how long, and the root's name.
function comparable(report) {
  const { root, elapsed_seconds, checked_at, ...rest } = report;
  assert.equal(typeof root, "string");
  assert.equal(typeof elapsed_seconds, "number");
  assert.match(checked_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  return rest;
}

function makeZip(dir, zipPath) {
  execFileSync("python3", [
    "-c",
    `import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            full = os.path.join(folder, name)
            z.write(full, os.path.relpath(full, root))`,
    dir,
    zipPath,
  ]);
}

async function check(page, input, target, name = NAME) {
  await page.evaluate(() => delete document.body.dataset.verdict);
  await page.setInputFiles(input, target);
  await page.fill("#name", name);
  await page.click("#check");
  await page.waitForFunction(() => document.body.dataset.verdict, null, { timeout: 120000 });
  return page.evaluate(() => ({
    verdict: document.body.dataset.verdict,
    json: document.getElementById("report-json").textContent,
    message: document.getElementById("message").textContent,
    seconds: Number(document.body.dataset.seconds),
  }));
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dicomcheck-web-"));
  const good = path.join(work, "sample-disc");
  copyTree(sample, good);
  // The damaged copy: one image cut short, one image the DICOMDIR lists gone.
  const damaged = path.join(work, "damaged-disc");
  copyTree(sample, damaged);
  const series = path.join(damaged, "DICOM/ST000002/SE000002");
  const cut = path.join(series, "IM000005");
  fs.truncateSync(cut, Math.floor(fs.statSync(cut).size / 2));
  fs.rmSync(path.join(series, "IM000009"));
  const zip = path.join(work, "sample-disc.zip");
  makeZip(good, zip);
  const iso = path.join(work, "sample-disc.iso");
  execFileSync("genisoimage", ["-quiet", "-J", "-R", "-o", iso, good]);

  const expected = {
    good: cliJson(good),
    damaged: cliJson(damaged),
    zip: cliJson(zip),
    iso: cliJson(iso),
  };
  assert.equal(expected.good.status, 0);
  assert.equal(expected.damaged.status, 1);
  assert.equal(expected.zip.status, 0);
  assert.equal(expected.iso.status, 0);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "dicomcheck-web-profile-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
  });
  const requests = [];
  browser.on("request", (r) => requests.push(r.url()));
  // Anything but the page itself, its blob: worker and data: URLs would be a request leaving the page: refused
  // here, and counted by the assertion below.
  await browser.route(/^(?!file:|blob:|data:)/, (route) => route.abort());
  const page = browser.pages()[0] || (await browser.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const pageUrl = "file://" + pagePath;
  await page.goto(pageUrl);

  const results = {};
  for (const [key, input, target] of [
    ["good", "#disc", good],
    ["damaged", "#disc", damaged],
    ["zip", "#archive", zip],
    ["iso", "#archive", iso],
  ]) {
    const got = await check(page, input, target);
    const want = expected[key];
    assert.equal(got.message, "", `${key}: ${got.message}`);
    assert.equal(got.verdict, want.report.verdict, key);
    const report = JSON.parse(got.json);
    assert.deepEqual(report.findings, want.report.findings, `${key}: findings`);
    assert.deepEqual(comparable(report), comparable(want.report), `${key}: report`);
    results[key] = { verdict: got.verdict, findings: report.findings.length, seconds: got.seconds };
    if (key === "good") {
      assert.equal(report.root, "sample-disc");
      await page.screenshot({ path: "/tmp/dicomcheck-web-desktop.png", fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: "/tmp/dicomcheck-web-phone.png", fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    if (key === "damaged") {
      assert.ok(report.findings.some((f) => f.severity === "fail" && f.check === "integrity"));
      assert.ok(report.findings.some((f) => f.severity === "fail" && f.check === "dicomdir"));
      await page.click('[data-lang="zh"]');
      assert.equal(await page.textContent("#check"), "开始检查");
      assert.match(await page.textContent("#verdict"), /^不通过/);
      await page.screenshot({ path: "/tmp/dicomcheck-web-fail-zh.png", fullPage: true });
      await page.click('[data-lang="en"]');
      assert.equal(await page.textContent("#check"), "Check the disc");
    }
  }

  // A name the check cannot use ends in "error" with the reason, and the next check still works.
  const refused = await check(page, "#disc", good, "张三");
  assert.equal(refused.verdict, "error");
  assert.match(refused.message, /Latin letters/);
  assert.equal((await check(page, "#disc", good)).verdict, "pass");

  // The saved report is the CLI's HTML page.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
  const saved = fs.readFileSync(await download.path(), "utf8");
  assert.match(saved, /^<!DOCTYPE html>/);
  assert.match(saved, /SMITH\^JOHN/);

  // From a static web server: the same page, the same result, requests only for the page itself.
  const server = spawn("python3", ["-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", path.dirname(pagePath)], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    const port = await new Promise((ok, fail) => {
      server.stdout.on("data", (d) => {
        const m = /port (\d+)/.exec(String(d));
        if (m) ok(m[1]);
      });
      server.on("exit", () => fail(new Error("http.server ended")));
    });
    const served = `http://127.0.0.1:${port}/${path.basename(pagePath)}`;
    await browser.unroute(/^(?!file:|blob:|data:)/);
    await browser.route(/^(?!file:|blob:|data:)/, (route) =>
      route.request().url() === served ? route.continue() : route.abort(),
    );
    await page.goto(served);
    const got = await check(page, "#disc", good);
    assert.equal(got.verdict, "pass");
    assert.deepEqual(comparable(JSON.parse(got.json)), comparable(expected.good.report), "served: report");
    results.served = { verdict: got.verdict, findings: JSON.parse(got.json).findings.length, seconds: got.seconds };
  } finally {
    server.kill();
  }

  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });

  const outside = requests.filter((u) => !/^(file|blob|data):/.test(u) && !/^http:\/\/127\.0\.0\.1:\d+\/[^/]+\.html$/.test(u));
  assert.deepEqual(outside, [], "network requests");
  assert.deepEqual(errors, [], "page errors");
  const size = fs.statSync(pagePath).size;
  console.log(
    `web page: ${size} bytes; ${requests.length} requests, all for the page itself (${[...new Set(requests)].join(", ")}); ` +
      Object.entries(results)
        .map(([k, r]) => `${k}: ${r.verdict} (${r.findings} findings, ${r.seconds} s)`)
        .join("; "),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
