"""An application that needs to know its users' phone numbers, in a few dozen lines: it sends a
person to the verification page and believes the number only from a token it checks itself
(PyJWT, against the service's published keys). Usage:

    VERIFY_URL=http://localhost:3000 python3 examples/relying_party.py 5000

and register it with the service (`otp-local` reads this; deployed, the RelyingParties parameter):

    RELYING_PARTIES='[{"clientId": "demo", "name": "Demo app", "redirectUris": ["http://127.0.0.1:5000/callback"]}]'
"""

import html
import os
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

VERIFY_URL = os.environ.get("VERIFY_URL", "http://localhost:3000")
ISSUER = os.environ.get("TOKEN_ISSUER", VERIFY_URL)
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
CLIENT_ID = "demo"
REDIRECT_URI = f"http://127.0.0.1:{PORT}/callback"
KEYS = jwt.PyJWKClient(f"{VERIFY_URL}/.well-known/jwks.json")
PENDING = {}  # state -> nonce, one per flow started and not yet finished

# The token arrives in the address's fragment, which only the browser sees: hand it to the server.
CALLBACK_JS = """fetch("/session", {method: "POST", body: location.hash.slice(1)})
  .then((r) => r.text()).then((t) => { document.getElementById("result").textContent = t; });"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/":
            state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            PENDING[state] = nonce
            query = urllib.parse.urlencode({"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": state, "nonce": nonce})
            self.answer(200, f'<h1>Demo app</h1><a id="verify" href="{html.escape(VERIFY_URL)}/?{html.escape(query)}">Verify my phone number</a>')
        elif path == "/callback":
            self.answer(200, '<h1>Demo app</h1><p id="result">Checking…</p><script src="/callback.js"></script>')
        elif path == "/callback.js":
            self.answer(200, CALLBACK_JS, "text/javascript")
        else:
            self.answer(404, "Not found")

    def do_POST(self):
        fields = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("content-length", 0))).decode())
        token, state = fields.get("token", [""])[0], fields.get("state", [""])[0]
        nonce = PENDING.pop(state, None)
        if nonce is None:
            return self.answer(400, "Refused: a state this app did not start, or used already.", "text/plain")
        try:
            key = KEYS.get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["ES256"], audience=CLIENT_ID, issuer=ISSUER)
        except jwt.InvalidTokenError as e:
            return self.answer(400, f"Refused: not a token this app trusts ({e}).", "text/plain")
        if claims.get("nonce") != nonce:
            return self.answer(400, "Refused: the token is for another sign-in.", "text/plain")
        self.answer(200, f"Verified {claims['phone_number']}", "text/plain")

    def answer(self, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # no tokens in logs: the requests are not logged at all


if __name__ == "__main__":
    print(f"Demo app on http://127.0.0.1:{PORT}, verifying with {VERIFY_URL}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
