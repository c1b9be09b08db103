// Sign in with a phone number from a Node application, with openid-client, the way one adds any
// OpenID Connect provider. The state, nonce and PKCE verifier live in this browser's session (a
// cookie), so a callback opened in another browser is refused (login CSRF). Usage:
//
//   ISSUER=http://localhost:3000 CLIENT_ID=node-app [CLIENT_SECRET=…] node sign-in.mjs 5001
//
// registered with the service as {"clientId": "node-app", "name": "…", "redirectUris":
// ["http://localhost:5001/callback"]} and, for a confidential client, its secret in
// RELYING_PARTY_SECRETS ({"node-app": "…"}).

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import * as oidc from "openid-client";

const issuer = new URL(process.env.ISSUER ?? "http://localhost:3000");
const port = Number(process.argv[2] ?? 5001);
const secret = process.env.CLIENT_SECRET;
const back = `http://localhost:${port}/callback`;
// Plain http is for a provider on this machine only.
const insecure =
  issuer.hostname === "localhost"
    ? { execute: [oidc.allowInsecureRequests] }
    : {};
const config = await oidc.discovery(
  issuer,
  process.env.CLIENT_ID,
  secret,
  secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
  insecure,
);
const sessions = new Map(); // session id -> the sign-in in progress, or who signed in

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

createServer(async (req, res) => {
  const url = new URL(req.url, back);
  const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? "")?.[1];
  const session = sessions.get(sid) ?? {};
  const answer = (status, body, headers = {}) =>
    res
      .writeHead(status, {
        "content-type": "text/html; charset=utf-8",
        ...headers,
      })
      .end(body);
  try {
    if (url.pathname === "/login") {
      const id = randomBytes(32).toString("base64url");
      const pending = {
        verifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
      sessions.set(id, pending);
      const to = oidc.buildAuthorizationUrl(config, {
        redirect_uri: back,
        scope: "openid phone",
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: "S256",
        state: pending.state,
        nonce: pending.nonce,
      });
      return answer(302, "", {
        location: to.href,
        "set-cookie": `sid=${id}; HttpOnly; SameSite=Lax; Path=/`,
      });
    }
    if (url.pathname === "/callback") {
      sessions.delete(sid); // one callback a sign-in
      if (!session.state)
        return answer(400, "No sign-in of yours is in progress here.");
      const checks = {
        pkceCodeVerifier: session.verifier,
        expectedState: session.state,
        expectedNonce: session.nonce,
      };
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        ...checks,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      const info = await oidc.fetchUserInfo(
        config,
        tokens.access_token,
        claims.sub,
      );
      sessions.set(sid, { sub: claims.sub, phone: claims.phone_number });
      const agrees =
        info.phone_number === claims.phone_number ? " (userinfo agrees)" : "";
      return answer(
        200,
        `Signed in with ${escape(claims.phone_number)}${agrees}`,
      );
    }
    if (session.sub)
      return answer(200, `Signed in with ${escape(session.phone)}`);
    return answer(
      200,
      'Not signed in. <a href="/login">Sign in with your phone number</a>',
    );
  } catch (e) {
    return answer(400, `The sign-in failed: ${escape(e.error ?? e.message)}`);
  }
}).listen(port, "127.0.0.1", () => console.log(`on http://localhost:${port}`));
