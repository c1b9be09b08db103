// The limits on sending and the bot check in a real browser, beside the other browser test files
// (they run at once): what a person sees when sending is refused, and Turnstile's widget under the
// page's policy.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FIRST_CHANNEL, MOBILE, startServer } from "./harness.mjs";
import { newContext, open, sendCode, shot, toCodeStep } from "./page.mjs";

describe("the limits on sending", () => {
  let server;
  // A range may hold one code nobody entered, and the day's budget holds one send: a cent for a
  // US SMS (0.79), two for WhatsApp then SMS (1.63, both steps counted). Vonage alone: the budget
  // is set in its prices.
  before(
    async () =>
      (server = await startServer({
        OTP_RANGE_UNVERIFIED_FLOOR: "1",
        OTP_DAILY_SPEND_LIMIT: FIRST_CHANNEL === "whatsapp" ? "0.02" : "0.01",
        PROVIDER_ORDER: "vonage",
      })),
  );
  after(async () => server.stop());

  it("says when codes to a range are paused, and when sending is paused for the day", async () => {
    // All three requests at the start of a UTC day, whatever the time here: the day's budgets
    // start again at midnight, and the page words a wait of hours otherwise than one of minutes.
    const { now } = await (await server.advance(0)).json();
    const toMidnight = 86_400 - (Math.floor(Date.parse(now) / 1000) % 86_400);
    await server.advance(toMidnight + 60);
    const page = await open(server);
    await toCodeStep(page, server, "0110");
    await page.context().close();

    const sameRange = await open(server);
    await sendCode(sameRange, "415 555 0111");
    await sameRange
      .getByRole("alert")
      .filter({
        hasText:
          /can't send codes to numbers like this one right now\. Try again in \d+ hours, or use another number\./,
      })
      .waitFor();
    assert.equal(await sameRange.getByLabel("Phone number").getAttribute("aria-invalid"), "true");
    await shot(sameRange, "8-destination-paused-390x844");
    await sameRange.context().close();

    const otherRange = await open(server);
    await sendCode(otherRange, "415 556 0110");
    await otherRange
      .getByRole("alert")
      .filter({ hasText: /Sending codes is paused for now\. Try again in \d+ hours\./ })
      .waitFor();
    await shot(otherRange, "9-sending-paused-390x844");
    await otherRange.context().close();
    const sent = await (await fetch(`${server.url}/api/dev/messages`)).json();
    assert.deepEqual(
      sent.map((m) => m.to),
      ["+14155550110"],
      "only the first code went out",
    );
  });

  it("says when the operator has stopped sending, and sends nothing", async () => {
    const flip = (stopped) =>
      fetch(`${server.url}/api/dev/sending`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stopped }),
      });
    assert.equal((await flip(true)).status, 200);
    const page = await open(server);
    await sendCode(page, "415 557 0110");
    await page.getByRole("alert").filter({ hasText: "Sending codes is stopped for now. Try again later." }).waitFor();
    await shot(page, "12-sending-stopped-390x844");
    await page.context().close();
    assert.equal((await flip(false)).status, 200);
    const sent = await server.messages("+14155570110");
    assert.deepEqual(sent, [], "nothing went out while stopped");
  });
});

describe("the bot check", () => {
  let server;
  // Cloudflare's always-passing test keys; siteverify is the simulator's stand-in.
  before(
    async () =>
      (server = await startServer({
        TURNSTILE_SITE_KEY: "1x00000000000000000000AA",
        TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA",
      })),
  );
  after(async () => server.stop());

  /** The page with Cloudflare's widget script answered by the simulator's stand-in, and the
   *  server's /config.json with `config`'s settings (when given) in place of its own. */
  async function openWithWidget(config) {
    const widget = await (await fetch(`${server.url}/api/dev/turnstile.js`)).text();
    const context = await newContext({ viewport: MOBILE, locale: "en-US" });
    await context.route("https://challenges.cloudflare.com/turnstile/v0/api.js*", (route) =>
      route.fulfill({ contentType: "text/javascript", body: widget }),
    );
    if (config) {
      await context.route("**/config.json", async (route) =>
        route.fulfill({ json: { ...(await (await route.fetch()).json()), ...config } }),
      );
    }
    await context.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`),
      );
    });
    const page = await context.newPage();
    const tokens = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/api/request-otp")) tokens.push(request.postDataJSON().turnstileToken);
    });
    await page.goto(server.url);
    return { page, tokens };
  }

  it("sends the widget's token with the request, under a policy that allows exactly the widget", async () => {
    const { page, tokens } = await openWithWidget();
    const { code, right } = await toCodeStep(page, server, "0120");
    assert.deepEqual(tokens, ["XXXX.DUMMY.TOKEN.XXXX"]);
    await code.fill(right);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    const csp = (await page.request.get(page.url())).headers()["content-security-policy"];
    assert.match(
      csp,
      /script-src 'self' https:\/\/challenges\.cloudflare\.com; frame-src https:\/\/challenges\.cloudflare\.com;/,
    );
    assert.deepEqual(await page.evaluate(() => window.cspViolations), [], "Content-Security-Policy violations");
    await page.context().close();
  });

  it("says so when the challenge fails, and sends nothing", async () => {
    const { page, tokens } = await openWithWidget({ turnstileSiteKey: "2x00000000000000000000AB" });
    await sendCode(page, "415 555 0121");
    await page.getByRole("alert").filter({ hasText: "We couldn't confirm you're not a robot. Try again." }).waitFor();
    await shot(page, "10-bot-check-failed-390x844");
    assert.deepEqual(tokens, [], "no request without a token");
    const sent = await server.messages("+14155550121");
    assert.deepEqual(sent, []);
    await page.context().close();
  });

  it("is refused by the API without a token, before any SMS", async () => {
    const response = await fetch(`${server.url}/api/request-otp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phoneNumber: "+14155550122" }),
    });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).code, "bot_check_failed");
    const sent = await server.messages("+14155550122");
    assert.deepEqual(sent, []);
  });
});
