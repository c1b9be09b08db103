// Prints the gzipped size of the built page's files, and what a person downloads in each language:
// the page's JS and that language's catalogue (the other catalogues, and the simulated phone that
// only the local server's page loads, are never fetched). Fails when a language is over budget.

import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

// Was 112.5 kB with React (react and react-dom ~67 kB of it); on Preact (preact/compat, ~8 kB)
// the page is 52.8-53.3 kB with its catalogue, so the next dependency of any size is seen.
const BUDGET_JS_KB = 60;
const dir = new URL("../dist/assets/", import.meta.url);
const kb = (bytes) => (bytes / 1000).toFixed(2);
let page = 0;
let css = 0;
const languages = {};
for (const name of readdirSync(dir).sort()) {
  const gzipped = gzipSync(readFileSync(new URL(name, dir)), { level: 9 }).length;
  console.log(`  ${name.padEnd(36)} ${kb(gzipped)} kB gzipped`);
  const language = /^lang-([a-z]+)-.*\.js$/.exec(name)?.[1];
  if (language) languages[language] = gzipped;
  else if (name.endsWith(".css")) css += gzipped;
  else if (name.endsWith(".js") && !name.startsWith("SimulatedPhone-")) page += gzipped;
}
if (Object.keys(languages).length === 0) {
  console.error("no language catalogues (lang-*.js) in the build");
  process.exit(1);
}
const totals = Object.entries(languages).map(([language, size]) => [language, page + size]);
console.log(
  `page: JS ${kb(page)} kB + one language ${totals.map(([l, t]) => `${l} ${kb(t)}`).join(", ")} kB; ` +
    `CSS ${kb(css)} kB gzipped (JS budget ${BUDGET_JS_KB} kB)`,
);
const over = totals.filter(([, total]) => total > BUDGET_JS_KB * 1000);
if (over.length > 0) {
  console.error(`over the ${BUDGET_JS_KB} kB JS budget in: ${over.map(([l]) => l).join(", ")}`);
  process.exit(1);
}
