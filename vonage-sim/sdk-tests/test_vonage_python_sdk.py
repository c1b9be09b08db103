"""The official Vonage Python SDK (package `vonage`, pinned in requirements-dev.txt) against the
simulator: its requests, auth and response parsing unchanged, sent over plain HTTP.

Run by the test command with VONAGE_SIM_URL set to a running `vonage-sim`. With SIM_CALLBACK_URL
and SIM_SIGNATURE_SECRET set as the simulator was started with them, this module also receives the
simulator's status callbacks on SIM_CALLBACK_URL and checks their signatures with the SDK's own
check; without them those tests are skipped.
"""

import hashlib
import json
import os
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from requests.adapters import HTTPAdapter
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import AuthenticationError, HttpRequestError, NotFoundError
from vonage_jwt import verify_signature
from vonage_verify import SmsChannel, VerifyRequest, VoiceChannel, WhatsappChannel
from vonage_verify_legacy import VerifyError
from vonage_verify_legacy import VerifyRequest as LegacyVerifyRequest

SIM = os.environ["VONAGE_SIM_URL"]
CALLBACK_URL = os.environ.get("SIM_CALLBACK_URL")
SIGNATURE_SECRET = os.environ.get("SIM_SIGNATURE_SECRET")

# The simulator's development application (vonage_sim::DEV_APPLICATION_ID), whose private key is
# published with the simulator: what it accepts JWTs for unless configured otherwise.
DEV_APPLICATION_ID = "00000000-0000-4000-8000-000000000001"
DEV_APPLICATION_KEY = (Path(__file__).parent.parent / "dev-application.pem").read_text()
# A WhatsApp Business number: the SDK takes 3 to 11 characters.
WABA_NUMBER = "14155550000"


class PlainHttp(HTTPAdapter):
    """The SDK always builds https:// URLs; the simulator serves plain HTTP on loopback."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


def vonage(secret="simsecret"):
    return over_plain_http(Auth(api_key="simkey", api_secret=secret))


def vonage_application(application_id=DEV_APPLICATION_ID):
    """The SDK authenticating as a Vonage application: an RS256 JWT it signs on every call."""
    return over_plain_http(Auth(application_id=application_id, private_key=DEV_APPLICATION_KEY))


def over_plain_http(auth):
    client = Vonage(auth, HttpClientOptions(api_host=SIM.removeprefix("http://")))
    client.http_client._session.mount("https://", PlainHttp())
    return client


def simulator(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        SIM + path, data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def code_for(request_id):
    return [m for m in simulator("/_simulator/messages") if m["requestId"] == request_id][-1]["code"]


def messages_for(request_id):
    return [m for m in simulator("/_simulator/messages") if m["requestId"] == request_id]


class Receiver(BaseHTTPRequestHandler):
    """The application's status URL: keeps every callback, its headers and exact bytes."""

    received = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with Receiver.lock:
            Receiver.received.append((self.headers.get("authorization"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = None


def setUpModule():
    # Started before any test, so that every application verification's callbacks arrive.
    global receiver
    if CALLBACK_URL and SIGNATURE_SECRET:
        address = urlsplit(CALLBACK_URL)
        receiver = ThreadingHTTPServer((address.hostname, address.port), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()


def tearDownModule():
    if receiver is not None:
        receiver.shutdown()
        receiver.server_close()


def received_about(request_id):
    """The callbacks about `request_id` received so far: (Authorization header, body bytes)."""
    with Receiver.lock:
        return [(auth, body) for auth, body in Receiver.received if request_id.encode() in body]


def callbacks_for(request_id, count):
    """The first `count` callbacks about `request_id`, once they have arrived (or ten seconds on)."""
    deadline = time.monotonic() + 10
    while len(received_about(request_id)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return received_about(request_id)[:count]


class VerifyV2(unittest.TestCase):
    def test_start_check_and_the_errors_the_sdk_raises(self):
        verify = vonage().verify
        started = verify.start_verification(
            VerifyRequest(brand="ACME", code_length=6, workflow=[SmsChannel(to="14155550001")])
        )
        with self.assertRaises(HttpRequestError) as wrong:
            verify.check_code(started.request_id, "000000" if code_for(started.request_id) != "000000" else "111111")
        self.assertEqual(wrong.exception.response.status_code, 400)
        checked = verify.check_code(started.request_id, code_for(started.request_id))
        self.assertEqual(checked.status, "completed")
        with self.assertRaises(NotFoundError):
            verify.check_code(started.request_id, code_for(started.request_id))

    def test_a_locale_is_sent_and_kept(self):
        started = vonage().verify.start_verification(
            VerifyRequest(brand="ACME", locale="es-es", workflow=[SmsChannel(to="14155550004")])
        )
        sent = [m for m in simulator("/_simulator/messages") if m["requestId"] == started.request_id]
        self.assertEqual(sent[0]["locale"], "es-es")

    def test_next_workflow_and_cancel(self):
        verify = vonage().verify
        started = verify.start_verification(
            VerifyRequest(
                brand="ACME",
                workflow=[SmsChannel(to="14155550002"), VoiceChannel(to="14155550002")],
            )
        )
        verify.trigger_next_workflow(started.request_id)
        channels = [m["channel"] for m in simulator("/_simulator/messages") if m["requestId"] == started.request_id]
        self.assertEqual(channels, ["sms", "voice"])
        with self.assertRaises(HttpRequestError) as refused:
            verify.cancel_verification(started.request_id)
        self.assertEqual(refused.exception.response.status_code, 409)

    def test_an_sms_then_a_call_half_way_and_a_call_alone(self):
        verify = vonage().verify
        started = verify.start_verification(
            VerifyRequest(
                brand="ACME",
                code_length=6,
                channel_timeout=150,
                workflow=[SmsChannel(to="14155550005"), VoiceChannel(to="14155550005")],
            )
        )
        simulator("/_simulator/clock", {"advanceSeconds": 150})
        # A check brings the verification up to the simulator's clock: the call went out.
        checked = verify.check_code(started.request_id, code_for(started.request_id))
        self.assertEqual(checked.status, "completed")
        sent = [m for m in simulator("/_simulator/messages") if m["requestId"] == started.request_id]
        self.assertEqual([m["channel"] for m in sent], ["sms", "voice"])
        self.assertEqual(sent[0]["code"], sent[1]["code"], "one code, spoken on the call")

        called = verify.start_verification(
            VerifyRequest(brand="ACME", code_length=6, workflow=[VoiceChannel(to="14155550006")])
        )
        voice = [m for m in simulator("/_simulator/messages") if m["requestId"] == called.request_id]
        self.assertEqual([m["channel"] for m in voice], ["voice"])
        self.assertIn(" ".join(voice[0]["code"]), voice[0]["text"], "the digits, spoken one by one")

    def test_wrong_credentials(self):
        with self.assertRaises(HttpRequestError) as denied:
            vonage("wrong").verify.start_verification(
                VerifyRequest(brand="ACME", workflow=[SmsChannel(to="14155550003")])
            )
        self.assertEqual(denied.exception.response.status_code, 401)


class VerifyV2AsAnApplication(unittest.TestCase):
    def test_whatsapp_then_sms_checked_with_a_jwt(self):
        verify = vonage_application().verify
        started = verify.start_verification(
            VerifyRequest(
                brand="ACME",
                code_length=6,
                workflow=[WhatsappChannel(to="14155550011", from_=WABA_NUMBER), SmsChannel(to="14155550011")],
            )
        )
        sent = messages_for(started.request_id)
        self.assertEqual([m["channel"] for m in sent], ["whatsapp"])
        self.assertEqual(
            sent[0]["text"], f"{sent[0]['code']} is your verification code. For your security, do not share this code."
        )
        self.assertEqual(verify.check_code(started.request_id, sent[0]["code"]).status, "completed")

    def test_a_jwt_for_another_application_is_refused(self):
        with self.assertRaises(AuthenticationError) as refused:
            vonage_application("11111111-1111-4111-8111-111111111111").verify.start_verification(
                VerifyRequest(brand="ACME", workflow=[SmsChannel(to="14155550012")])
            )
        self.assertEqual(refused.exception.response.status_code, 401)


@unittest.skipUnless(CALLBACK_URL and SIGNATURE_SECRET, "the simulator was started without SIM_CALLBACK_URL")
class StatusCallbacks(unittest.TestCase):
    def assert_signed_by_vonage(self, token, body):
        self.assertTrue(verify_signature(token, SIGNATURE_SECRET), "the SDK's check passes")
        self.assertFalse(verify_signature(token, "not-" + SIGNATURE_SECRET))
        claims = jwt.decode(token, options={"verify_signature": False})
        self.assertEqual(claims["payload_hash"], hashlib.sha256(body).hexdigest(), "the hash of the exact bytes")
        self.assertEqual((claims["iss"], claims["application_id"]), ("Vonage", DEV_APPLICATION_ID))

    def test_an_applications_verification_reports_its_steps_signed(self):
        verify = vonage_application().verify
        started = verify.start_verification(
            VerifyRequest(
                brand="ACME",
                channel_timeout=60,
                client_ref="sdk7",
                workflow=[WhatsappChannel(to="14155550013", from_=WABA_NUMBER), SmsChannel(to="14155550013")],
            )
        )
        # No WhatsApp reply within the step's wait: the simulator's clock moves past it, and the
        # listing brings the verification up to it (the text goes out, WhatsApp is reported failed).
        simulator("/_simulator/clock", {"advanceSeconds": 60})
        sms = messages_for(started.request_id)[-1]
        self.assertEqual(sms["channel"], "sms")
        self.assertEqual(verify.check_code(started.request_id, sms["code"]).status, "completed")

        received = callbacks_for(started.request_id, 3)
        self.assertEqual(len(received), 3, received)
        bodies = [json.loads(body) for _, body in received]
        self.assertEqual(
            [(b["type"], b.get("channel"), b["status"]) for b in bodies],
            [("event", "whatsapp", "failed"), ("event", "sms", "completed"), ("summary", None, "completed")],
        )
        self.assertEqual({b["client_ref"] for b in bodies}, {"sdk7"})
        for authorization, body in received:
            self.assertTrue(authorization.startswith("Bearer "))
            self.assert_signed_by_vonage(authorization.removeprefix("Bearer "), body)

    def test_no_callbacks_for_a_verification_started_with_the_api_key(self):
        basic = vonage().verify.start_verification(VerifyRequest(brand="ACME", workflow=[SmsChannel(to="14155550014")]))
        vonage().verify.check_code(basic.request_id, code_for(basic.request_id))
        application = vonage_application().verify
        started = application.start_verification(VerifyRequest(brand="ACME", workflow=[SmsChannel(to="14155550015")]))
        application.check_code(started.request_id, code_for(started.request_id))
        # Callbacks go out in the order they are made: the application's arriving shows none
        # was made before them for the other.
        self.assertEqual(len(callbacks_for(started.request_id, 2)), 2)
        self.assertEqual(received_about(basic.request_id), [])


class VerifyLegacy(unittest.TestCase):
    def test_start_check_search_and_control(self):
        legacy = vonage().verify_legacy
        started = legacy.start_verification(
            LegacyVerifyRequest(number="447400123001", brand="ACME", code_length=6, workflow_id=6)
        )
        self.assertEqual(started.status, "0")
        with self.assertRaises(VerifyError):
            legacy.start_verification(LegacyVerifyRequest(number="447400123001", brand="ACME"))
        found = legacy.search(started.request_id)
        self.assertEqual(found.status, "IN PROGRESS")
        with self.assertRaises(VerifyError):
            legacy.cancel_verification(started.request_id)  # within the first 30 s
        checked = legacy.check_code(started.request_id, code_for(started.request_id))
        self.assertEqual(checked.status, "0")

    def test_an_sms_moved_on_to_its_call_and_a_call_alone(self):
        legacy = vonage().verify_legacy
        started = legacy.start_verification(
            LegacyVerifyRequest(
                number="447400123003", brand="ACME", code_length=6, workflow_id=5, next_event_wait=150, pin_expiry=300
            )
        )
        moved = legacy.trigger_next_event(started.request_id)
        self.assertEqual(moved.status, "0")
        sent = [m for m in simulator("/_simulator/messages") if m["requestId"] == started.request_id]
        self.assertEqual([m["channel"] for m in sent], ["sms", "voice"])
        with self.assertRaises(VerifyError):
            legacy.trigger_next_event(started.request_id)  # workflow 5 has no third step
        self.assertEqual(legacy.check_code(started.request_id, sent[1]["code"]).status, "0")

        called = legacy.start_verification(
            LegacyVerifyRequest(number="447400123004", brand="ACME", code_length=6, workflow_id=7)
        )
        voice = [m for m in simulator("/_simulator/messages") if m["requestId"] == called.request_id]
        self.assertEqual([m["channel"] for m in voice], ["voice"])

    def test_cancel_after_thirty_seconds(self):
        legacy = vonage().verify_legacy
        started = legacy.start_verification(LegacyVerifyRequest(number="447400123002", brand="ACME", lg="pt-br"))
        sent = [m for m in simulator("/_simulator/messages") if m["requestId"] == started.request_id]
        self.assertEqual(sent[0]["locale"], "pt-br")
        simulator("/_simulator/clock", {"advanceSeconds": 30})
        cancelled = legacy.cancel_verification(started.request_id)
        self.assertEqual(cancelled.status, "0")


if __name__ == "__main__":
    unittest.main()
