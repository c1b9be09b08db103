"""Our ID tokens, checked as a relying party's Python backend would: PyJWT with its PyJWKClient
fetching our key set over HTTP from the local server. Each token is redeemed at the token endpoint
at the end of a sign-in (authorize, a code sent and entered, the authorization code and its PKCE
verifier). A genuine token passes; a changed one, one for another audience, an expired one, the
access token in its place, one signed by a key we do not publish, `alg: none` and HS256 keyed with
our public key are all refused; and keys rotate without a failed check. Run by the test command
against target/debug/otp-local."""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from unittest import mock

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BINARY = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "otp-local")
# The same issuer across restarts, as a deployment keeps its URL.
ISSUER = "https://verify.example.test"
BACK = "http://localhost:5999/shop/callback"
# The shop registers ES256, which most of these tests check; the news site registers no algorithm,
# and gets RS256 (OpenID Connect Registration §2).
CLIENTS = [{"clientId": "shop", "name": "The Shop", "redirectUris": [BACK], "idTokenSignedResponseAlg": "ES256"},
           {"clientId": "news", "name": "The News", "redirectUris": [BACK]}]


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def new_key_pem():
    return pem(ec.generate_private_key(ec.SECP256R1()))


# The deployment's RSA key, behind the P-256 keys under test (the first of those signs ES256).
RSA_KEY = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class LocalServer:
    """otp-local on a free port, signing ES256 with `keys` (PEM blocks, the first signs) and RS256
    with the RSA key."""

    def __init__(self, keys):
        env = dict(os.environ, PORT="0", TOKEN_SIGNING_KEYS="".join(keys + [RSA_KEY]), TOKEN_ISSUER=ISSUER, RUST_LOG="warn",
                   RELYING_PARTIES=json.dumps(CLIENTS), OTP_RESEND_COOLDOWN_SECONDS="0",
                   FRONTEND_DIST=os.path.join(ROOT, "frontend", "dist"), OTP_LOCAL_PRINT_SMS="false")
        env.pop("TABLE_NAME", None)
        self.process = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.process.stdout:
            found = re.search(r"running on (http://localhost:\d+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise RuntimeError("otp-local did not start")

    def post(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def sign_in(self, number, client="shop"):
        """Signs in with `number` as the page and a public client would (PKCE, state, nonce), and
        returns what the token endpoint answers."""
        verifier = secrets.token_urlsafe(32)
        challenge = b64(hashlib.sha256(verifier.encode()).digest())
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client, "redirect_uri": BACK, "scope": "openid phone",
            "state": "s-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256",
        })
        # The authorization endpoint sends the browser to the page with its flow.
        try:
            urllib.request.build_opener(NoRedirects).open(f"{self.url}/authorize?{query}")
            raise AssertionError("/authorize answers 303")
        except urllib.error.HTTPError as to_page:
            flow = urllib.parse.parse_qs(urllib.parse.urlsplit(to_page.headers["location"]).query)["flow"][0]
        sent = self.post("/api/request-otp", {"phoneNumber": number, "flowId": flow})
        with urllib.request.urlopen(f"{self.url}/api/dev/messages?to={number.replace('+', '%2B')}") as response:
            code = json.load(response)[-1]["code"]
        back = self.post("/api/verify-otp", {"requestId": sent["requestId"], "code": code, "flowId": flow})["redirectTo"]
        grant = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0],
            "redirect_uri": BACK, "client_id": client, "code_verifier": verifier,
        }).encode()
        with urllib.request.urlopen(urllib.request.Request(self.url + "/oauth/token", data=grant)) as response:
            return json.load(response)

    def token(self, number):
        """The ID token of a sign-in with `number`."""
        return self.sign_in(number)["id_token"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def check(server, token, audience=None, algorithm="ES256"):
    """What a relying party's backend does: the signing key from our key set, its registered
    algorithm only."""
    keys = jwt.PyJWKClient(server.url + "/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=[algorithm], audience=audience or "shop", issuer=ISSUER)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(token):
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload))), signature


class TokensAsPyJWTSeesThem(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer([new_key_pem()])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_a_genuine_token_passes_with_its_claims(self):
        claims = check(self.server, self.server.token("+14155550201"))
        self.assertEqual(claims["phone_number"], "+14155550201")
        self.assertTrue(claims["phone_number_verified"])
        self.assertEqual((claims["amr"], claims["nonce"]), (["sms"], "n-1"))
        self.assertLessEqual(claims["exp"] - claims["iat"], 300)
        self.assertNotIn("4155550201", claims["sub"], "a pairwise subject, not the number")

    def test_a_client_that_registers_no_algorithm_gets_rs256(self):
        token = self.server.sign_in("+14155550208", client="news")["id_token"]
        self.assertEqual(parts(token)[0]["alg"], "RS256")
        claims = check(self.server, token, audience="news", algorithm="RS256")
        self.assertEqual(claims["phone_number"], "+14155550208")
        with self.assertRaises(jwt.InvalidAlgorithmError):
            check(self.server, token, audience="news", algorithm="ES256")

    def test_the_access_token_is_not_an_id_token_nor_a_token_for_the_issuer(self):
        access = self.server.sign_in("+14155550207")["access_token"]
        for audience in ("shop", ISSUER):
            with self.assertRaises(jwt.InvalidAudienceError):
                check(self.server, access, audience=audience)

    def test_a_changed_token_is_refused(self):
        header, payload, signature = parts(self.server.token("+14155550202"))
        payload["phone_number"] = "+14155550299"
        forged = ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), signature])
        with self.assertRaises(jwt.InvalidSignatureError):
            check(self.server, forged)

    def test_a_token_for_another_audience_is_refused(self):
        with self.assertRaises(jwt.InvalidAudienceError):
            check(self.server, self.server.token("+14155550203"), audience="another-app")

    def test_an_expired_token_is_refused(self):
        token = self.server.token("+14155550204")
        later = datetime.now(tz=timezone.utc) + timedelta(seconds=301)
        with mock.patch("jwt.api_jwt.datetime") as clock:
            clock.now.return_value = later
            with self.assertRaises(jwt.ExpiredSignatureError):
                check(self.server, token)

    def test_a_key_we_do_not_publish_is_refused(self):
        header, payload, _ = parts(self.server.token("+14155550205"))
        stranger = serialization.load_pem_private_key(new_key_pem().encode(), None)
        same_kid = jwt.encode(payload, stranger, algorithm="ES256", headers={"kid": header["kid"]})
        with self.assertRaises(jwt.InvalidSignatureError):
            check(self.server, same_kid)
        unknown_kid = jwt.encode(payload, stranger, algorithm="ES256", headers={"kid": "not-ours"})
        with self.assertRaises(jwt.PyJWKClientError):
            check(self.server, unknown_kid)

    def test_alg_none_and_hs256_keyed_with_our_public_key_are_refused(self):
        header, payload, _ = parts(self.server.token("+14155550206"))
        unsigned = ".".join([b64(json.dumps({"alg": "none", "kid": header["kid"]}).encode()),
                             b64(json.dumps(payload).encode()), ""])
        with self.assertRaises(jwt.InvalidTokenError):
            check(self.server, unsigned)
        with urllib.request.urlopen(self.server.url + "/.well-known/jwks.json") as response:
            public_jwk = next(k for k in json.load(response)["keys"] if k["kid"] == header["kid"])
        public_pem = jwt.PyJWK(public_jwk).key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        for secret in (public_pem, json.dumps(public_jwk).encode()):
            signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': header['kid']}).encode())}.{b64(json.dumps(payload).encode())}"
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            with self.assertRaises(jwt.InvalidTokenError):
                check(self.server, f"{signing_input}.{b64(mac)}")


class KeyRotation(unittest.TestCase):
    def test_a_new_key_is_published_before_it_signs_and_the_old_one_after_it_stops(self):
        old, new = new_key_pem(), new_key_pem()
        server = LocalServer([old])
        try:
            before = server.token("+14155550211")
        finally:
            server.stop()
        # The new key first (it signs), the old one still published.
        server = LocalServer([new, old])
        try:
            check(server, before)
            after = server.token("+14155550212")
            self.assertNotEqual(parts(after)[0]["kid"], parts(before)[0]["kid"], "the new key signs")
            check(server, after)
        finally:
            server.stop()
        # The old key retired: its tokens no longer check, the new key's still do.
        server = LocalServer([new])
        try:
            check(server, after)
            with self.assertRaises(jwt.PyJWKClientError):
                check(server, before)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
