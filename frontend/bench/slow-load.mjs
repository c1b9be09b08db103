// The page on a slow phone and a slow network: the time from the start of the navigation until
// the number field can take a digit (present and enabled, seen by the page itself on each frame,
// so the figure carries none of the driver's polling; a digit is then typed to show it takes it), in Chromium (the browser suite's) with 400 kbit/s each way,
// 400 ms of round trip and the CPU slowed four times. Each build given (`--dist DIR`, again for
// another: a before and an after) is served as CloudFront serves the page (gzip from 1,000 bytes;
// `/config.json` an empty `{}`, `/api/*` a 404), so no server of ours runs; runs alternate
// between the builds, each in a fresh browser context (nothing cached).
//
//   node bench/slow-load.mjs [--dist DIR]... [--runs N | --quick]

import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { MOBILE, launch } from "../e2e/harness.mjs";

const NETWORK = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const CPU_SLOWDOWN = 4;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const { values } = parseArgs({
  options: {
    dist: { type: "string", multiple: true },
    runs: { type: "string", default: "5" },
    quick: { type: "boolean", default: false },
  },
});
const runs = values.quick ? 1 : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a whole number of runs, not ${values.runs}`);
const dists = (values.dist ?? [fileURLToPath(new URL("../dist", import.meta.url))]).map((d) => resolve(d));

/** Serves `dist` on a free loopback port: its files (gzipped when asked for and 1,000 bytes or
 *  more, compressed once), any other path as index.html; resolves with its URL and a stop(). */
function serve(dist) {
  statSync(resolve(dist, "index.html"));
  const files = new Map();
  const file = (path) => {
    if (!files.has(path)) {
      const body = readFileSync(path);
      files.set(path, { body, gzipped: body.length >= 1000 ? gzipSync(body, { level: 9 }) : null });
    }
    return files.get(path);
  };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://page").pathname);
    const json = (status, body) => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(JSON.stringify(body));
    };
    if (path === "/config.json") return json(200, {});
    if (path.startsWith("/api/")) return json(404, { code: "not_found", error: "no API here" });
    let target = resolve(dist, `.${path}`);
    if (!target.startsWith(dist + sep) || !statSync(target, { throwIfNoEntry: false })?.isFile()) {
      target = resolve(dist, "index.html");
    }
    const { body, gzipped } = file(target);
    const gzip = gzipped && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "");
    response.writeHead(200, {
      "content-type": TYPES[extname(target)] ?? "application/octet-stream",
      "cache-control": "no-store",
      vary: "accept-encoding",
      ...(gzip && { "content-encoding": "gzip" }),
    });
    response.end(gzip ? gzipped : body);
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () =>
      done({ url: `http://127.0.0.1:${server.address().port}/`, stop: () => server.close() }),
    ),
  );
}

/** One load of `url` under the throttling: when the number field could take a digit, when it
 *  showed a typed one, and the first contentful paint, in milliseconds from the start of the
 *  navigation. */
async function load(browser, url) {
  const context = await browser.newContext({ viewport: MOBILE, locale: "en-US" });
  context.setDefaultTimeout(120_000);
  // The moment the page has handled a keystroke in the number field: after its own listeners
  // (this one is on the window) and the render they queue (a task later).
  await context.addInitScript(() => {
    // The first frame on which the field is there and enabled: when a person could type.
    const watch = () => {
      const field = document.getElementById("phone");
      if (field && !field.disabled) window.readyAt ??= performance.now();
      else requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    window.addEventListener("input", (event) => {
      if (event.target.id !== "phone") return;
      setTimeout(() => {
        if (/4/.test(event.target.value)) window.typedAt ??= performance.now();
      });
    });
  });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", NETWORK);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
    await page.goto(url, { waitUntil: "commit" });
    // As a person would: a digit into the field as soon as it takes one (visible and enabled).
    await page.getByLabel("Phone number").pressSequentially("4");
    await page.waitForFunction(() => window.typedAt !== undefined);
    return await page.evaluate(() => ({
      ready: window.readyAt,
      typed: window.typedAt,
      paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    }));
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (x) => `${Math.round(x)} ms`;

const servers = await Promise.all(dists.map(serve));
const browser = await launch();
const results = dists.map(() => []);
try {
  for (let run = 0; run < runs; run++) {
    for (const [i, server] of servers.entries()) results[i].push(await load(browser, server.url));
  }
} finally {
  await browser.close();
  for (const server of servers) server.stop();
}

console.log(
  `time until the number field can take a digit: ${NETWORK.downloadThroughput * 0.008} kbit/s down, ` +
    `${NETWORK.uploadThroughput * 0.008} kbit/s up, ${NETWORK.latency} ms round trip, CPU ${CPU_SLOWDOWN}x slower`,
);
const medians = results.map((r) => median(r.map((x) => x.ready)));
for (const [i, dist] of dists.entries()) {
  const ratio = i > 0 ? `, ${(medians[i] / medians[0]).toFixed(2)}x the first` : "";
  console.log(`${dist}: median ${ms(medians[i])}${ratio}`);
  const runs = results[i].map((x) => `${ms(x.ready)} (typed ${ms(x.typed)}, first paint ${ms(x.paint)})`);
  console.log(`  runs: ${runs.join(", ")}`);
}
