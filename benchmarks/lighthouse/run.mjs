// One Lighthouse navigation (mobile profile, the default config) in a fresh headless Chromium, for
// benchmarks/lighthouse.py. Reads a job as JSON on stdin:
//   {"modules": ".tools/lighthouse", "chrome": "/usr/bin/chromium", "url": "http://localhost:3000/apply",
//    "cookies": [{"name": "...", "value": "...", "domain": "localhost", ...}], "token": "<Reflex tab token>",
//    "report": "/tmp/x.json"}
// `cookies` go into the browser's cookie jar: Lighthouse's --extra-headers would not do, Chromium
// leaves them out of the event socket's handshake, so the app would never see the session. `token`
// is the tab's sessionStorage token, so a logged-in page is loaded as a reload of the tab that
// reached it (a page such as /apply/check exists only in that tab's state).
// Prints the report's figures as one JSON line; the whole report goes to `report`.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString());

// The packages live in the tools folder, not beside this script.
const require = createRequire(join(job.modules, "package.json"));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);
const lighthouse = (await load("lighthouse")).default;
const puppeteer = (await load("puppeteer-core")).default;

const browser = await puppeteer.launch({
  executablePath: job.chrome,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  if (job.cookies?.length) await browser.setCookie(...job.cookies);
  const page = await browser.newPage();
  if (job.token) {
    const origin = new URL(job.url).origin;
    await page.evaluateOnNewDocument((token, origin) => {
      if (location.origin === origin) sessionStorage.setItem("token", token);
    }, job.token, origin);
  }
  const flags = { output: "json", logLevel: "error", onlyCategories: ["accessibility", "performance"] };
  const result = await lighthouse(job.url, flags, undefined, page);
  const lhr = result.lhr;
  writeFileSync(job.report, result.report);
  const failing = Object.values(lhr.categories.accessibility.auditRefs)
    .map((ref) => lhr.audits[ref.id])
    .filter((audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode !== "notApplicable")
    .map((audit) => ({ id: audit.id, title: audit.title,
                       items: (audit.details?.items || []).slice(0, 5).map((i) => i.node?.selector || i.node?.snippet || "") }));
  console.log(JSON.stringify({
    requested: lhr.requestedUrl,
    final: lhr.finalDisplayedUrl,
    landed: page.url(),  // where the page is after the run: a lost session or tab state redirects
    accessibility: lhr.categories.accessibility.score,
    performance: lhr.categories.performance.score,
    tbt_ms: lhr.audits["total-blocking-time"].numericValue,
    bytes: lhr.audits["total-byte-weight"].numericValue,
    lcp_ms: lhr.audits["largest-contentful-paint"].numericValue,
    cls: lhr.audits["cumulative-layout-shift"].numericValue,
    runtime_error: lhr.runtimeError?.message || null,
    warnings: lhr.runWarnings,
    failing,
  }));
} finally {
  await browser.close();
}
