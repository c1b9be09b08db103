// The page in a real browser against the local server in simulator mode: what a person sees.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { DESKTOP, FIRST_CHANNEL, MOBILE, screenshots, startServer } from "./harness.mjs";
import {
  assertAccessible,
  assertNoCspViolations,
  codeStep,
  newContext,
  noSidewaysScroll,
  open,
  sendButton,
  sendCode,
  shot,
  toCodeStep,
  wrongCode,
} from "./page.mjs";

// Each test has its own context and its own number: they run at once, on one server.
describe("the verification page", { concurrency: 4 }, () => {
  let server;
  before(async () => (server = await startServer()));
  after(async () => server.stop());

  for (const [size, viewport] of [
    ["390x844", MOBILE],
    ["1280x800", DESKTOP],
  ]) {
    it(`verifies a number end to end (${size})`, async () => {
      const page = await open(server, viewport);
      const number = size === "390x844" ? "415 555 0101" : "415 555 0102";
      const e164 = size === "390x844" ? "+14155550101" : "+14155550102";
      await page.getByLabel("Phone number").waitFor();
      if (size === "1280x800") {
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType("navigation")[0];
          const fcp = performance.getEntriesByName("first-contentful-paint")[0];
          const interactive = performance.getEntriesByName("page-interactive")[0];
          return {
            interactiveMs: Math.round(interactive?.startTime ?? -1),
            domInteractiveMs: Math.round(nav.domInteractive),
            domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
            loadMs: Math.round(nav.loadEventEnd),
            firstContentfulPaintMs: Math.round(fcp?.startTime ?? -1),
          };
        });
        console.log(`page timing (Chromium, served by otp-local): ${JSON.stringify(timing)}`);
        writeFileSync(`${screenshots}/timing.json`, JSON.stringify(timing, null, 2));
      }
      await page.getByLabel("Country").selectOption("US");
      await page.getByLabel("Phone number").pressSequentially(number.replaceAll(" ", ""));
      assert.equal(
        await page.getByLabel("Phone number").inputValue(),
        `(${number.slice(0, 3)}) ${number.slice(4, 7)}-${number.slice(8)}`,
      );
      await shot(page, `1-phone-${size}`);
      await sendButton(page).click();
      await codeStep(page);
      await page.getByText(/Sent (by WhatsApp )?to \+1 415 \*\*\* 01/).waitFor();
      // In the browser's language (the context's en-US), as Vonage writes it.
      const sent = await server.messages(e164);
      assert.equal(sent[0].locale, "en-us");
      // The simulated phone shows the text in local mode.
      await page
        .getByRole("complementary", { name: "Simulated phone" })
        .getByRole("listitem")
        .filter({ hasText: e164 })
        .waitFor();
      await shot(page, `2-code-${size}`);
      // The code as a developer reads it: from the line the local server printed in its terminal
      // (Vonage's words, or the service's own where the second provider carried it; WhatsApp's
      // authentication template).
      const to = `to \\+1 \\*\\*\\*-\\*\\*\\*-\\*\\*${e164.slice(-2)}: `;
      const line =
        FIRST_CHANNEL === "whatsapp"
          ? `WHATSAPP ${to}(\\d{6}) is your verification code`
          : `SMS ${to}Your Verify Local code(?: is|:) (\\d{6})`;
      const printed = server.output().match(new RegExp(line));
      assert.ok(printed, `otp-local printed the message:\n${server.output()}`);
      await page.getByLabel("6-digit code").fill(printed[1]);
      await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
      await page.getByText(`+1 415 555 ${e164.slice(-4)} is verified.`).waitFor();
      await shot(page, `3-verified-${size}`);
      await assertNoCspViolations(page);
      await page.context().close();
    });
  }

  it("clears a wrong code, counts attempts down, then takes the right one", async () => {
    const page = await open(server);
    const { code, right } = await toCodeStep(page, server, "0103");
    await code.fill(wrongCode(right));
    await page.getByRole("alert").filter({ hasText: "That code isn't right. 2 attempts left." }).waitFor();
    assert.equal(await code.inputValue(), "");
    await shot(page, "4-wrong-code-390x844");
    await code.fill(right);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });

  it("refuses even the right code after three wrong ones, and offers a new code", async () => {
    const page = await open(server);
    const { code, right } = await toCodeStep(page, server, "0104");
    for (const left of ["2 attempts left", "1 attempt left"]) {
      await code.fill(wrongCode(right));
      await page.getByRole("alert").filter({ hasText: left }).waitFor();
    }
    await code.fill(wrongCode(right));
    await page.getByRole("alert").filter({ hasText: "Too many incorrect codes" }).waitFor();
    assert.equal(await code.isDisabled(), true, "no more typing");
    await page.getByRole("button", { name: /Get a new code|Resend code in/ }).waitFor();
    await page.context().close();
  });

  for (const scheme of ["light", "dark"]) {
    it(`works by keyboard alone at 320 px, with no accessibility violations (${scheme})`, async () => {
      // axe-core is injected as an inline script, which the page's CSP rightly refuses.
      const context = await newContext({
        viewport: { width: 320, height: 640 },
        locale: "en-US",
        colorScheme: scheme,
        bypassCSP: true,
      });
      const page = await context.newPage();
      await page.goto(server.url);
      const e164 = scheme === "light" ? "+14155550109" : "+14155550110";
      await page.getByLabel("Phone number").waitFor();
      await assertAccessible(page, `phone step, ${scheme}`);
      await noSidewaysScroll(page);
      // The number field has focus on arrival; the country comes from the browser's language.
      await page.keyboard.type(e164.slice(2));
      await page.keyboard.press("Enter");
      await codeStep(page);
      assert.equal(await page.evaluate(() => document.activeElement?.id), "code", "focus moves to the code");
      await assertAccessible(page, `code step, ${scheme}`);
      await noSidewaysScroll(page);
      await page.keyboard.type(await server.code(e164));
      await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
      await assertAccessible(page, `verified, ${scheme}`);
      await context.close();
    });
  }

  it("keeps the code step across a reload", async () => {
    const page = await open(server);
    await sendCode(page, "415 555 0107");
    await codeStep(page);
    await page.reload();
    await page.getByLabel("6-digit code").fill(await server.code("+14155550107"));
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });
});

// Tests that change the server for everyone (its clock, the simulator's next answer) have their
// own server, and run one after the other.
describe("the verification page, when time passes or the text message service fails", () => {
  let server;
  // Vonage alone: its failure is what the page must show (beside it, the code would go by AWS).
  before(async () => (server = await startServer({ PROVIDER_ORDER: "vonage" })));
  after(async () => server.stop());

  it("refuses an expired code and offers a new one", async () => {
    const page = await open(server);
    const { code, right } = await toCodeStep(page, server, "0105");
    await server.advance(300); // the code's 5 minutes, without waiting for them
    await code.fill(right);
    await page.getByRole("alert").filter({ hasText: "This code has expired. Get a new code." }).waitFor();
    await page.context().close();
  });

  it("catches an invalid number before sending, and says when the API refuses one", async () => {
    const page = await open(server);
    await sendCode(page, "415 555");
    await page.getByRole("alert").filter({ hasText: "That number doesn't look right" }).waitFor();
    await shot(page, "5-invalid-number-390x844");
    await page.getByLabel("Phone number").fill("800 555 0199");
    await sendButton(page).click();
    await page.getByRole("alert").filter({ hasText: "can't receive text messages" }).waitFor();
    await page.context().close();
  });

  it("says when the text message service fails, and sends on retry", async () => {
    const page = await open(server);
    await server.fault({ status: 500, endpoint: "start" });
    await sendCode(page, "415 555 0106");
    await page.getByRole("alert").filter({ hasText: "The text message service isn't answering" }).waitFor();
    await shot(page, "6-provider-failure-390x844");
    await sendButton(page).click();
    await codeStep(page);
    await page.context().close();
  });
});
