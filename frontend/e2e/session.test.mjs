// One person, one browser, two applications, as the sign-in session makes it: the shop's page
// form-POSTs its authorization request (`login_hint` with the person's number, `ui_locales=ar`),
// the Arabic page starts from that number, and one code signs the person in; the bank's GET
// request then comes straight back with a code, and no second code is sent; the shop's logout
// (RP-Initiated Logout 1.0), asked about on the page, ends the session and returns to the address
// the shop registered, with its state; and the next sign-in asks for a code again. Each code is redeemed by openid-client,
// as the application's backend would.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import * as oidc from "openid-client";
import { startServer } from "./harness.mjs";
import { codeStep, newContext, sendCode } from "./page.mjs";

// The applications' pages are served for real, on a port of their own: the provider sends the
// browser back to them with HTTP redirects (a session's sign-in, a logout), which a route in the
// browser does not see.
let APPS, SHOP_START, SHOP_BACK, SHOP_OUT, BANK_BACK;
/** What the shop's start page is, set by the test. */
let shopStart = "";
const apps = createServer((request, response) => {
  const page = request.url === "/shop/";
  response.writeHead(200, { "content-type": page ? "text/html" : "text/plain" });
  response.end(page ? shopStart : "the application");
});
const NUMBER = "+14155550621";
const SESSION_COOKIE = "__Host-sign-in";

/** The shop's sign-in page: a form that POSTs the authorization request to the provider. */
const shopPage = (action, fields) => `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>The Shop</title>
<form method="post" action="${action}">
${Object.entries(fields)
  .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
  .join("\n")}
<button type="submit">Sign in with your phone</button>
</form></html>`;

describe("a sign-in session across two applications, and a logout", () => {
  let server;
  let issuer;
  let shop;
  let bank;
  before(async () => {
    await new Promise((listening) => apps.listen(0, "127.0.0.1", listening));
    APPS = `http://localhost:${apps.address().port}`;
    [SHOP_START, SHOP_BACK, SHOP_OUT, BANK_BACK] = [
      "/shop/",
      "/shop/callback",
      "/shop/signed-out",
      "/bank/callback",
    ].map((path) => `${APPS}${path}`);
    const clients = [
      { clientId: "shop", name: "The Shop", redirectUris: [SHOP_BACK], postLogoutRedirectUris: [SHOP_OUT] },
      { clientId: "bank", name: "The Bank", redirectUris: [BANK_BACK] },
    ];
    server = await startServer({ RELYING_PARTIES: JSON.stringify(clients), OTP_RESEND_COOLDOWN_SECONDS: "0" });
    // The issuer otp-local names itself by: localhost, on its port (the cookie's host as well).
    issuer = new URL(server.url.replace("127.0.0.1", "localhost"));
    const discover = (clientId) =>
      oidc.discovery(issuer, clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    [shop, bank] = await Promise.all([discover("shop"), discover("bank")]);
  });
  after(async () => {
    await server.stop();
    apps.close();
  });

  /** The codes the simulator sent to `NUMBER`. */
  const sent = async () => (await server.messages(NUMBER)).length;

  /** A request's PKCE, state and nonce, as the application keeps them until the callback. */
  async function checks() {
    const verifier = oidc.randomPKCECodeVerifier();
    return {
      params: {
        scope: "openid phone",
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      },
      expected: { pkceCodeVerifier: verifier, idTokenExpected: true },
    };
  }
  const expecting = ({ params, expected }) => ({
    ...expected,
    expectedState: params.state,
    expectedNonce: params.nonce,
  });

  it("signs in once, signs in again elsewhere without a code, logs out, and asks again", async () => {
    const context = await newContext({ locale: "en-US" });
    const visited = [];
    const page = await context.newPage();
    page.on("framenavigated", (frame) => frame === page.mainFrame() && visited.push(frame.url()));
    const first = await checks();
    shopStart = shopPage(new URL("/authorize", issuer).href, {
      client_id: "shop",
      redirect_uri: SHOP_BACK,
      response_type: "code",
      ...first.params,
      login_hint: NUMBER,
      ui_locales: "ar",
    });

    // 1. The shop form-POSTs its request; the page is in Arabic and starts from the hinted number.
    await page.goto(SHOP_START);
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/authorize"),
      page.getByRole("button", { name: "Sign in with your phone" }).click(),
    ]);
    assert.equal(posted.status(), 303, "a form-POSTed authorization request is answered 303");
    await page.waitForURL((address) => address.pathname === "/sign-in" && address.searchParams.has("flow"));
    await page.locator('html[lang="ar"][dir="rtl"]').waitFor({ state: "attached" });
    await page.getByRole("heading", { name: /The Shop/ }).waitFor();
    assert.equal(await page.locator("#phone").inputValue(), "+1 415 555 0621", "the hinted number, prefilled");
    // The first of the phone step's buttons sends by the ladder's first channel.
    await page.locator('form button[type="submit"]').first().click();
    const code = page.locator('input[autocomplete="one-time-code"]');
    await code.waitFor();
    assert.equal(await sent(), 1);
    await code.fill(await server.code(NUMBER));
    await page.waitForURL((address) => address.href.startsWith(SHOP_BACK));
    const shopTokens = await oidc.authorizationCodeGrant(shop, new URL(page.url()), expecting(first));
    const shopClaims = shopTokens.claims();
    assert.equal(shopClaims.phone_number, NUMBER);
    assert.equal(shopClaims.aud, "shop");
    assert.ok(Number.isInteger(shopClaims.auth_time), "auth_time");
    const session = (await context.cookies(issuer.href)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(session, `a ${SESSION_COOKIE} cookie`);
    assert.deepEqual([session.httpOnly, session.secure, session.sameSite, session.path], [true, true, "Lax", "/"]);

    // 2. The bank's GET request comes straight back with a code: no page, no second code.
    const second = await checks();
    const bankRequest = oidc.buildAuthorizationUrl(bank, { redirect_uri: BANK_BACK, ...second.params });
    visited.length = 0;
    await page.goto(bankRequest.href);
    await page.waitForURL((address) => address.href.startsWith(BANK_BACK));
    assert.deepEqual(
      visited.filter((address) => new URL(address).pathname === "/sign-in"),
      [],
      "no sign-in page shown",
    );
    assert.equal(await sent(), 1, "no second code sent");
    const bankClaims = (await oidc.authorizationCodeGrant(bank, new URL(page.url()), expecting(second))).claims();
    assert.equal(bankClaims.phone_number, NUMBER);
    assert.equal(bankClaims.aud, "bank");
    assert.notEqual(bankClaims.sub, shopClaims.sub, "each application its own subject");
    assert.equal(bankClaims.auth_time, shopClaims.auth_time, "the first proof's time");
    assert.deepEqual(bankClaims.amr, shopClaims.amr, "the first proof's method");

    // 3. The shop logs the person out, and gets them back at its registered address, with state.
    assert.equal(shop.serverMetadata().end_session_endpoint, new URL("/oauth/logout", issuer).href);
    const logout = new URL("/oauth/logout", issuer);
    logout.search = new URLSearchParams({
      client_id: "shop",
      post_logout_redirect_uri: SHOP_OUT,
      state: "bye-1",
    }).toString();
    // No ID token in the request: the page asks first (RP-Initiated Logout §2), and only its
    // "Sign out" ends the session.
    await page.goto(logout.href);
    const signOut = page.getByRole("button", { name: "Sign out" });
    await signOut.waitFor();
    assert.ok(
      (await context.cookies(issuer.href)).some((c) => c.name === SESSION_COOKIE),
      "the session stays until the person answers",
    );
    await signOut.click();
    await page.waitForURL((address) => address.href.startsWith(SHOP_OUT));
    assert.equal(new URL(page.url()).searchParams.get("state"), "bye-1");
    const cookies = await context.cookies(issuer.href);
    assert.equal(
      cookies.find((c) => c.name === SESSION_COOKIE),
      undefined,
      "the session cookie cleared",
    );

    // 4. The next sign-in asks for a code again.
    const third = await checks();
    await page.goto(oidc.buildAuthorizationUrl(bank, { redirect_uri: BANK_BACK, ...third.params }).href);
    await page.getByRole("heading", { name: "Verify your phone number for The Bank" }).waitFor();
    await sendCode(page, "415 555 0621");
    const again = await codeStep(page);
    assert.equal(await sent(), 2, "a new code");
    await again.fill(await server.code(NUMBER));
    await page.waitForURL((address) => address.href.startsWith(BANK_BACK));
    const renewed = (await oidc.authorizationCodeGrant(bank, new URL(page.url()), expecting(third))).claims();
    assert.equal(renewed.sub, bankClaims.sub);
    assert.ok(renewed.auth_time >= bankClaims.auth_time, "a new proof's time");
    await context.close();
  });
});
