// Resending and the hosted flow with a relying party in a real browser, beside the other browser
// test files (they run at once).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { freePort, root, startServer } from "./harness.mjs";
import { open, sendCode, shot, toCodeStep } from "./page.mjs";

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
    // Ready when it says so; its exit (a missing PyJWT: run with the project's .venv on PATH) fails the suite.
    await new Promise((ready, fail) => {
      relyingParty.stdout.once("data", ready);
      relyingParty.once("exit", (code) => fail(new Error(`examples/relying_party.py exited (${code})`)));
    });
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
