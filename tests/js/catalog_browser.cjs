// Loads the catalog page in headless Chromium and reports what a reader would see.
// Usage: node catalog_browser.cjs <spec.json>;
// spec: {chromium, url, userDataDir, screenshots: [{path, fragment}], searches: [query], link: {from, to}}.
// Prints one JSON line with the observations; the Python tests judge them.
"use strict";
const fs = require("fs");
const { chromium } = require("playwright-core");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function visibleIds(page, selector) {
  return page.$$eval(selector, (els) => els.filter((el) => el.checkVisibility()).map((el) => el.id));
}

async function snapshot(page) {
  return {
    topics: await visibleIds(page, "section.topic"),
    events: await visibleIds(page, "article.event"),
    types: await visibleIds(page, "article.type, article.enum"),
    rows: await page.$$eval("tr[data-search]", (rows) => rows.filter((r) => r.checkVisibility()).length),
    toc: await page.$$eval("nav li[data-target]", (lis) => lis.filter((li) => li.checkVisibility()).length),
  };
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const context = await chromium.launchPersistentContext(spec.userDataDir, {
    executablePath: spec.chromium,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  const report = { consoleErrors: [], pageErrors: [], requests: [] };
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (msg) => { if (msg.type() === "error") report.consoleErrors.push(msg.text()); });
    page.on("pageerror", (error) => report.pageErrors.push(String(error)));
    page.on("request", (request) => report.requests.push(request.url().slice(0, 200)));
    await page.goto(spec.url, { waitUntil: "load" });
    report.title = await page.title();
    report.initial = await snapshot(page);
    report.pwned = await page.evaluate(() => window.__pwned === undefined ? null : String(window.__pwned));
    report.injectedElements = await page.$$eval("main img, main script, main iframe", (els) => els.length);
    for (const shot of spec.screenshots || []) {
      // Scroll to the entry named by the fragment (none: the top), as a reader following a link would.
      await page.evaluate((fragment) => { location.hash = fragment || ""; if (!fragment) { window.scrollTo(0, 0); } }, shot.fragment);
      await page.screenshot({ path: shot.path });
    }
    report.searches = {};
    for (const query of spec.searches || []) {
      await page.fill("#search", query);
      report.searches[query] = await snapshot(page);
    }
    await page.fill("#search", "");
    report.cleared = await snapshot(page);
    if (spec.link) {
      const link = page.locator(`[id="${spec.link.from}"] a.type-link[href="#${spec.link.to}"]`).first();
      await link.click();
      report.link = await page.evaluate((target) => {
        const el = document.getElementById(target);
        const box = el ? el.getBoundingClientRect() : null;
        return { hash: decodeURIComponent(location.hash), found: !!el, top: box ? box.top : null, height: window.innerHeight };
      }, spec.link.to);
    }
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(report) + "\n");
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ fatal: String(error && error.stack ? error.stack : error) }) + "\n");
  process.exitCode = 2;
});
