// Resending, a test number, and sign-in links the page refuses, in a real browser, beside the other browser
// test files (they run at once).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startServer } from "./harness.mjs";
import { codeStep, open, sendCode } from "./page.mjs";

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
    // The SMS can be recorded before the page has the answer: wait until the page counts down again.
    await page.getByRole("button", { name: /Resend code in/ }).waitFor();
    const second = await server.code("+14155550108");
    await page.getByLabel("6-digit code").fill(second);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });
});

describe("a test number", () => {
  let server;
  before(async () => (server = await startServer({ TEST_NUMBERS: JSON.stringify({ "+12015550123": "482916" }) })));
  after(async () => server.stop());

  // As an app-store reviewer does it: the same screens, its fixed code, and no text message.
  it("verifies with its fixed code through the same screens, and nothing is sent", async () => {
    const page = await open(server);
    await sendCode(page, "201 555 0123");
    await (await codeStep(page)).fill("482916");
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    const messages = await (await fetch(`${server.url}/api/dev/messages`)).json();
    assert.deepEqual(messages, [], "no SMS, no call");
    await page.context().close();
  });
});

describe("a sign-in link that cannot be followed", () => {
  let server;
  const back = "http://localhost:5999/shop/callback";
  before(async () => {
    const clients = [{ clientId: "shop", name: "The Shop", redirectUris: [back] }];
    server = await startServer({ RELYING_PARTIES: JSON.stringify(clients) });
  });
  after(async () => server.stop());

  const authorize = (clientId, redirectUri) =>
    "/authorize?" +
    new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: "openid phone",
      state: "s-1",
      nonce: "n-1",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
  // The authorization endpoint sends a request it cannot trust to the page, with the reason.
  for (const [name, path, landing] of [
    ["an unknown application", authorize("evil", "https://evil.example/cb"), "/sign-in?error=invalid_client"],
    [
      "an address the application did not register",
      authorize("shop", "https://evil.example/cb"),
      "/sign-in?error=invalid_redirect_uri",
    ],
    // A link of the retired token-in-the-address flow: verifying would lead nowhere.
    ["an old link to the page", `/?client_id=shop&redirect_uri=${encodeURIComponent(back)}&state=s`, null],
  ]) {
    it(`refuses ${name}, and sends the person nowhere`, async () => {
      const page = await open(server);
      await page.goto(`${server.url}${path}`);
      await page.getByRole("heading", { name: "This link doesn't work" }).waitFor();
      assert.equal(await page.getByLabel("Phone number").count(), 0, "no way to start");
      assert.ok(page.url().startsWith(server.url), page.url());
      if (landing) assert.equal(page.url(), `${server.url}${landing}`);
      await page.context().close();
    });
  }
});

describe("a sign-in's own limits", () => {
  let server;
  const back = "http://localhost:5999/shop/callback";
  before(async () => {
    const clients = [{ clientId: "shop", name: "The Shop", redirectUris: [back] }];
    server = await startServer({
      RELYING_PARTIES: JSON.stringify(clients),
      // Two sign-ins an address in ten minutes; a code may be asked again at once.
      SIGN_IN_MAX_FLOWS_PER_IP: "2",
      OTP_RESEND_COOLDOWN_SECONDS: "0",
      SIM_CANCEL_MIN_AGE_SECONDS: "0",
    });
  });
  after(async () => server.stop());

  const authorize =
    "/authorize?" +
    new URLSearchParams({
      response_type: "code",
      client_id: "shop",
      redirect_uri: back,
      scope: "openid phone",
      state: "s-1",
      nonce: "n-1",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });

  // A reload of the sign-in reads the same flow again, and the page starts at the number (what it
  // kept of the code step does not say which flow it was for): a new code ends the sign-in. Then,
  // in another browser (no session), the address opens its second sign-in of these ten minutes,
  // and a third says when to try again, not that the link is broken.
  it("recovers from a reload, then says when an address may sign in again", async () => {
    const page = await open(server);
    await page.route(`${back}**`, (route) => route.fulfill({ status: 200, body: "signed in" }));
    await page.goto(`${server.url}${authorize}`);
    await page.getByRole("heading", { name: "Verify your phone number for The Shop" }).waitFor();
    await sendCode(page, "415 555 0611");
    await codeStep(page);
    const flow = page.url();
    await page.reload();
    await page.getByRole("heading", { name: "Verify your phone number for The Shop" }).waitFor();
    assert.equal(page.url(), flow, "the same sign-in");
    assert.equal(await page.getByRole("heading", { name: "Enter the code" }).count(), 0, "no old code step");
    await sendCode(page, "415 555 0611");
    const code = await codeStep(page);
    await page.waitForFunction(async () => {
      const messages = await (await fetch("/api/dev/messages")).json();
      return messages.filter((m) => m.to === "+14155550611").length === 2;
    });
    await code.fill(await server.code("+14155550611"));
    await page.waitForURL((address) => address.href.startsWith(back));
    assert.ok(new URL(page.url()).searchParams.get("code"), page.url());
    await page.context().close();

    const other = await open(server);
    await other.goto(`${server.url}${authorize}`);
    await other.getByRole("heading", { name: "Verify your phone number for The Shop" }).waitFor();
    await other.goto(`${server.url}${authorize}`);
    await other.getByRole("heading", { name: "Too many sign-ins" }).waitFor();
    const said = await other.getByRole("alert").textContent();
    assert.match(said, /^Too many sign-ins were started from your network\. Try again in \d+ (minutes|seconds)\.$/);
    assert.equal(await other.getByLabel("Phone number").count(), 0, "no way to start");
    await other.context().close();
  });
});
