"""Sign in with a phone number from a Python application, with Authlib, the way one adds any
OpenID Connect provider. The state, nonce and PKCE verifier live in this browser's session
(a cookie), so a callback opened in another browser is refused (login CSRF). Usage:

    ISSUER=http://localhost:3000 CLIENT_ID=py-app [CLIENT_SECRET=…] python3 sign_in.py 5000

registered with the service as {"clientId": "py-app", "name": "…", "redirectUris":
["http://localhost:5000/callback"]} and, for a confidential client, its secret in
RELYING_PARTY_SECRETS ({"py-app": "…"}).
"""

import html, os, secrets, sys
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

ISSUER = os.environ.get("ISSUER", "http://localhost:3000")
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
CLIENT_ID, SECRET = os.environ["CLIENT_ID"], os.environ.get("CLIENT_SECRET")
BACK = f"http://localhost:{PORT}/callback"
META = requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=10).json()
SESSIONS = {}  # session id -> the sign-in in progress, or who signed in


def client():
    method = "client_secret_basic" if SECRET else "none"
    return OAuth2Session(CLIENT_ID, SECRET, method, scope="openid phone", redirect_uri=BACK,
                         code_challenge_method="S256")


class App(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        cookie = SimpleCookie(self.headers.get("Cookie", "")).get("sid")
        sid = cookie.value if cookie else None
        session = SESSIONS.get(sid, {})
        if url.path == "/login":
            sid, verifier, nonce = secrets.token_urlsafe(32), generate_token(48), generate_token(24)
            to, state = client().create_authorization_url(META["authorization_endpoint"],
                                                          code_verifier=verifier, nonce=nonce)
            SESSIONS[sid] = {"state": state, "nonce": nonce, "verifier": verifier}
            return self.answer(302, "", Location=to, **{"Set-Cookie": f"sid={sid}; HttpOnly; SameSite=Lax; Path=/"})
        if url.path == "/callback":
            query, session = parse_qs(url.query), SESSIONS.pop(sid, {})  # one callback a sign-in
            ours = "state" in session and query.get("state") == [session["state"]]
            if not ours or query.get("iss") != [META["issuer"]]:
                return self.answer(400, "No sign-in of yours is in progress here.")
            token = client().fetch_token(META["token_endpoint"], authorization_response=f"{BACK}?{url.query}",
                                         code_verifier=session["verifier"])
            keys = JsonWebKey.import_key_set(requests.get(META["jwks_uri"], timeout=10).json())
            # RS256: what the service signs with for a client that registers no other algorithm.
            claims = JsonWebToken(["RS256"]).decode(token["id_token"], keys, claims_cls=CodeIDToken,
                                claims_options={"iss": {"value": META["issuer"]}, "aud": {"value": CLIENT_ID}},
                                claims_params={"nonce": session["nonce"]})
            claims.validate()
            info = OAuth2Session(token=token).get(META["userinfo_endpoint"], timeout=10).json()
            agrees = info.get("sub") == claims["sub"] and info.get("phone_number") == claims.get("phone_number")
            SESSIONS[sid] = {"sub": claims["sub"], "phone": claims.get("phone_number")}
            said = html.escape(claims.get("phone_number", "?"))
            return self.answer(200, f"Signed in with {said}" + (" (userinfo agrees)" if agrees else ""))
        if "sub" in session:
            return self.answer(200, f"Signed in with {html.escape(session['phone'] or '?')}")
        return self.answer(200, 'Not signed in. <a href="/login">Sign in with your phone number</a>')

    def answer(self, status, body, **headers):
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), App)  # bound before it says where
    print(f"on http://localhost:{PORT}", flush=True)
    server.serve_forever()
