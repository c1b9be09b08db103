// Codes by WhatsApp in a real browser: the hosted page's ladder puts WhatsApp first
// (OTP_CHANNELS=whatsapp,sms,voice), the simulator delivers it, Vonage's signed status callbacks
// come back to otp-local, and a WhatsApp step nobody answers falls back to SMS on the
// simulator's clock.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DESKTOP, MOBILE, startServer } from "./harness.mjs";
import { assertAccessible, codeStep, open, shot } from "./page.mjs";

const LADDER = { OTP_CHANNELS: "whatsapp,sms,voice" };

const json = async (server, path) => (await fetch(`${server.url}${path}`)).json();

/** Waits until `predicate` holds of the callbacks the simulator sent (they go out on their own). */
async function callbacksUntil(server, predicate) {
  for (let i = 0; i < 200; i++) {
    const sent = await json(server, "/api/dev/callbacks");
    if (predicate(sent)) return sent;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`the callbacks never came: ${JSON.stringify(await json(server, "/api/dev/callbacks"))}`);
}

/** A metric's value in /api/dev/metrics, by its dimensions. */
async function metric(server, name, dimensions) {
  const { metrics } = await json(server, "/api/dev/metrics");
  const row = metrics.find((m) => m.name === name && JSON.stringify(m.dimensions) === JSON.stringify(dimensions));
  return row?.value ?? 0;
}

async function toWhatsApp(page, national) {
  await page.getByLabel("Country").selectOption("GB");
  await page.getByLabel("Phone number").fill(national);
  await page.getByRole("button", { name: "Send by WhatsApp" }).click();
  return codeStep(page);
}

describe("codes by WhatsApp", { concurrency: 2 }, () => {
  let server;
  before(async () => (server = await startServer(LADDER)));
  after(async () => server.stop());

  for (const [size, viewport, national] of [
    ["390x844", MOBILE, "7400 123401"],
    ["1280x800", DESKTOP, "7400 123402"],
  ]) {
    it(`a person verifies by WhatsApp, and Vonage's report of it is applied (${size})`, async () => {
      const e164 = `+44${national.replaceAll(" ", "")}`;
      const page = await open(server, viewport, { axe: true });
      await page.getByRole("button", { name: "Send by SMS" }).waitFor();
      await shot(page, `whatsapp-1-phone-${size}`);
      const input = await toWhatsApp(page, national);
      await page.getByText(/^Sent by WhatsApp to /).waitFor();
      const sent = await server.messages(e164);
      assert.deepEqual(
        sent.map((m) => m.channel),
        ["whatsapp"],
      );
      await assertAccessible(page, `WhatsApp code step, ${size}`);
      await shot(page, `whatsapp-2-code-${size}`);
      await input.fill(sent[0].code);
      await page.getByRole("heading", { name: "Phone number verified" }).waitFor();

      // Vonage reports the step the code was entered on, signed; otp-local applies it once.
      const callbacks = await callbacksUntil(server, (all) =>
        all.some((c) => c.requestId === sent[0].requestId && c.body.includes('"type":"event"')),
      );
      const event = callbacks.find((c) => c.requestId === sent[0].requestId && c.body.includes('"type":"event"'));
      assert.equal(event.status, 200, event.body);
      assert.match(event.body, /"channel":"whatsapp","status":"completed"/);
      assert.ok((await metric(server, "VerifiedOnChannel", { Channel: "whatsapp", Country: "GB" })) >= 1);
      assert.ok((await metric(server, "VerifiedByChannel", { Channel: "whatsapp" })) >= 1, "conversion by channel");
      await page.context().close();
    });
  }

  it("asks for SMS instead of WhatsApp after the resend gap, within the ladder", async () => {
    const page = await open(server, MOBILE, { clock: true });
    await toWhatsApp(page, "7400 123403");
    // The gap passes for the service (the simulator's clock) and for the page's countdown.
    await server.advance(61);
    await page.clock.fastForward(61_000);
    await page.getByRole("button", { name: "Send by SMS" }).click();
    await page.getByText(/^Sent to /).waitFor();
    const sent = await server.messages("+447400123403");
    assert.deepEqual(
      sent.map((m) => m.channel),
      ["whatsapp", "sms"],
    );
    await (await codeStep(page)).fill(sent[1].code);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });
});

describe("a WhatsApp step nobody answers", () => {
  let server;
  before(async () => (server = await startServer({ OTP_CHANNELS: "whatsapp,sms" })));
  after(async () => server.stop());

  it("falls back to SMS with the same code when its time passes on the simulator's clock", async () => {
    const page = await open(server, DESKTOP);
    const input = await toWhatsApp(page, "7400 123404");
    // Two steps share the code's five minutes: the WhatsApp step's 150 s pass unanswered.
    await server.advance(151);
    const sent = await server.messages("+447400123404");
    assert.deepEqual(
      sent.map((m) => m.channel),
      ["whatsapp", "sms"],
    );
    assert.equal(sent[0].code, sent[1].code, "one code, two steps");
    const failed = await callbacksUntil(server, (all) => all.some((c) => c.body.includes('"status":"failed"')));
    assert.equal(failed.find((c) => c.body.includes('"status":"failed"')).status, 200);
    await input.fill(sent[1].code);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    const entered = await callbacksUntil(server, (all) =>
      all.some((c) => c.body.includes('"channel":"sms","status":"completed"')),
    );
    assert.ok(entered.length >= 2);
    assert.ok((await metric(server, "VerifiedOnChannel", { Channel: "sms" })) >= 1, "entered on the SMS step");
    assert.ok((await metric(server, "StepFailures", { Channel: "whatsapp" })) >= 1, "the WhatsApp step failed");
    await page.context().close();
  });
});
