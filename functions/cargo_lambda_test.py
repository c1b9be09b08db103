"""Both functions the way Lambda runs them: `cargo lambda watch` hosts them (with the router and
settings of the workspace's `[workspace.metadata.lambda]`), `cargo lambda invoke` sends the API
Gateway events of `events/`, and the HTTP router serves the API's paths. Run by the test command,
which starts the watch, moto and the Vonage simulator and passes their addresses in.
"""

import json
import os
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

PORT = os.environ["CARGO_LAMBDA_INVOKE_PORT"]
SIM = os.environ["VONAGE_SIM_URL"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def invoke(function, event):
    """`cargo lambda invoke FUNCTION --data-file EVENT`: the function's API Gateway response."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(event, file)
    try:
        out = subprocess.run(
            ["cargo", "lambda", "invoke", function, "--invoke-port", PORT, "--data-file", file.name],
            cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
        ).stdout
    finally:
        os.unlink(file.name)
    response = json.loads(out)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def event(name, body=None):
    with open(os.path.join(ROOT, "events", f"{name}.json")) as file:
        sample = json.load(file)
    if body is not None:
        sample["body"] = json.dumps(body)
    return sample


def sent_code(to):
    with urllib.request.urlopen(f"{SIM}/_simulator/messages") as response:
        messages = json.load(response)
    return [m for m in messages if m["to"] == to][-1]["code"]


class CargoLambda(unittest.TestCase):
    def test_invoke_sends_and_verifies_a_code(self):
        status, sent, headers = invoke("request-otp", event("request-otp", {"phoneNumber": "+1 415 555 0100"}))
        self.assertEqual(status, 200, sent)
        self.assertEqual(sent["phoneNumber"], "+14155550100")
        self.assertEqual(sent["codeLength"], 6)
        self.assertEqual(headers["content-type"], "application/json")

        check = {"requestId": sent["requestId"], "code": sent_code("+14155550100")}
        status, verified, _ = invoke("verify-otp", event("verify-otp", check))
        self.assertEqual(status, 200, verified)
        self.assertEqual((verified["verified"], verified["phoneNumber"]), (True, "+14155550100"))

    def test_the_sample_events_get_their_documented_answers(self):
        status, body, _ = invoke("request-otp", event("request-otp"))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["phoneNumber"], "+14155552671")
        # The sample check names a request this store never issued.
        status, body, _ = invoke("verify-otp", event("verify-otp"))
        self.assertEqual((status, body["code"], body["verified"]), (404, "not_found", False))

    def test_the_router_serves_the_api_paths(self):
        def post(path, body):
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}{path}", data=json.dumps(body).encode(),
                headers={"content-type": "application/json"}, method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=300) as response:
                    return response.status, json.load(response)
            except urllib.error.HTTPError as error:
                return error.code, json.load(error)

        status, sent = post("/api/request-otp", {"phoneNumber": "+447400123999"})
        self.assertEqual(status, 200, sent)
        status, again = post("/api/request-otp", {"phoneNumber": "+447400123999"})
        self.assertEqual((status, again["code"]), (429, "resend_too_soon"))
        status, wrong = post("/api/verify-otp", {"requestId": sent["requestId"], "code": "12"})
        self.assertEqual((status, wrong["code"]), (400, "invalid_request"))


if __name__ == "__main__":
    unittest.main()
