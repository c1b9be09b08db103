// Our ID tokens, checked as a relying party's Node backend would: the `jose` package, with the
// key set fetched over HTTP from the local server (createRemoteJWKSet + jwtVerify). Each token is
// redeemed at the token endpoint at the end of a sign-in (authorize, a code sent and entered, the
// authorization code and its PKCE verifier). A genuine token passes; a changed one, one for
// another audience, an expired one, the access token in its place, one signed by a key we do not
// publish, `alg: none` and HS256 keyed with our public key are refused; and keys rotate without
// a failed check.

import assert from "node:assert/strict";
import { createHash, createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, errors, importPKCS8, jwtVerify } from "jose";
import { AMR, FIRST_CHANNEL, startServer } from "./harness.mjs";

const ISSUER = "https://verify.example.test";
const BACK = "http://localhost:5999/shop/callback";
// ES256, which these tests check, is the client's choice (RS256 is the default).
const CLIENTS = [{ clientId: "shop", name: "The Shop", redirectUris: [BACK], idTokenSignedResponseAlg: "ES256" }];

const newKey = () =>
  generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function parts(token) {
  const [header, payload, signature] = token.split(".");
  const json = (part) => JSON.parse(Buffer.from(part, "base64url").toString());
  return { header: json(header), payload: json(payload), signature };
}

/** The deployment's RSA key (RS256, every client's unless it registers ES256), behind the P-256
 *  keys under test. */
const RSA_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });

/** otp-local signing ES256 with `keys` (the first signs), always the same issuer, one public client. */
const server = (keys) =>
  startServer({
    TOKEN_ISSUER: ISSUER,
    TOKEN_SIGNING_KEYS: [...keys, RSA_KEY].join(""),
    RELYING_PARTIES: JSON.stringify(CLIENTS),
    OTP_RESEND_COOLDOWN_SECONDS: "0",
  });

async function post(server, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Signs in with `number` as the page and a public client would (PKCE, state, nonce), and
 *  returns what the token endpoint answers. */
async function signIn(server, number) {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: "shop",
    redirect_uri: BACK,
    scope: "openid phone",
    state: "s-1",
    nonce: "n-1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  // The authorization endpoint opens the flow and sends the browser to the page with its id.
  const opened = await fetch(`${server.url}/authorize?${query}`, { redirect: "manual" });
  assert.equal(opened.status, 303);
  const flowId = new URL(opened.headers.get("location"), server.url).searchParams.get("flow");
  assert.equal((await post(server, "/api/authorize", { flowId })).flowId, flowId);
  const sent = await post(server, "/api/request-otp", { phoneNumber: number, flowId });
  const code = await server.code(number);
  const { redirectTo } = await post(server, "/api/verify-otp", { requestId: sent.requestId, code, flowId });
  const grant = {
    grant_type: "authorization_code",
    code: new URL(redirectTo).searchParams.get("code"),
    redirect_uri: BACK,
    client_id: "shop",
    code_verifier: verifier,
  };
  const response = await fetch(`${server.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(grant),
  });
  assert.equal(response.status, 200);
  return response.json();
}

const tokenFor = async (server, number) => (await signIn(server, number)).id_token;

/** What a relying party's backend does: the key from our key set, ES256 only. */
function check(server, token, options = {}) {
  const keys = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  return jwtVerify(token, keys, { issuer: ISSUER, audience: "shop", algorithms: ["ES256"], ...options });
}

describe("tokens, as jose sees them", () => {
  let local;
  before(async () => (local = await server([newKey()])));
  after(async () => local.stop());

  it("accepts a genuine token with its claims", async () => {
    const { payload, protectedHeader } = await check(local, await tokenFor(local, "+14155550301"));
    assert.equal(payload.phone_number, "+14155550301");
    assert.equal(payload.phone_number_verified, true);
    assert.deepEqual([payload.amr, payload.nonce, protectedHeader.alg], [[AMR[FIRST_CHANNEL]], "n-1", "ES256"]);
    assert.ok(payload.sub && !payload.sub.includes("4155550301"), `a pairwise subject, not the number: ${payload.sub}`);
  });

  it("refuses a changed token, another audience, an expired token, and the access token", async () => {
    const { id_token: token, access_token: access } = await signIn(local, "+14155550302");
    const { header, payload, signature } = parts(token);
    const changed = [b64(header), b64({ ...payload, phone_number: "+14155550399" }), signature].join(".");
    await assert.rejects(check(local, changed), errors.JWSSignatureVerificationFailed);
    await assert.rejects(check(local, token, { audience: "another-app" }), errors.JWTClaimValidationFailed);
    const later = new Date((payload.exp + 1) * 1000);
    await assert.rejects(check(local, token, { currentDate: later }), errors.JWTExpired);
    await assert.rejects(check(local, access), errors.JWTClaimValidationFailed, "not for the client");
    const forIssuer = check(local, access, { audience: ISSUER });
    await assert.rejects(forIssuer, errors.JWTClaimValidationFailed, "nor a token for the issuer");
  });

  it("refuses a key we do not publish, alg none, and HS256 keyed with our public key", async () => {
    const token = await tokenFor(local, "+14155550303");
    const { header, payload } = parts(token);
    const stranger = await importPKCS8(newKey(), "ES256");
    const sameKid = await new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: header.kid }).sign(stranger);
    await assert.rejects(check(local, sameKid), errors.JWSSignatureVerificationFailed);
    const otherKid = await new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: "not-ours" }).sign(stranger);
    await assert.rejects(check(local, otherKid), errors.JWKSNoMatchingKey);

    const unsigned = [b64({ alg: "none", kid: header.kid }), b64(payload), ""].join(".");
    await assert.rejects(check(local, unsigned));
    const jwk = (await (await fetch(`${local.url}/.well-known/jwks.json`)).json()).keys[0];
    const input = `${b64({ alg: "HS256", kid: header.kid })}.${b64(payload)}`;
    const hs256 = `${input}.${createHmac("sha256", JSON.stringify(jwk)).update(input).digest("base64url")}`;
    await assert.rejects(check(local, hs256));
    await assert.rejects(check(local, hs256, { algorithms: undefined }), "even without an algorithm list");
  });
});

describe("key rotation, as jose sees it", () => {
  it("publishes a new key before it signs and the old one after it stops", async () => {
    const [old, next] = [newKey(), newKey()];
    // Each server stops even when a check fails: a server left running would hold the run open.
    const withServer = async (keys, body) => {
      const local = await server(keys);
      try {
        return await body(local);
      } finally {
        await local.stop();
      }
    };
    const before = await withServer([old], (local) => tokenFor(local, "+14155550311"));
    const after = await withServer([next, old], async (local) => {
      await check(local, before);
      const after = await tokenFor(local, "+14155550312");
      assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid, "the new key signs");
      await check(local, after);
      return after;
    });
    await withServer([next], async (local) => {
      await check(local, after);
      await assert.rejects(check(local, before), errors.JWKSNoMatchingKey);
    });
  });
});
