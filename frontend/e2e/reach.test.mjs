// Reaching people SMS does not, in their language, on a page that says whose it is: a call
// instead of a text, a landline called, the page in Spanish and in Arabic (right to left), the
// language selector, and the operator's branding in both colour schemes.

import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { DESKTOP, FIRST_CHANNEL, MOBILE, root, screenshots, startServer } from "./harness.mjs";
import {
  assertAccessible,
  assertNoCspViolations,
  codeStep,
  noSidewaysScroll,
  open,
  sendButton,
  sendCode,
  shot,
  toCodeStep,
  wrongCode,
} from "./page.mjs";

const README = Boolean(process.env.README_SCREENSHOTS);

describe("calls and languages", { concurrency: 4 }, () => {
  let server;
  // A short resend gap, and a simulator that lets a fresh verification be cancelled at once.
  before(
    async () => (server = await startServer({ OTP_RESEND_COOLDOWN_SECONDS: "2", SIM_CANCEL_MIN_AGE_SECONDS: "0" })),
  );
  after(async () => server.stop());

  it("calls a person who asks, and verifies the spoken code", async () => {
    const page = await open(server);
    await toCodeStep(page, server, "0140");
    await page.getByRole("button", { name: "Call me instead" }).click({ timeout: 10_000 });
    await page.getByText("We're calling +1 415 *** 0140. Answer to hear your code.").waitFor();
    const [texted, called] = await server.messages("+14155550140");
    assert.equal(texted.channel, FIRST_CHANNEL);
    assert.equal(called.channel, "voice");
    // Vonage's simulated call, or the second provider's, which speaks the digits one by one.
    const spoken = [...called.code].join(", ");
    assert.ok(/\(voice call\)/.test(called.text) || called.text.includes(spoken), called.text);
    // The local server's terminal shows the call as a person would hear it.
    assert.match(
      server.output(),
      new RegExp(`CALL to \\+1 \\*\\*\\*-\\*\\*\\*-\\*\\*40: your code is ${[...called.code].join(" ")}`),
    );
    assert.equal(await page.getByRole("button", { name: "Call me instead" }).count(), 0, "one call is offered, once");
    await page.getByLabel("6-digit code").fill(called.code);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });

  it("calls a landline straight away, and verifies it", async () => {
    const page = await open(server);
    await page.getByLabel("Country").selectOption("GB");
    await page.getByLabel("Phone number").fill("020 7946 0958");
    await sendButton(page).click();
    await page.getByText(/^We're calling \+44 [\d *]+958\. Answer to hear your code\./).waitFor();
    const [called] = await server.messages("+442079460958");
    assert.equal(called.channel, "voice");
    await page.getByLabel("6-digit code").fill(called.code);
    await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
    await page.context().close();
  });

  it("speaks Spanish to a browser in Spanish, and asks for the code in Spanish", async () => {
    const page = await open(server, MOBILE, { locale: "es-ES", axe: true });
    await page.getByRole("heading", { name: "Verifica tu número de teléfono" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "es");
    await page.getByLabel("País").selectOption("US");
    await page.getByLabel("Número de teléfono").fill("415 555 0141");
    await shot(page, "es-phone-390x844");
    await sendButton(page, { sms: "Enviar código", whatsapp: "Enviar por WhatsApp" }).click();
    const code = await codeStep(page, "Código de 6 dígitos");
    const [sent] = await server.messages("+14155550141");
    assert.equal(sent.locale, "es-es", "the SMS in the person's language");
    await code.fill(wrongCode(sent.code));
    await page.getByRole("alert").filter({ hasText: "Ese código no es correcto. Te quedan 2 intentos." }).waitFor();
    await page.getByText(/El código caduca en \d:\d\d/).waitFor();
    await assertAccessible(page, "code step in Spanish");
    await shot(page, "es-wrong-code-390x844");
    await code.fill(sent.code);
    await page.getByRole("heading", { name: "Número de teléfono verificado" }).waitFor();
    await page.context().close();
  });

  it("reads right to left in Arabic, accessible on every step", async () => {
    const page = await open(server, MOBILE, { locale: "ar-EG", axe: true });
    await page.getByRole("heading", { name: "تحقّق من رقم هاتفك" }).waitFor();
    assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), [
      "ar",
      "rtl",
    ]);
    // The heading starts at the right edge; the number still reads left to right.
    const heading = await page.getByRole("heading", { level: 1 }).boundingBox();
    const label = await page.getByText("رقم الهاتف", { exact: true }).boundingBox();
    assert.ok(label.x + label.width > MOBILE.width - 40, "labels sit at the right");
    assert.ok(heading.x + heading.width > MOBILE.width - 40, "the heading sits at the right");
    assert.equal(await page.getByLabel("رقم الهاتف").getAttribute("dir"), "ltr");
    await assertAccessible(page, "phone step in Arabic");
    await noSidewaysScroll(page);
    await shot(page, "ar-phone-390x844");
    await page.getByLabel("البلد").selectOption("US");
    await page.getByLabel("رقم الهاتف").fill("415 555 0142");
    await sendButton(page, { sms: "إرسال الرمز", whatsapp: "الإرسال عبر واتساب" }).click();
    const code = await codeStep(page, "رمز من 6 أرقام");
    const [sent] = await server.messages("+14155550142");
    assert.equal(sent.locale, "ar-xa");
    await code.fill(wrongCode(sent.code));
    await page.getByRole("alert").filter({ hasText: "هذا الرمز غير صحيح. تبقّت محاولتان." }).waitFor();
    await assertAccessible(page, "code step in Arabic");
    await noSidewaysScroll(page);
    await shot(page, "ar-wrong-code-390x844");
    await page.context().close();
  });

  it("changes language with the selector and remembers the choice", async () => {
    const page = await open(server);
    await page.getByLabel("Language").selectOption("de");
    await page.getByRole("heading", { name: "Bestätigen Sie Ihre Telefonnummer" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
    await page.reload();
    await page.getByRole("heading", { name: "Bestätigen Sie Ihre Telefonnummer" }).waitFor();
    await page.getByLabel("Sprache").selectOption("en");
    await page.getByRole("heading", { name: "Verify your phone number" }).waitFor();
    // Only the chosen language's catalogue was fetched.
    const catalogues = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .map((e) => e.name.match(/\/lang-([a-z]+)-/)?.[1])
        .filter(Boolean),
    );
    assert.deepEqual(catalogues.sort(), ["de", "en"], "the first load's (de), then the one chosen (en)");
    await assertNoCspViolations(page);
    await page.context().close();
  });
});

describe("the operator's branding", { concurrency: 4 }, () => {
  const servers = {};
  const logo = resolve(screenshots, "acme-logo.svg");
  before(async () => {
    writeFileSync(
      logo,
      `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#e3a21a"/><path d="M9 23l7-14 7 14" stroke="#fff" stroke-width="3" fill="none"/></svg>`,
    );
    // In each scheme an accent that fails AA there as it is, which the page must adjust: a light
    // amber on the white card, a dark navy on the dark one.
    for (const [scheme, accent] of [
      ["light", "#F4B400"],
      ["dark", "#1A237E"],
    ]) {
      servers[scheme] = await startServer({
        BRAND_NAME: "Acme Bank",
        BRAND_LOGO: logo,
        BRAND_ACCENT_COLOR: accent,
        OTP_MAX_SENDS_PER_NUMBER_PER_HOUR: "1",
        OTP_RESEND_COOLDOWN_SECONDS: "0",
      });
    }
  });
  after(async () => Promise.all(Object.values(servers).map((s) => s.stop())));

  for (const [colorScheme, size, viewport, number] of [
    ["light", "390x844", MOBILE, "0150"],
    ["dark", "390x844", MOBILE, "0151"],
    ["light", "1280x800", DESKTOP, "0152"],
    ["dark", "1280x800", DESKTOP, "0153"],
  ]) {
    const name = `${size}-${colorScheme}`;
    // axe-core on the steps that show every colour (the accent as a button, as text, on a
    // button; an error): the phone step, and on a phone the wrong code too.
    const wide = size === "1280x800";
    const accessible = async (page, where) => (wide ? undefined : assertAccessible(page, `${where} ${name}`));
    // The README's screenshots (20 of them) only when asked for: they are most of these tests'
    // time, and all the wide screen's dark one adds (its colours are the phone's).
    const snap = async (page, step) => (README ? shot(page, `brand-${step}-${name}`) : undefined);
    const skip = wide && colorScheme === "dark" && !README && "the README's screenshots only";
    it(`shows the name and logo, keeps AA with the accent, on every step (${name})`, { skip }, async () => {
      const server = servers[colorScheme];
      const page = await open(server, viewport, { colorScheme, axe: true });
      await page.getByText("Acme Bank").waitFor();
      const logoLoaded = await page.locator(".brand img").evaluate((img) => img.complete && img.naturalWidth > 0);
      assert.ok(logoLoaded, "the logo loaded from the page's origin");
      await page.getByLabel("Country").selectOption("US");
      await page.getByLabel("Phone number").fill(`415 555 ${number}`);
      await assertAccessible(page, `phone step ${name}`);
      await snap(page, "phone");
      const { code, right } = await toCodeStep(page, server, number);
      // The code field is as wide as the buttons.
      const [field, button] = await Promise.all([
        code.boundingBox(),
        page.getByRole("button", { name: "Verify" }).boundingBox(),
      ]);
      assert.ok(Math.abs(field.width - button.width) < 1, `code field ${field.width} px, button ${button.width} px`);
      await snap(page, "code");
      if (wide && !README) return page.context().close();
      await code.fill(wrongCode(right));
      await page.getByRole("alert").filter({ hasText: "2 attempts left" }).waitFor();
      await accessible(page, "wrong code");
      await snap(page, "wrong-code");
      await code.fill(right);
      await page.getByRole("heading", { name: "Phone number verified" }).waitFor();
      await snap(page, "verified");
      // A refusal: a second code to the number within the hour (its cap here is one).
      await page.getByRole("button", { name: "Verify another number" }).click();
      await sendCode(page, `415 555 ${number}`);
      await page.getByRole("alert").filter({ hasText: "Too many codes were requested" }).waitFor();
      await snap(page, "refusal");
      await noSidewaysScroll(page);
      await page.context().close();
    });
  }

  it("loads the logo within the page's Content-Security-Policy", async () => {
    const page = await open(servers.light);
    await page.locator(".brand img").waitFor();
    assert.ok(await page.locator(".brand img").evaluate((img) => img.complete && img.naturalWidth > 0));
    await assertNoCspViolations(page);
    await page.context().close();
  });
});

// `README_SCREENSHOTS=1` takes the branded screenshots and copies them to docs/ for the README.
after(() => {
  if (!README) return;
  for (const step of ["phone", "code", "wrong-code", "verified", "refusal"])
    for (const size of ["390x844", "1280x800"])
      for (const scheme of ["light", "dark"])
        copyFileSync(
          `${screenshots}/brand-${step}-${size}-${scheme}.png`,
          `${root}/docs/${step}-${size}-${scheme}.png`,
        );
});
