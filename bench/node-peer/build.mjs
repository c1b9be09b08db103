// Bundles each peer function as AWS recommends for Node.js Lambdas: esbuild, one minified ES
// module with the AWS SDK v3 included (not the runtime's copy), for Node 20; and the runtime loop
// beside them (what Lambda's managed runtime provides, so not in a function's zip).

import { build } from "esbuild";

const out = process.argv[2] ?? "dist";
const common = { bundle: true, minify: true, platform: "node", target: "node20", format: "esm", legalComments: "none" };
// Bundled CommonJS (the SDKs) may call require() for Node's own modules.
const banner = { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" };
for (const fn of ["request-otp", "verify-otp"]) {
  await build({ ...common, banner, entryPoints: [`src/${fn}.mjs`], outfile: `${out}/${fn}/index.mjs` });
}
await build({ ...common, entryPoints: ["src/runtime.mjs"], outfile: `${out}/runtime.mjs` });
