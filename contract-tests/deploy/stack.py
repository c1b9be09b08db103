"""The stack as CloudFormation will see it, and the deploy role as IAM will judge it.

`transformed(stage)` packages template.yaml as scripts/deploy-stack does (code and the nested
template in the environment's artifact bucket) and runs the SAM transform on it with the SAM CLI's
own translator, so the resources are the ones CloudFormation creates. `handler_permissions(type)`
reads what each resource type's create, read, update and delete handlers call, from the resource
type schemas cfn-lint ships; `action_resource_types(action)` reads which resources an IAM action is
authorized against, from the Service Authorization Reference cfn-lint ships. `Policy.allows` is
IAM's evaluation of one identity policy (an explicit deny wins; conditions as IAM reads them).
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import json
import pathlib
import re

import boto3
import cfnlint
from samcli.yamlhelper import yaml_parse
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGES = ("dev", "prod")
DATA = pathlib.Path(cfnlint.__file__).parent / "data"


def stack_name(stage: str) -> str:
    return f"phone-verification-{stage}"


def artifacts_bucket(stage: str) -> str:
    return f"phone-verification-artifacts-{stage}-{ACCOUNT}"


def read_template(path: str) -> dict:
    return yaml_parse((ROOT / path).read_text())


def packaged(stage: str) -> dict:
    """template.yaml as `aws cloudformation package` leaves it: local paths become S3 locations."""
    template = read_template("template.yaml")
    prefix = f"{artifacts_bucket(stage)}/{stack_name(stage)}"
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = f"s3://{prefix}/0123456789abcdef"
        if resource["Type"] == "AWS::Serverless::Application":
            properties["Location"] = f"https://s3.{REGION}.amazonaws.com/{prefix}/fedcba9876543210.template"
    return template


@functools.cache
def _transformed(stage: str) -> str:
    session = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    translator = Translator(managed_policy_map={}, sam_parser=parser.Parser(), boto_session=session)
    parameters = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws", "Stage": stage}
    return json.dumps(translator.translate(sam_template=packaged(stage), parameter_values=parameters))


def transformed(stage: str) -> dict:
    """The packaged template after the SAM transform (a fresh copy)."""
    return json.loads(_transformed(stage))


def nested_templates(stage: str) -> dict[str, dict]:
    """Each nested stack's logical id and its template (the file its SAM Location named)."""
    return {
        name: read_template(resource["Properties"]["Location"])
        for name, resource in read_template("template.yaml")["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Application"
    }


# ---------------------------------------------------------------------------------------------
# What AWS publishes: each resource type's handler permissions, each action's resource types.


@functools.cache
def _schema(resource_type: str) -> dict:
    index = json.loads((DATA / "schemas/providers/us-east-1.json").read_text())
    return json.loads((DATA / f"schemas/resources/{index[resource_type]}.json").read_text())


HANDLERS = ("create", "read", "update", "delete")


def handler_permissions(resource_type: str) -> dict[str, list[str]]:
    """The permissions each of a resource type's create/read/update/delete handlers calls."""
    handlers = _schema(resource_type).get("handlers", {})
    return {op: handlers[op].get("permissions", []) for op in HANDLERS if op in handlers}


@functools.cache
def _service_reference() -> dict:
    return json.loads((DATA / "AdditionalSpecs/Policies.json").read_text())


def action_resource_types(action: str) -> list[str] | None:
    """The resource types an action is authorized against ([] for none: `*`); None for no such action."""
    service, name = action.lower().split(":")
    entry = _service_reference().get(service, {}).get("Actions", {}).get(name)
    if entry is None:
        return None
    return [r.lower() for r in entry.get("Resources", [])]


# ---------------------------------------------------------------------------------------------
# IAM's evaluation of one identity-based policy.


def arn_glob(pattern: str, text: str) -> bool:
    """IAM's wildcards: `*` any run of characters (`/` and `:` too), `?` any one; case-sensitive."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, wanted: list, context: dict) -> bool:
    present = key in context
    values = as_list(context.get(key, []))
    negated = "Not" in operator
    base = operator.replace("Not", "")
    if base in ("StringEquals", "ArnEquals"):
        match = any(v == w for v in values for w in wanted)
    elif base in ("StringLike", "ArnLike"):
        match = any(arn_glob(w, v) for v in values for w in wanted)
    elif base == "Bool":
        match = any(str(v).lower() == str(w).lower() for v in values for w in wanted)
    else:
        raise ValueError(f"condition operator {operator} is not evaluated here")
    if negated:
        return not match if present else True
    return present and match


def conditions_hold(statement: dict, context: dict) -> bool:
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not _condition_holds(operator, key, as_list(wanted), context):
                return False
    return True


def statement_matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    actions = as_list(statement.get("Action", []))
    resources = as_list(statement.get("Resource", []))
    return (
        any(arn_glob(a.lower(), action.lower()) for a in actions)
        and any(arn_glob(r, resource) for r in resources)
        and conditions_hold(statement, context)
    )


class Policy:
    """An identity-based policy (or several documents that apply together)."""

    def __init__(self, *documents: dict):
        self.statements = [s for d in documents for s in d["Statement"]]

    def decision(self, action: str, resource: str, context: dict) -> str:
        """`deny` (an explicit deny), `allow`, or `implicit` (nothing allows it)."""
        matching = [s for s in self.statements if statement_matches(s, action, resource, context)]
        if any(s["Effect"] == "Deny" for s in matching):
            return "deny"
        return "allow" if matching else "implicit"

    def allows(self, action: str, resource: str, context: dict) -> bool:
        return self.decision(action, resource, context) == "allow"


def deploy_document(path: str, stage: str) -> dict:
    """A file of deploy/ as docs/operate/deploy.md's one-time setup fills it in for `stage`."""
    text = (ROOT / path).read_text().replace("ACCOUNT_ID", ACCOUNT).replace("ADMIN_ROLE", "Admin")
    return json.loads(text.replace("STAGE", stage))


def deploy_role(stage: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/phone-verification-deploy/{stage}"


def boundary(stage: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/phone-verification-{stage}-function-boundary"


# ---------------------------------------------------------------------------------------------
# The physical resources a stack of `stage` will have, by logical id: their ARNs, one per kind of
# resource IAM knows (the Service Authorization Reference's names), as CloudFormation names them
# (`<stack>-<logical id>-<random>` where the template names none).


def substitute(value, stage: str, extra: dict | None = None) -> str:
    """A string, `Ref` or `Fn::Sub` of the template, with the stack's pseudo-parameters."""
    names = {
        "AWS::StackName": stack_name(stage),
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "Stage": stage,
        **(extra or {}),
    }
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return names[value["Ref"]]
    text = value["Fn::Sub"]
    return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], text)


def physical_arns(template: dict, stage: str, stack: str, extra: dict | None = None) -> dict[str, dict[str, str]]:
    """For each resource of `template` (deployed as stack `stack`), its ARNs by IAM resource kind."""
    a, r = ACCOUNT, REGION
    arns: dict[str, dict[str, str]] = {}
    resources = template["Resources"]

    def generated(logical: str) -> str:
        return f"{stack}-{logical}-1A2B3C4D5E6F"[:64]

    def named(logical: str, prop: str) -> str:
        value = resources[logical]["Properties"].get(prop)
        return substitute(value, stage, extra) if value is not None else generated(logical)

    api = "a1b2c3d4e5"
    for logical, resource in resources.items():
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind == "AWS::Logs::LogGroup":
            arns[logical] = {"log-group": f"arn:aws:logs:{r}:{a}:log-group:{named(logical, 'LogGroupName')}"}
        elif kind == "AWS::DynamoDB::Table":
            arns[logical] = {"table": f"arn:aws:dynamodb:{r}:{a}:table/{generated(logical)}"}
        elif kind == "AWS::S3::Bucket":
            arns[logical] = {"bucket": f"arn:aws:s3:::{generated(logical).lower()}"}
        elif kind == "AWS::IAM::Role":
            arns[logical] = {"role": f"arn:aws:iam::{a}:role/{generated(logical)}"}
        elif kind == "AWS::Lambda::Function":
            code = props["Code"]
            arns[logical] = {
                "function": f"arn:aws:lambda:{r}:{a}:function:{generated(logical)}",
                "object": f"arn:aws:s3:::{code['S3Bucket']}/{code['S3Key']}",
            }
        elif kind == "AWS::SNS::Topic":
            arns[logical] = {"topic": f"arn:aws:sns:{r}:{a}:{generated(logical)}"}
        elif kind == "AWS::CloudWatch::Alarm":
            arns[logical] = {"alarm": f"arn:aws:cloudwatch:{r}:{a}:alarm:{named(logical, 'AlarmName')}"}
        elif kind == "AWS::CloudWatch::Dashboard":
            arns[logical] = {"dashboard": f"arn:aws:cloudwatch::{a}:dashboard/{named(logical, 'DashboardName')}"}
        elif kind == "AWS::CloudFront::Function":
            arns[logical] = {"function": f"arn:aws:cloudfront::{a}:function/{named(logical, 'Name')}"}
        elif kind.startswith("AWS::CloudFront::"):
            iam_kind = {
                "Distribution": "distribution",
                "OriginAccessControl": "origin-access-control",
                "CachePolicy": "cache-policy",
                "OriginRequestPolicy": "origin-request-policy",
                "ResponseHeadersPolicy": "response-headers-policy",
            }[kind.split("::")[2]]
            arns[logical] = {iam_kind: f"arn:aws:cloudfront::{a}:{iam_kind}/E1A2B3C4D5E6F7"}
        elif kind == "AWS::ApiGatewayV2::Api":
            base = f"arn:aws:apigateway:{r}::/apis"
            arns[logical] = {
                "apis": base,
                "api": f"{base}/{api}",
                "routes": f"{base}/{api}/routes",
                "route": f"{base}/{api}/routes/r1s2t3",
                "integrations": f"{base}/{api}/integrations",
                "integration": f"{base}/{api}/integrations/i1j2k3",
                "deployments": f"{base}/{api}/deployments",
                "deployment": f"{base}/{api}/deployments/d1e2f3",
                "cors": f"{base}/{api}/cors",
                "stages": f"{base}/{api}/stages",
                "stage": f"{base}/{api}/stages/$default",
            }
        elif kind == "AWS::ApiGatewayV2::Stage":
            base = f"arn:aws:apigateway:{r}::/apis/{api}"
            arns[logical] = {
                "stages": f"{base}/stages",
                "stage": f"{base}/stages/$default",
                "routesettings": f"{base}/stages/$default/routesettings/POST%20%2Foauth%2Ftoken",
                "accesslogsettings": f"{base}/stages/$default/accesslogsettings",
            }
        elif kind == "AWS::Lambda::Permission":
            pass  # its function's, below
        elif kind == "AWS::S3::BucketPolicy":
            pass  # its bucket's, below
        elif kind == "AWS::CloudFormation::Stack":
            arns[logical] = {"stack": f"arn:aws:cloudformation:{r}:{a}:stack/{generated(logical)}/0a1b2c3d"}
        elif kind == "AWS::WAFv2::WebACL":
            arns[logical] = {
                "webacl": f"arn:aws:wafv2:{r}:{a}:global/webacl/{named(logical, 'Name')}/0a1b2c3d",
                **{
                    f"managedruleset {group}": f"arn:aws:wafv2:{r}:aws:global/managedruleset/{group}/0a1b2c3d"
                    for group in managed_rule_groups(props)
                },
            }
        else:
            raise AssertionError(f"{logical}: {kind} has no ARN here yet: teach physical_arns its ARNs")
    for logical, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Permission":
            arns[logical] = {"function": arns[props["FunctionName"]["Ref"]]["function"]}
        if resource["Type"] == "AWS::S3::BucketPolicy":
            arns[logical] = {"bucket": arns[props["Bucket"]["Ref"]]["bucket"]}
        if resource["Type"] == "AWS::Lambda::Function":
            role = props["Role"]["Fn::GetAtt"][0]
            arns[logical]["role"] = arns[role]["role"]
    return arns


def managed_rule_groups(web_acl_properties: dict) -> list[str]:
    return [
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in web_acl_properties.get("Rules", [])
        if "ManagedRuleGroupStatement" in rule["Statement"]
    ]


def request_context(action: str, resource: dict, stage: str) -> list[dict]:
    """The condition keys IAM sees for `action` on `resource` (one context per request it makes)."""
    base = {"aws:PrincipalArn": deploy_role(stage)}
    props = resource.get("Properties", {})
    name = action.split(":")[1]
    if resource["Type"] == "AWS::IAM::Role" and name in (
        "CreateRole",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
    ):
        base["iam:PermissionsBoundary"] = substitute(props["PermissionsBoundary"], stage)
        if name in ("AttachRolePolicy", "DetachRolePolicy"):
            return [{**base, "iam:PolicyARN": p} for p in props.get("ManagedPolicyArns", [])]
    if action == "iam:PassRole" and resource["Type"] == "AWS::Lambda::Function":
        base["iam:PassedToService"] = "lambda.amazonaws.com"
    return [base]


# ---------------------------------------------------------------------------------------------
# A template's values as CloudFormation resolves them for a stack with given parameters.


NO_VALUE = object()


def condition(template: dict, name: str, parameters: dict, stage: str) -> bool:
    """Whether the template's condition `name` holds for these parameter values."""
    return _holds(template["Conditions"][name], template, parameters, stage)


def _holds(expression, template: dict, parameters: dict, stage: str) -> bool:
    (function, arguments), = expression.items()
    if function == "Condition":
        return condition(template, arguments, parameters, stage)
    if function == "Fn::Not":
        return not _holds(arguments[0], template, parameters, stage)
    if function == "Fn::And":
        return all(_holds(a, template, parameters, stage) for a in arguments)
    if function == "Fn::Or":
        return any(_holds(a, template, parameters, stage) for a in arguments)
    if function == "Fn::Equals":
        left, right = (resolved(a, template, parameters, stage) for a in arguments)
        return left == right
    raise ValueError(f"{function} is not resolved here")


def resolved(value, template: dict, parameters: dict, stage: str):
    """`value` with its `Fn::If`, `Ref` and `Fn::Sub` resolved: each parameter as `parameters`
    gives it, else its default; `AWS::NoValue` drops the item or key it stands for."""
    names = {
        "AWS::StackName": stack_name(stage),
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        **{name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()},
        "Stage": stage,
        **parameters,
    }
    if isinstance(value, list):
        items = (resolved(v, template, parameters, stage) for v in value)
        return [v for v in items if v is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if list(value) == ["Fn::If"]:
        name, then, otherwise = value["Fn::If"]
        return resolved(then if condition(template, name, parameters, stage) else otherwise, template, parameters, stage)
    if list(value) == ["Ref"]:
        return NO_VALUE if value["Ref"] == "AWS::NoValue" else names.get(value["Ref"], f"{value['Ref']}-physical-id")
    if list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}.]+)\}", lambda m: names.get(m.group(1), f"{m.group(1)}-physical-id"), value["Fn::Sub"])
    items = ((k, resolved(v, template, parameters, stage)) for k, v in value.items())
    return {k: v for k, v in items if v is not NO_VALUE}


def copy_of(value):
    return copy.deepcopy(value)
