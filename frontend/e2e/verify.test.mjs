// The page in a real browser against the local server in simulator mode: what a person sees.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import { DESKTOP, MOBILE, freePort, launch, root, screenshots, startServer } from "./harness.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** A fresh context on the page, recording every Content-Security-Policy violation. */
async function open(server, viewport = MOBILE) {
  const context = await browser.newContext({ viewport, locale: "en-US" });
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
async function assertNoCspViolations(page) {
  const response = await page.request.get(page.url());
  assert.match(response.headers()["content-security-policy"] ?? "", /default-src 'none'; script-src 'self'/);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], "Content-Security-Policy violations");
}

async function sendCode(page, national = "415 555 2671") {
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel("Phone number").fill(national);
  await page.getByRole("button", { name: "Send code" }).click();
}

/** Sends a code to +1 415 555 `lastFour` and waits for the code step: its input and the code sent. */
async function toCodeStep(page, server, lastFour) {
  await sendCode(page, `415 555 ${lastFour}`);
  const code = page.getByLabel("6-digit code");
  await code.waitFor();
  return { code, right: await server.code(`+1415555${lastFour}`) };
}

/** A code that is not `right`. */
const wrongCode = (right) => (right === "000000" ? "111111" : "000000");

const shot = (page, name) => page.screenshot({ path: `${screenshots}/${name}.png` });

/** axe-core's WCAG A/AA rules (contrast included) on the page as it is now: no violations. */
async function assertAccessible(page, where) {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core") });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `${where}: accessibility violations`);
}

const noSidewaysScroll = async (page) =>
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    "no sideways scrolling",
  );

describe("the verification page", () => {
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
      await page.getByRole("button", { name: "Send code" }).click();
      await page.getByLabel("6-digit code").waitFor();
      await page.getByText(/Sent to \+1 415 \*\*\* 01/).waitFor();
      // The simulated phone shows the text in local mode.
      await page
        .getByRole("complementary", { name: "Simulated phone" })
        .getByRole("listitem")
        .filter({ hasText: e164 })
        .waitFor();
      await shot(page, `2-code-${size}`);
      // The code as a developer reads it: from the line the local server printed in its terminal.
      const printed = server
        .output()
        .match(new RegExp(`SMS to \\+1 415-\\*\\*\\*-${e164.slice(-4)}: Your Verify Local code is (\\d{6})`));
      assert.ok(printed, `otp-local printed the SMS:\n${server.output()}`);
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
    await page.getByRole("button", { name: "Send code" }).click();
    await page.getByRole("alert").filter({ hasText: "can't receive text messages" }).waitFor();
    await page.context().close();
  });

  it("says when the text message service fails, and sends on retry", async () => {
    const page = await open(server);
    await server.fault({ status: 500, endpoint: "start" });
    await sendCode(page, "415 555 0106");
    await page.getByRole("alert").filter({ hasText: "The text message service isn't answering" }).waitFor();
    await shot(page, "6-provider-failure-390x844");
    await page.getByRole("button", { name: "Send code" }).click();
    await page.getByLabel("6-digit code").waitFor();
    await page.context().close();
  });

  for (const scheme of ["light", "dark"]) {
    it(`works by keyboard alone at 320 px, with no accessibility violations (${scheme})`, async () => {
      // axe-core is injected as an inline script, which the page's CSP rightly refuses.
      const context = await browser.newContext({
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
      await page.getByLabel("6-digit code").waitFor();
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
    await page.getByLabel("6-digit code").waitFor();
    await page.reload();
    await page.getByLabel("6-digit code").fill(await server.code("+14155550107"));
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });
});

describe("resending", () => {
  let server;
  // A short cooldown, and a simulator that lets a fresh verification be cancelled at once.
  before(
    async () => (server = await startServer({ OTP_RESEND_COOLDOWN_SECONDS: "3", SIM_CANCEL_MIN_AGE_SECONDS: "0" })),
  );
  after(async () => server.stop());

  it("counts down, then sends a new code that works while the old one does not", async () => {
    const page = await open(server);
    await sendCode(page, "415 555 0108");
    const first = await server
      .code("+14155550108")
      .then(async (c) => c ?? (await new Promise((r) => setTimeout(r, 200)), server.code("+14155550108")));
    const resend = page.getByRole("button", { name: /Resend code in 0:0\d/ });
    await resend.waitFor();
    assert.equal(await resend.isDisabled(), true);
    await page.getByRole("button", { name: "Resend code", exact: true }).click({ timeout: 10_000 });
    await page.waitForFunction(async (first) => {
      const messages = await (await fetch("/api/dev/messages")).json();
      return messages.filter((m) => m.to === "+14155550108").length === 2 && first !== undefined;
    }, first);
    const second = await server.code("+14155550108");
    await page.getByLabel("6-digit code").fill(second);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });
});

describe("the limits on sending", () => {
  let server;
  // A range may hold one code nobody entered, and the day's budget is a cent (a US SMS is 0.79).
  before(async () => (server = await startServer({ OTP_RANGE_UNVERIFIED_FLOOR: "1", OTP_DAILY_SPEND_LIMIT: "0.01" })));
  after(async () => server.stop());

  it("says when codes to a range are paused, and when sending is paused for the day", async () => {
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
      .filter({ hasText: /Sending codes is paused for now\. Try again in \d+ (hours|minutes)\./ })
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

  /** The page with Cloudflare's widget script answered by the simulator's stand-in, and `config`
   *  (when given) in place of the server's /config.json. */
  async function openWithWidget(config) {
    const widget = await (await fetch(`${server.url}/api/dev/turnstile.js`)).text();
    const context = await browser.newContext({ viewport: MOBILE, locale: "en-US" });
    await context.route("https://challenges.cloudflare.com/turnstile/v0/api.js*", (route) =>
      route.fulfill({ contentType: "text/javascript", body: widget }),
    );
    if (config) await context.route("**/config.json", (route) => route.fulfill({ json: config }));
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
    const sent = await (await fetch(`${server.url}/api/dev/messages?to=%2B14155550121`)).json();
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
    const sent = await (await fetch(`${server.url}/api/dev/messages?to=%2B14155550122`)).json();
    assert.deepEqual(sent, []);
  });
});

describe("the hosted flow", () => {
  let server;
  let relyingParty;
  let relyingPartyUrl;
  // The example relying party (examples/relying_party.py) on its own port, registered as `demo`.
  before(async () => {
    const port = await freePort();
    relyingPartyUrl = `http://127.0.0.1:${port}`;
    const clients = [{ clientId: "demo", name: "Demo app", redirectUris: [`${relyingPartyUrl}/callback`] }];
    server = await startServer({ RELYING_PARTIES: JSON.stringify(clients) });
    const issuer = `http://localhost:${new URL(server.url).port}`;
    relyingParty = spawn("python3", ["examples/relying_party.py", String(port)], {
      cwd: root,
      env: { ...process.env, VERIFY_URL: server.url, TOKEN_ISSUER: issuer },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((ready) => relyingParty.stdout.once("data", ready));
  });
  after(async () => {
    relyingParty?.kill();
    await server.stop();
  });

  it("takes a person from the application to the page and back, verified, with a token it trusts", async () => {
    const page = await open(server);
    await page.goto(relyingPartyUrl);
    await page.getByRole("link", { name: "Verify my phone number" }).click();
    await page.getByRole("heading", { name: "Verify your phone number for Demo app" }).waitFor();
    await shot(page, "11-hosted-flow-390x844");
    const { code, right } = await toCodeStep(page, server, "0130");
    await code.fill(right);
    await page.waitForURL(`${relyingPartyUrl}/callback#*`);
    await page.getByText("Verified +14155550130").waitFor();
    await page.context().close();
  });

  for (const [name, query] of [
    ["an unknown application", "client_id=evil&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=s"],
    [
      "an address the application did not register",
      "client_id=demo&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=s",
    ],
    ["no state", null],
  ]) {
    it(`refuses ${name}, and sends the person nowhere`, async () => {
      const page = await open(server);
      const search = query ?? `client_id=demo&redirect_uri=${encodeURIComponent(`${relyingPartyUrl}/callback`)}`;
      await page.goto(`${server.url}/?${search}`);
      await page.getByRole("heading", { name: "This link doesn't work" }).waitFor();
      assert.equal(await page.getByLabel("Phone number").count(), 0, "no way to start");
      assert.ok(page.url().startsWith(server.url), page.url());
      await page.context().close();
    });
  }
});
