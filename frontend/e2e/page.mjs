// What the browser suites share: one Chromium per test file, and the steps a person takes.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before } from "node:test";
import { FIRST_CHANNEL, MOBILE, launch, screenshots } from "./harness.mjs";

let chromium;
/** The file's Chromium, started before its first test and closed after its last. */
export const browser = () => chromium;
before(async () => (chromium = await launch()));
after(async () => chromium?.close());

/** A browser context whose waits are bounded for a hung test, not tuned: the suite runs beside
 *  the Rust tests, the benchmark and the attack replay on a machine that may be shared, where a
 *  step that takes milliseconds alone can take many seconds. */
export async function newContext(options) {
  const context = await browser().newContext(options);
  context.setDefaultTimeout(90_000);
  return context;
}

/** A fresh context on the page (in `locale`, the browser's language, and `colorScheme`),
 *  recording every Content-Security-Policy violation; `axe` lets axe-core in (it is injected as
 *  an inline script, which the page's policy rightly refuses); `clock` gives the page Playwright's
 *  clock, which `page.clock.fastForward` moves on (a countdown's minute in no time). */
export async function open(
  server,
  viewport = MOBILE,
  { locale = "en-US", colorScheme = "light", axe = false, clock = false } = {},
) {
  const context = await newContext({ viewport, locale, colorScheme, bypassCSP: axe });
  if (clock) await context.clock.install();
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  await page.goto(server.url);
  return page;
}

/** The page ran under otp-local's Content-Security-Policy (the deployed one) and broke none of it. */
export async function assertNoCspViolations(page) {
  const response = await page.request.get(page.url());
  assert.match(response.headers()["content-security-policy"] ?? "", /default-src 'none'; script-src 'self'/);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], "Content-Security-Policy violations");
}

/** The phone step's button that sends by the ladder's first channel (named in the page's
 *  language by `names`). */
export const sendButton = (page, names = { sms: "Send code", whatsapp: "Send by WhatsApp" }) =>
  page.getByRole("button", { name: FIRST_CHANNEL === "whatsapp" ? names.whatsapp : names.sms });

export async function sendCode(page, national = "415 555 2671") {
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel("Phone number").fill(national);
  await sendButton(page).click();
}

/** Waits for the code step's input (labelled `label`) after a send; where the page says why
 *  there is none instead, fails with what it said. */
export async function codeStep(page, label = "6-digit code") {
  const code = page.getByLabel(label);
  const refused = page.locator("#phone-error:not(:empty)");
  await code.or(refused).first().waitFor();
  if (!(await code.isVisible())) assert.fail(`no code step: the page said "${await refused.textContent()}"`);
  return code;
}

/** Sends a code to +1 415 555 `lastFour` and waits for the code step: its input and the code sent. */
export async function toCodeStep(page, server, lastFour) {
  await sendCode(page, `415 555 ${lastFour}`);
  const code = await codeStep(page);
  return { code, right: await server.code(`+1415555${lastFour}`) };
}

/** A code that is not `right`. */
export const wrongCode = (right) => (right === "000000" ? "111111" : "000000");

export const shot = (page, name) => page.screenshot({ path: `${screenshots}/${name}.png` });

/** axe-core's WCAG A/AA rules (contrast included) on the page as it is now: no violations. */
export async function assertAccessible(page, where) {
  // Once per document: axe-core is half a megabyte of script to parse.
  if (!(await page.evaluate(() => "axe" in window))) {
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core") });
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `${where}: accessibility violations`);
}

export const noSidewaysScroll = async (page) =>
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    "no sideways scrolling",
  );
