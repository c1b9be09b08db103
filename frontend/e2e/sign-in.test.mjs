// Sign in with a phone number as an application does it: `openid-client` (OpenID-certified, the
// library a Node relying party uses) discovers the local server as its OpenID Connect provider,
// sends Chromium to the authorization endpoint (the page), where a person verifies their number;
// the library redeems the code on the way back (PKCE, state, nonce, the ID token checked against
// the published keys) and calls userinfo. A public client and a confidential one; a code used
// twice and a wrong verifier are refused.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as oidc from "openid-client";
import { AMR, FIRST_CHANNEL, startServer } from "./harness.mjs";
import { codeStep, newContext, sendCode } from "./page.mjs";

const SECRET = "bank-secret-0123456789abcdef0123456789";
const SHOP_BACK = "http://localhost:5999/shop/callback";
const BANK_BACK = "http://localhost:5999/bank/callback";
const CLIENTS = [
  { clientId: "shop", name: "The Shop", redirectUris: [SHOP_BACK] },
  { clientId: "bank", name: "The Bank", redirectUris: [BANK_BACK] },
];

describe("sign in with a phone number, as openid-client does it", () => {
  let server;
  let issuer;
  before(async () => {
    server = await startServer({
      RELYING_PARTIES: JSON.stringify(CLIENTS),
      RELYING_PARTY_SECRETS: JSON.stringify({ bank: SECRET }),
      OTP_RESEND_COOLDOWN_SECONDS: "0",
    });
    // The issuer otp-local names itself by (its tokens' `iss`): localhost, on its port.
    issuer = new URL(server.url.replace("127.0.0.1", "localhost"));
  });
  after(async () => server.stop());

  const discover = (clientId, auth, secret) =>
    oidc.discovery(issuer, clientId, secret, auth, { execute: [oidc.allowInsecureRequests] });

  /** The relying party's side until the person is back: the authorization URL with PKCE, state
   *  and nonce; Chromium through the page; the address it is sent back to. */
  async function signIn(config, back, lastFour, provider = server) {
    const verifier = oidc.randomPKCECodeVerifier();
    const checks = { pkceCodeVerifier: verifier, expectedState: oidc.randomState(), expectedNonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: back,
      scope: "openid phone",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state: checks.expectedState,
      nonce: checks.expectedNonce,
    });
    const context = await newContext({ locale: "en-US" });
    const page = await context.newPage();
    await page.route(`${back}**`, (route) => route.fulfill({ status: 200, body: "signed in" }));
    await page.goto(url.href);
    const name = CLIENTS.find((c) => c.redirectUris.includes(back)).name;
    await page.getByRole("heading", { name: `Verify your phone number for ${name}` }).waitFor();
    await sendCode(page, `415 555 ${lastFour}`);
    const code = await codeStep(page);
    await code.fill(await provider.code(`+1415555${lastFour}`));
    await page.waitForURL((address) => address.href.startsWith(back));
    const landed = new URL(page.url());
    await context.close();
    return { landed, checks };
  }

  it("a public client signs a person in: the ID token checks out, and userinfo says the number", async () => {
    const config = await discover("shop", oidc.None());
    const { landed, checks } = await signIn(config, SHOP_BACK, "0601");
    assert.equal(landed.searchParams.get("iss"), issuer.href.replace(/\/$/, ""), "RFC 9207");
    const tokens = await oidc.authorizationCodeGrant(config, landed, { ...checks, idTokenExpected: true });
    const claims = tokens.claims();
    assert.equal(claims.aud, "shop");
    assert.equal(claims.phone_number, "+14155550601");
    assert.equal(claims.phone_number_verified, true);
    assert.deepEqual(claims.amr, [AMR[FIRST_CHANNEL]]);
    assert.ok(!claims.sub.includes("4155550601"), "sub is pairwise, never the number");
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.phone_number, "+14155550601");
    // The code once.
    await assert.rejects(oidc.authorizationCodeGrant(config, landed, checks), (e) => e.error === "invalid_grant");
  });

  it("an RSA key signs RS256 ID tokens, which the library checks against the published key", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });
    const rsaServer = await startServer({ RELYING_PARTIES: JSON.stringify(CLIENTS), TOKEN_SIGNING_KEYS: rsa });
    try {
      const rsaIssuer = new URL(rsaServer.url.replace("127.0.0.1", "localhost"));
      const config = await oidc.discovery(rsaIssuer, "shop", undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      });
      assert.deepEqual(config.serverMetadata().id_token_signing_alg_values_supported, ["RS256"]);
      const { landed, checks } = await signIn(config, SHOP_BACK, "0603", rsaServer);
      const tokens = await oidc.authorizationCodeGrant(config, landed, { ...checks, idTokenExpected: true });
      const header = JSON.parse(Buffer.from(tokens.id_token.split(".")[0], "base64url").toString());
      assert.equal(header.alg, "RS256");
      assert.equal(tokens.claims().phone_number, "+14155550603");
    } finally {
      await rsaServer.stop();
    }
  });

  it("a confidential client signs the same person in, under another subject", async () => {
    const shop = await discover("shop", oidc.None());
    const first = await signIn(shop, SHOP_BACK, "0602");
    const shopSubject = (await oidc.authorizationCodeGrant(shop, first.landed, first.checks)).claims().sub;

    const bank = await discover("bank", oidc.ClientSecretBasic(SECRET), SECRET);
    const { landed, checks } = await signIn(bank, BANK_BACK, "0602");
    const wrongVerifier = { ...checks, pkceCodeVerifier: oidc.randomPKCECodeVerifier() };
    await assert.rejects(oidc.authorizationCodeGrant(bank, landed, wrongVerifier), (e) => e.error === "invalid_grant");
    // A wrong verifier does not use the code up.
    const claims = (await oidc.authorizationCodeGrant(bank, landed, checks)).claims();
    assert.equal(claims.phone_number, "+14155550602");
    assert.notEqual(claims.sub, shopSubject, "two applications cannot join their users by sub");
  });
});
