"""What the functions' roles let them do once deployed, as IAM decides it: the role's own policy
and the permissions boundary both have to allow a request (the boundary is
deploy/function-permissions-boundary.json as the one-time setup fills it in; the two AWS-managed
policies SAM attaches allow logs and traces only).

The second provider, AWS End User Messaging SMS and voice: request-otp may send a text or make a
call from the origination identity the stack is given, and from nothing else; only once one is
given; and a text sent with the protect configuration given beside it is allowed on that one too.
Which resources a send is authorized against is the Service Authorization Reference's (cfn-lint
ships it): a request is allowed only when every resource it names of a type the action lists is
allowed, by the role and by the boundary.
"""

import unittest

import stack

ACCOUNT = stack.ACCOUNT
IDENTITIES = {
    "phone number": f"arn:aws:sms-voice:{stack.REGION}:{ACCOUNT}:phone-number/phone-0123456789abcdef0123456789abcdef",
    "sender ID": f"arn:aws:sms-voice:{stack.REGION}:{ACCOUNT}:sender-id/Verify/GB",
    "pool": f"arn:aws:sms-voice:{stack.REGION}:{ACCOUNT}:pool/pool-0123456789abcdef0123456789abcdef",
}
PROTECT = "protect-0123456789abcdef0123456789abcdef"
SENDS = ("sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage")


def kind(arn: str) -> str:
    """An ARN's resource type as the Service Authorization Reference names it (`phonenumber`)."""
    return arn.split(":", 5)[5].split("/")[0].replace("-", "")


def protect_arn(protect: str) -> str:
    return f"arn:aws:sms-voice:{stack.REGION}:{ACCOUNT}:protect-configuration/{protect}"


class Role:
    """A function's role in the stack deployed with `parameters`: its own policy and the boundary."""

    def __init__(self, function: str, stage: str, parameters: dict):
        template = stack.transformed(stage)
        role = stack.resolved(template["Resources"][f"{function}Role"], template, parameters, stage)
        documents = [p["PolicyDocument"] for p in role["Properties"]["Policies"]]
        self.policy = stack.Policy(*documents)
        self.boundary = stack.Policy(stack.deploy_document("deploy/function-permissions-boundary.json", stage))

    def may(self, action: str, resources: list[str]) -> bool:
        """Whether a request naming `resources` is allowed: each one the action is authorized
        against, by both policies."""
        types = stack.action_resource_types(action)
        assert types is not None, f"{action} is no IAM action"
        named = [arn for arn in resources if kind(arn) in types]
        assert named, f"{action} is authorized against none of {resources}"
        return all(p.allows(action, arn, {}) for arn in named for p in (self.policy, self.boundary))


class AwsSends(unittest.TestCase):
    def test_request_otp_sends_from_the_identity_it_is_given_and_no_other(self):
        for stage in stack.STAGES:
            for name, identity in IDENTITIES.items():
                role = Role("RequestOtpFunction", stage, {"AwsSmsOriginationIdentity": identity})
                self.assertTrue(role.may("sms-voice:SendTextMessage", [identity]), f"{stage}: a text from a {name}")
                # Calls (and media messages) come from numbers and pools of them, never sender IDs.
                if name != "sender ID":
                    self.assertTrue(role.may("sms-voice:SendVoiceMessage", [identity]), f"{stage}: a call from a {name}")
                    self.assertFalse(role.may("sms-voice:SendMediaMessage", [identity]), f"{stage}: a media message")
                for other_name, other in IDENTITIES.items():
                    if other_name != name:
                        self.assertFalse(role.may("sms-voice:SendTextMessage", [other]), f"{stage}: from {other}")
                another = identity.replace("0123456789abcdef", "fedcba9876543210").replace("Verify", "Other")
                self.assertFalse(role.may("sms-voice:SendTextMessage", [another]), f"{stage}: from {another}")

    def test_a_text_with_the_protect_configuration_given_and_no_other(self):
        identity = IDENTITIES["phone number"]
        for stage in stack.STAGES:
            given = {"AwsSmsOriginationIdentity": identity, "AwsSmsProtectConfigurationId": PROTECT}
            role = Role("RequestOtpFunction", stage, given)
            self.assertTrue(role.may("sms-voice:SendTextMessage", [identity, protect_arn(PROTECT)]), stage)
            self.assertFalse(role.may("sms-voice:SendTextMessage", [identity, protect_arn("protect-other")]), stage)
            # A call is not authorized against the protect configuration: only the identity counts.
            self.assertTrue(role.may("sms-voice:SendVoiceMessage", [identity, protect_arn(PROTECT)]), stage)
            # Without one given, a text that names one is refused.
            role = Role("RequestOtpFunction", stage, {"AwsSmsOriginationIdentity": identity})
            self.assertFalse(role.may("sms-voice:SendTextMessage", [identity, protect_arn(PROTECT)]), stage)

    def test_nothing_is_sent_by_aws_with_it_off_nor_by_verify_otp(self):
        for stage in stack.STAGES:
            off = Role("RequestOtpFunction", stage, {})
            for function, parameters in [("RequestOtpFunction", {}), ("VerifyOtpFunction", {
                "AwsSmsOriginationIdentity": IDENTITIES["pool"], "AwsSmsProtectConfigurationId": PROTECT,
            })]:
                role = off if function == "RequestOtpFunction" else Role(function, stage, parameters)
                for action in SENDS:
                    for identity in IDENTITIES.values():
                        if kind(identity) in stack.action_resource_types(action):
                            self.assertFalse(role.may(action, [identity]), f"{stage} {function}: {action} from {identity}")
                    self.assertFalse(
                        any("sms-voice" in str(s) for s in role.policy.statements), f"{stage} {function}: {role.policy.statements}"
                    )

    def test_the_boundary_alone_refuses_another_accounts_identity(self):
        """Even a role that allowed every identity could not send from one shared by another
        account: the boundary holds the sends to this account's own."""
        for stage in stack.STAGES:
            boundary = stack.Policy(stack.deploy_document("deploy/function-permissions-boundary.json", stage))
            for identity in IDENTITIES.values():
                theirs = identity.replace(ACCOUNT, "210987654321")
                for action in SENDS:
                    self.assertTrue(boundary.allows(action, identity, {}), f"{stage}: {action} on {identity}")
                    self.assertFalse(boundary.allows(action, theirs, {}), f"{stage}: {action} on {theirs}")


if __name__ == "__main__":
    unittest.main()
