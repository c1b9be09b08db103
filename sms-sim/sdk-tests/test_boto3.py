"""AWS's Python SDK (boto3, pinned in requirements-dev.txt) against the simulator: its
`pinpoint-sms-voice-v2` client, request serialization and error parsing unchanged.

Run by the test command with SMS_SIM_URL set to a running `sms-sim` whose account has the
origination identity +12065550100 (its default) and blocks GB (SMS_SIM_BLOCKED_COUNTRIES=GB).
"""

import json
import os
import time
import unittest
import urllib.request

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

SIM = os.environ["SMS_SIM_URL"]
FROM = "+12065550100"
TO = "+14155552671"
BODY = "Your code is 123456\n\n@example.com #123456"


def client(retries=1, signed=True):
    """`retries` is total attempts: 1 means each call meets the simulator once."""
    config = Config(retries={"total_max_attempts": retries, "mode": "standard"})
    if not signed:
        config = config.merge(Config(signature_version=UNSIGNED))
    return boto3.client(
        "pinpoint-sms-voice-v2",
        endpoint_url=SIM,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret",
        config=config,
    )


def simulator(path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        SIM + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def messages():
    return simulator("/_simulator/messages")


def send_text(sms, to=TO, **extra):
    fields = dict(
        DestinationPhoneNumber=to,
        OriginationIdentity=FROM,
        MessageBody=BODY,
        MessageType="TRANSACTIONAL",
        MaxPrice="0.05",
        TimeToLive=300,
    )
    fields.update(extra)
    return sms.send_text_message(**fields)


class Sim(unittest.TestCase):
    def setUp(self):
        simulator("/_simulator/messages", method="DELETE")
        simulator("/_simulator/faults", method="DELETE")


class Sending(Sim):
    def test_a_text_is_sent_and_recorded(self):
        sent = send_text(client())
        [message] = messages()
        self.assertEqual(message["messageId"], sent["MessageId"])
        self.assertEqual(message["channel"], "SMS")
        self.assertEqual(message["destinationPhoneNumber"], TO)
        self.assertEqual(message["originationIdentity"], FROM)
        self.assertEqual(message["messageBody"], BODY)
        self.assertEqual(message["messageType"], "TRANSACTIONAL")
        self.assertTrue(message["sentAt"])

    def test_a_voice_message_is_sent_and_recorded(self):
        sent = client().send_voice_message(
            DestinationPhoneNumber=TO,
            OriginationIdentity=FROM,
            MessageBody="Your code is 1 2 3 4 5 6",
            MessageBodyTextType="TEXT",
            VoiceId="JOANNA",
        )
        [message] = messages()
        self.assertEqual(message["messageId"], sent["MessageId"])
        self.assertEqual(message["channel"], "VOICE")
        self.assertEqual(message["voiceId"], "JOANNA")

    def test_a_dry_run_is_checked_and_not_sent(self):
        self.assertTrue(send_text(client(), DryRun=True)["MessageId"])
        self.assertEqual(messages(), [])


class Refusals(Sim):
    def assert_validation(self, error, reason, field):
        self.assertEqual(error.response["Error"]["Code"], "ValidationException")
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(error.response["Reason"], reason)
        self.assertEqual(error.response["Fields"][0]["Name"], field)
        self.assertTrue(error.response["Error"]["Message"])

    def test_an_invalid_number_is_a_validation_error_on_the_field(self):
        sms = client()
        for bad in ["+1415555", "14155552671", "+999123456789", "+44 7700 900123"]:
            with self.subTest(bad), self.assertRaises(sms.exceptions.ValidationException) as caught:
                send_text(sms, to=bad)
            self.assert_validation(caught.exception, "INVALID_PARAMETER", "DestinationPhoneNumber")
        self.assertEqual(messages(), [])

    def test_a_blocked_country_is_a_validation_error_with_its_reason(self):
        sms = client()
        with self.assertRaises(sms.exceptions.ValidationException) as caught:
            send_text(sms, to="+447400123456")
        self.assert_validation(caught.exception, "DESTINATION_COUNTRY_BLOCKED", "DestinationPhoneNumber")
        self.assertEqual(messages(), [])

    def test_an_unknown_origination_identity_is_not_found(self):
        sms = client()
        with self.assertRaises(sms.exceptions.ResourceNotFoundException) as caught:
            send_text(sms, OriginationIdentity="+12065550199")
        self.assertEqual(caught.exception.response["ResourceType"], "phone-number")
        self.assertEqual(caught.exception.response["ResourceId"], "+12065550199")

    def test_an_unsigned_request_is_refused(self):
        with self.assertRaises(ClientError) as caught:
            send_text(client(signed=False))
        self.assertEqual(caught.exception.response["Error"]["Code"], "MissingAuthenticationToken")
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(messages(), [])


class Faults(Sim):
    CASES = [
        ("ThrottlingException", None, 400),
        ("ServiceQuotaExceededException", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT", 400),
        ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT", 400),
        ("AccessDeniedException", "ACCOUNT_DISABLED", 400),
        ("InternalServerException", None, 500),
        ("ValidationException", "PRICE_OVER_THRESHOLD", 400),
    ]

    def test_each_injected_error_is_its_modelled_exception(self):
        sms = client()
        for name, reason, status in self.CASES:
            fault = {"error": name, "count": 1}
            if reason:
                fault["reason"] = reason
            simulator("/_simulator/faults", fault)
            with self.subTest(name), self.assertRaises(getattr(sms.exceptions, name)) as caught:
                send_text(sms)
            response = caught.exception.response
            self.assertEqual(response["Error"]["Code"], name)
            self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], status)
            self.assertTrue(response["Error"]["Message"])
            if reason:
                self.assertEqual(response["Reason"], reason)
        self.assertEqual(messages(), [])

    def test_voice_errors_are_modelled_too(self):
        simulator("/_simulator/faults", {"error": "ThrottlingException", "operation": "SendVoiceMessage"})
        sms = client()
        with self.assertRaises(sms.exceptions.ThrottlingException):
            sms.send_voice_message(DestinationPhoneNumber=TO, OriginationIdentity=FROM, MessageBody="hi")

    def test_boto3_retries_a_throttled_call_and_the_message_goes_once(self):
        simulator("/_simulator/faults", {"error": "ThrottlingException", "count": 2})
        send_text(client(retries=3))
        self.assertEqual(len(messages()), 1)

    def test_a_delay_holds_the_answer(self):
        simulator("/_simulator/faults", {"delayMs": 300})
        started = time.monotonic()
        send_text(client())
        self.assertGreaterEqual(time.monotonic() - started, 0.3)


if __name__ == "__main__":
    unittest.main()
