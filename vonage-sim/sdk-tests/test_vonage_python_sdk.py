"""The official Vonage Python SDK (package `vonage`, pinned in requirements-dev.txt) against the
simulator: its requests, auth and response parsing unchanged, sent over plain HTTP.

Run by the test command with VONAGE_SIM_URL set to a running `vonage-sim`.
"""

import json
import os
import unittest
import urllib.request

from requests.adapters import HTTPAdapter
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError, NotFoundError
from vonage_verify import SmsChannel, VerifyRequest, VoiceChannel
from vonage_verify_legacy import VerifyError
from vonage_verify_legacy import VerifyRequest as LegacyVerifyRequest

SIM = os.environ["VONAGE_SIM_URL"]


class PlainHttp(HTTPAdapter):
    """The SDK always builds https:// URLs; the simulator serves plain HTTP on loopback."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


def vonage(secret="simsecret"):
    client = Vonage(
        Auth(api_key="simkey", api_secret=secret),
        HttpClientOptions(api_host=SIM.removeprefix("http://")),
    )
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
