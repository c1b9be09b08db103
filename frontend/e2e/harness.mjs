// Starts `otp-local` in simulator mode with the built page, and Debian's Chromium through
// playwright-core (Playwright's own browser download is not used).

import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");
export const screenshots = resolve(here, "screenshots");
mkdirSync(screenshots, { recursive: true });

/** The first channel of the hosted page's ladder the suite runs with (`OTP_CHANNELS`, which
 *  otp-local reads from the environment): SMS, the default, or WhatsApp in the suite's
 *  WhatsApp-first run. */
export const FIRST_CHANNEL = (process.env.OTP_CHANNELS ?? "sms").split(",")[0];

/** What an ID token's `amr` says of a code sent by each channel (RFC 8176's `sms` and `tel`;
 *  `otp` for WhatsApp, for which it registers none). */
export const AMR = { sms: "sms", voice: "tel", whatsapp: "otp" };

/** Ports handed out by freePort in this process, never handed out twice. */
const handedOut = new Set();

/** A loopback port for a server that must be named before it starts (an example application,
 *  whose callback address is registered with the service first). It is taken from below the
 *  kernel's ephemeral range (32768 and up on Linux, 49152 and up elsewhere): a port from that
 *  range, free when checked, can be taken before the server binds it by any process binding
 *  port 0 or opening a connection, as the other suites and checks beside it keep doing. */
export async function freePort() {
  for (;;) {
    const port = randomInt(20_000, 32_768);
    if (handedOut.has(port)) continue;
    const free = await new Promise((done) => {
      const server = createServer();
      server.once("error", () => done(false));
      server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
    });
    if (free) return (handedOut.add(port), port);
  }
}

/** Starts the local server with `env` on a port it picks itself (another process cannot take it
 *  between a check and the bind); resolves with its URL and a stop(). */
export async function startServer(env = {}) {
  const binary = resolve(process.env.CARGO_TARGET_DIR ?? resolve(root, "target"), "debug/otp-local");
  const child = spawn(binary, [], {
    cwd: root,
    env: {
      ...process.env,
      PORT: "0",
      FRONTEND_DIST: resolve(root, "frontend/dist"),
      RUST_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let port;
  for (let i = 0; i < 300 && !port; i++) {
    if (child.exitCode !== null) throw new Error(`otp-local exited:\n${output}`);
    port = output.match(/running on http:\/\/localhost:(\d+)/)?.[1];
    if (!port) await new Promise((r) => setTimeout(r, 50));
  }
  if (!port) throw new Error(`otp-local did not say where it listens:\n${output}`);
  const url = `http://127.0.0.1:${port}`;
  /** The simulators' messages to `e164`, oldest first. */
  const messages = async (e164) => (await fetch(`${url}/api/dev/messages?to=${encodeURIComponent(e164)}`)).json();
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise((done) => (child.exitCode !== null ? done() : (child.once("exit", done), child.kill("SIGINT")))),
    messages,
    /** The newest code the simulator sent to `e164`. */
    code: async (e164) => (await messages(e164)).at(-1)?.code,
    fault: (fault) =>
      fetch(`${url}/api/dev/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(fault),
      }),
    advance: (seconds) =>
      fetch(`${url}/api/dev/clock`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ advanceSeconds: seconds }),
      }),
  };
}

/**
 * Debian's build of Chromium's headless shell: the same Blink and V8 as `/usr/bin/chromium`
 * without the desktop browser around them, and what Playwright itself runs for headless tests.
 * The suite takes half the CPU it took with the full browser (docs/develop/testing.md).
 */
export const HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell";

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? HEADLESS_SHELL,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const MOBILE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
