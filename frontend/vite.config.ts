/// <reference types="vitest/config" />
import { defineConfig } from "vite";

export default defineConfig({
  resolve: {
    // The page is written against React's API and runs on Preact's (preact/compat): ~8 kB
    // gzipped against React's ~67. An alias also covers the paths below it (`react/jsx-runtime`,
    // `react-dom/client`).
    alias: { react: "preact/compat", "react-dom": "preact/compat" },
  },
  build: {
    // No polyfill for `<link rel="modulepreload">` (0.25 kB): the page has no such link, and the
    // files it imports later (a catalogue, the simulated phone) have nothing to preload.
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        // Each language's catalogue is a file of its own, named for the budget check
        // (scripts/bundle-size.mjs): `lang-es-….js`.
        chunkFileNames: (chunk) =>
          chunk.facadeModuleId?.includes("/src/i18n/") ? "assets/lang-[name]-[hash].js" : "assets/[name]-[hash].js",
      },
    },
  },
  // `npm run dev` serves the page with hot reload and sends /api to the local server (`make dev`).
  server: {
    proxy: { "/api": "http://localhost:3000" },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test-setup.ts"],
    // Testing Library's renderer as an ES module run through Vite, so that the alias above gives
    // it Preact too (its CommonJS main would `require` React itself).
    alias: [
      { find: /^@testing-library\/react$/, replacement: "@testing-library/react/dist/@testing-library/react.esm.js" },
    ],
    server: { deps: { inline: [/@testing-library\/react/] } },
    // The files share one environment (each test cleans up after itself: test-setup.ts and the
    // modules' reset functions): a run takes ~2.5 s of CPU instead of ~8 s.
    pool: "threads",
    isolate: false,
    // A bound on a hung test, not a speed target: typing a number into jsdom took 5.5 s once with
    // the test command's other checks on both cores (Vitest's default bound is 5 s).
    testTimeout: 30_000,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
