"""The deploy role can create, update and delete every resource of the stack, before any deploy.

CloudFormation calls each resource type's handlers with the deploy role's credentials
(scripts/deploy-stack passes no service role), and each handler calls the permissions its type's
schema publishes. For every resource of the SAM-transformed template and of the nested firewall
template, every permission its create, read, update and delete handlers call must be allowed by
deploy/deploy-role-policy.json for the ARN that resource will have and the condition keys the
request carries, and denied by neither the role's own deny statements nor
deploy/deny-secret-reads.json. What a handler calls only for a property the stack does not set is
listed in UNUSED with the reason; an entry that no handler lists any more fails too.
"""

import unittest

import stack

AWS_MANAGED_TABLE_KEY = (
    "SSESpecification names no KMSMasterKeyId: the AWS managed key aws/dynamodb, whose key policy "
    "lets the account's principals use it through DynamoDB without an IAM grant"
)

# (resource type, permission): why the stack's requests never need it.
UNUSED = {
    # Properties the stack does not set.
    ("AWS::ApiGatewayV2::Api", "s3:getObject"): "reads BodyS3Location; SAM puts the API's definition inline (Body)",
    ("AWS::CloudFormation::Stack", "iam:PassRole"): "passes a stack role; the nested stack has none",
    ("AWS::CloudFormation::Stack", "cloudformation:SetStackPolicy"): "StackPolicy is not set",
    ("AWS::CloudFormation::Stack", "cloudformation:UpdateTerminationProtection"): "termination protection is not set",
    ("AWS::CloudFront::Distribution", "cloudfront:CreateConnectionGroup"): "ConnectionMode tenant-only is not used",
    ("AWS::CloudFront::Distribution", "cloudfront:GetConnectionGroup"): "ConnectionMode tenant-only is not used",
    ("AWS::CloudFront::Distribution", "cloudfront:GetVpcOrigin"): "no VPC origin",
    ("AWS::CloudFront::Distribution", "cloudfront:CreateDistributionWithTags"): (
        "not an IAM action: the API is authorized as CreateDistribution and TagResource"
    ),
    ("AWS::CloudFront::Distribution", "cloudfront:UpdateDistributionWithStagingConfig"): (
        "continuous deployment (a staging distribution) is not used"
    ),
    ("AWS::DynamoDB::Table", "dynamodb:DescribeImport"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:ImportTable"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:UpdateContributorInsights"): "ContributorInsightsSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:DescribeContributorInsights"): "ContributorInsightsSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:EnableKinesisStreamingDestination"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:DisableKinesisStreamingDestination"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:DescribeKinesisStreamingDestination"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:UpdateKinesisStreamingDestination"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "kinesis:DescribeStream"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "kinesis:PutRecords"): "KinesisStreamSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:GetResourcePolicy"): "ResourcePolicy is not set",
    ("AWS::DynamoDB::Table", "dynamodb:PutResourcePolicy"): "ResourcePolicy is not set",
    ("AWS::DynamoDB::Table", "dynamodb:DeleteResourcePolicy"): "ResourcePolicy is not set",
    ("AWS::DynamoDB::Table", "dynamodb:CreateTableReplica"): "a global table's replicas: not this type's",
    ("AWS::DynamoDB::Table", "dynamodb:AssociateTableReplica"): "a global table's replicas: not this type's",
    ("AWS::DynamoDB::Table", "iam:CreateServiceLinkedRole"): "replicas and contributor insights: not used",
    ("AWS::DynamoDB::Table", "dynamodb:Scan"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:Query"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:UpdateItem"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:PutItem"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:GetItem"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:DeleteItem"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "dynamodb:BatchWriteItem"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "s3:GetObject"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "s3:GetObjectMetadata"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "s3:ListBucket"): "ImportSourceSpecification is not set",
    ("AWS::DynamoDB::Table", "logs:CreateLogGroup"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "logs:CreateLogStream"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "logs:DescribeLogGroups"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "logs:DescribeLogStreams"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "logs:PutLogEvents"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "logs:PutRetentionPolicy"): "ImportSourceSpecification is not set (an import's log)",
    ("AWS::DynamoDB::Table", "kms:CreateGrant"): AWS_MANAGED_TABLE_KEY,
    ("AWS::DynamoDB::Table", "kms:Decrypt"): AWS_MANAGED_TABLE_KEY,
    ("AWS::DynamoDB::Table", "kms:DescribeKey"): AWS_MANAGED_TABLE_KEY,
    ("AWS::DynamoDB::Table", "kms:ListAliases"): AWS_MANAGED_TABLE_KEY,
    ("AWS::DynamoDB::Table", "kms:Encrypt"): AWS_MANAGED_TABLE_KEY,
    ("AWS::DynamoDB::Table", "kms:RevokeGrant"): AWS_MANAGED_TABLE_KEY,
    ("AWS::IAM::Role", "iam:UpdateAssumeRolePolicy"): (
        "only when the trust policy changes; SAM's (lambda.amazonaws.com) is fixed, and the role "
        "denies it on purpose: a changed trust policy would hand a function role to someone else"
    ),
    ("AWS::IAM::Role", "iam:DeleteRolePermissionsBoundary"): (
        "only when PermissionsBoundary is removed; denied on purpose: no role of the stack is ever "
        "without the boundary"
    ),
    ("AWS::Lambda::Function", "ec2:DescribeSecurityGroups"): "VpcConfig is not set",
    ("AWS::Lambda::Function", "ec2:DescribeSubnets"): "VpcConfig is not set",
    ("AWS::Lambda::Function", "ec2:DescribeVpcs"): "VpcConfig is not set",
    ("AWS::Lambda::Function", "ec2:DescribeNetworkInterfaces"): "VpcConfig is not set",
    ("AWS::Lambda::Function", "elasticfilesystem:DescribeMountTargets"): "FileSystemConfigs is not set",
    ("AWS::Lambda::Function", "s3files:ListMountTargets"): "FileSystemConfigs is not set",
    ("AWS::Lambda::Function", "kms:CreateGrant"): "KmsKeyArn is not set (AWS's own key)",
    ("AWS::Lambda::Function", "kms:Decrypt"): "KmsKeyArn is not set (AWS's own key)",
    ("AWS::Lambda::Function", "kms:DescribeKey"): "KmsKeyArn is not set (AWS's own key)",
    ("AWS::Lambda::Function", "kms:Encrypt"): "KmsKeyArn is not set (AWS's own key)",
    ("AWS::Lambda::Function", "kms:GenerateDataKey"): "KmsKeyArn is not set (AWS's own key)",
    ("AWS::Lambda::Function", "lambda:GetCodeSigningConfig"): "CodeSigningConfigArn is not set",
    ("AWS::Lambda::Function", "lambda:PutFunctionCodeSigningConfig"): "CodeSigningConfigArn is not set",
    ("AWS::Lambda::Function", "lambda:DeleteFunctionCodeSigningConfig"): "CodeSigningConfigArn is not set",
    ("AWS::Lambda::Function", "lambda:GetLayerVersion"): "Layers is not set",
    ("AWS::Lambda::Function", "lambda:PutFunctionScalingConfig"): "CapacityProviderConfig is not set",
    ("AWS::Lambda::Function", "lambda:PassCapacityProvider"): "CapacityProviderConfig is not set",
    ("AWS::Lambda::Function", "lambda:AssociateRuntimeAlias"): "no runtime alias",
    ("AWS::Lambda::Function", "lambda:PublishVersion"): "AutoPublishAlias is not set: no versions",
    ("AWS::Logs::LogGroup", "logs:GetDataProtectionPolicy"): "DataProtectionPolicy is not set",
    ("AWS::Logs::LogGroup", "logs:PutDataProtectionPolicy"): "DataProtectionPolicy is not set",
    ("AWS::Logs::LogGroup", "logs:DeleteDataProtectionPolicy"): "DataProtectionPolicy is not set",
    ("AWS::Logs::LogGroup", "logs:AssociateKmsKey"): "KmsKeyId is not set (AWS's own key)",
    ("AWS::Logs::LogGroup", "logs:DisassociateKmsKey"): "KmsKeyId is not set (AWS's own key)",
    ("AWS::Logs::LogGroup", "logs:CreateLogDelivery"): "FieldIndexPolicies and deliveries are not set",
    ("AWS::Logs::LogGroup", "s3:REST.PUT.OBJECT"): "not an IAM action; deliveries to S3 are not set",
    ("AWS::Logs::LogGroup", "firehose:TagDeliveryStream"): "deliveries to Firehose are not set",
    ("AWS::Logs::LogGroup", "logs:PutResourcePolicy"): "ResourcePolicyDocument is not set",
    ("AWS::Logs::LogGroup", "logs:DescribeResourcePolicies"): "ResourcePolicyDocument is not set",
    ("AWS::Logs::LogGroup", "logs:DeleteResourcePolicy"): "ResourcePolicyDocument is not set",
    ("AWS::Logs::LogGroup", "logs:PutIndexPolicy"): "FieldIndexPolicies is not set",
    ("AWS::Logs::LogGroup", "logs:DeleteIndexPolicy"): "FieldIndexPolicies is not set",
    ("AWS::Logs::LogGroup", "logs:DescribeIndexPolicies"): "FieldIndexPolicies is not set",
    ("AWS::Logs::LogGroup", "logs:PutBearerTokenAuthentication"): "BearerTokenAuthenticationEnabled is not set",
    ("AWS::Logs::LogGroup", "logs:PutLogGroupDeletionProtection"): "DeletionProtectionEnabled is not set",
    ("AWS::S3::Bucket", "s3:PutBucketAbac"): "AbacStatus is not set",
    ("AWS::S3::Bucket", "s3:TagResource"): "Tags is not set (PutBucketTagging covers the stack's tags)",
    ("AWS::S3::Bucket", "s3:UntagResource"): "Tags is not set (PutBucketTagging covers the stack's tags)",
    ("AWS::S3::Bucket", "s3:PutAnalyticsConfiguration"): "AnalyticsConfigurations is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketAnalyticsConfiguration"): "AnalyticsConfigurations is not set",
    ("AWS::S3::Bucket", "s3:PutBucketCORS"): "CorsConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketCors"): "CorsConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutInventoryConfiguration"): "InventoryConfigurations is not set",
    ("AWS::S3::Bucket", "s3:PutLifecycleConfiguration"): "LifecycleConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketLifecycle"): "LifecycleConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutMetricsConfiguration"): "MetricsConfigurations is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketMetricsConfiguration"): "MetricsConfigurations is not set",
    ("AWS::S3::Bucket", "s3:PutBucketNotification"): "NotificationConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutBucketReplication"): "ReplicationConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutReplicationConfiguration"): "ReplicationConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketReplication"): "ReplicationConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutBucketWebsite"): "WebsiteConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketWebsite"): "WebsiteConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutAccelerateConfiguration"): "AccelerateConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutObjectAcl"): "AccessControl is not set (ownership enforced: no ACLs)",
    ("AWS::S3::Bucket", "s3:PutBucketAcl"): "AccessControl is not set (ownership enforced: no ACLs)",
    ("AWS::S3::Bucket", "s3:GetBucketAcl"): "AccessControl is not set (ownership enforced: no ACLs)",
    ("AWS::S3::Bucket", "s3:PutBucketObjectLockConfiguration"): "ObjectLockConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutObjectLockConfiguration"): "ObjectLockConfiguration is not set",
    ("AWS::S3::Bucket", "iam:PassRole"): "ReplicationConfiguration is not set (its role)",
    ("AWS::S3::Bucket", "s3:DeleteObject"): "ObjectLockConfiguration is not set (a test object)",
    ("AWS::S3::Bucket", "s3:PutBucketLogging"): "LoggingConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutBucketVersioning"): "VersioningConfiguration is not set",
    ("AWS::S3::Bucket", "s3:PutIntelligentTieringConfiguration"): "IntelligentTieringConfigurations is not set",
    ("AWS::S3::Bucket", "s3:GetBucketMetadataTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:CreateBucketMetadataTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketMetadataTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:UpdateBucketMetadataJournalTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:UpdateBucketMetadataInventoryTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:UpdateBucketMetadataAnnotationTableConfiguration"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3:DeleteBucketEncryption"): "BucketEncryption is never removed",
    ("AWS::S3::Bucket", "s3tables:CreateNamespace"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:CreateTable"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:CreateTableBucket"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:GetTable"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:PutTableBucketPolicy"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:PutTableEncryption"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:PutTablePolicy"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:GetTableMetadataLocation"): "MetadataConfiguration is not set",
    ("AWS::S3::Bucket", "s3tables:UpdateTableMetadataLocation"): "MetadataConfiguration is not set",
    ("AWS::SNS::Topic", "sns:PutDataProtectionPolicy"): "DataProtectionPolicy is not set",
    ("AWS::SNS::Topic", "sns:GetDataProtectionPolicy"): "DataProtectionPolicy is not set",
    ("AWS::SNS::Topic", "iam:GetRole"): "DeliveryStatusLogging is not set (its roles)",
    ("AWS::SNS::Topic", "iam:PassRole"): "DeliveryStatusLogging is not set (its roles)",
    ("AWS::ApiGatewayV2::Stage", "apigateway:TagResource"): (
        "not an IAM action: API Gateway authorizes tagging as PUT and DELETE on /tags"
    ),
    ("AWS::ApiGatewayV2::Stage", "apigateway:UntagResource"): (
        "not an IAM action: API Gateway authorizes tagging as PUT and DELETE on /tags"
    ),
    ("AWS::WAFv2::WebACL", "payments:GetConnectedAccount"): "no paid rule group from AWS Marketplace",
}


# Permissions a type's schema does not list but AWS documents elsewhere, by (type, property set).
# An HTTP API stage with AccessLogSettings: "Permissions to activate logging" in API Gateway's
# "Configuring logging for an HTTP API" (the log group itself is the stack's, so not CreateLogGroup;
# DescribeLogStreams, GetLogEvents and FilterLogEvents are for reading the logs, not the deploy).
DOCUMENTED_ELSEWHERE = {
    ("AWS::ApiGatewayV2::Stage", "AccessLogSettings"): [
        "logs:CreateLogDelivery",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:DescribeLogGroups",
    ],
}


def permissions(resource):
    """Each handler's permissions for `resource`, with those documented elsewhere for what it sets."""
    handlers = stack.handler_permissions(resource["Type"])
    for (kind, prop), extra in DOCUMENTED_ELSEWHERE.items():
        if resource["Type"] == kind and prop in resource.get("Properties", {}):
            handlers = {op: ps + extra for op, ps in handlers.items() if op in ("create", "update")} | {
                op: ps for op, ps in handlers.items() if op not in ("create", "update")
            }
    return handlers


def has_target(arns, types):
    return types is not None and (not types or any(k.split()[0] in types for k in arns))


def resources(stage):
    """Every resource the stack of `stage` creates: (template, stack name, logical id, resource)."""
    main = stack.transformed(stage)
    name = stack.stack_name(stage)
    arns = stack.physical_arns(main, stage, name)
    yield from ((arns, logical, r) for logical, r in main["Resources"].items())
    for logical, nested in stack.nested_templates(stage).items():
        nested_name = arns[logical]["stack"].split("/")[1]
        extra = {"NamePrefix": name}
        nested_arns = stack.physical_arns(nested, stage, nested_name, extra)
        yield from ((nested_arns, n, r) for n, r in nested["Resources"].items())


def requests(stage):
    """Every (resource type, logical id, handler, permission, resource ARN, condition context)."""
    for arns, logical, resource in resources(stage):
        kind = resource["Type"]
        for handler, needed in permissions(resource).items():
            for permission in needed:
                types = stack.action_resource_types(permission)
                # A read handler cannot know which properties are set: what it lists is needed,
                # unless it acts on a kind of resource the stack has none of (a KMS key, a
                # definition in S3).
                if (kind, permission) in UNUSED and (handler != "read" or not has_target(arns[logical], types)):
                    continue
                if types is None:
                    yield kind, logical, handler, permission, "no such IAM action: list it in UNUSED", None
                    continue
                targets = ["*"] if not types else [arn for k, arn in arns[logical].items() if k.split()[0] in types]
                if not targets:
                    why = f"acts on {types}: teach stack.physical_arns the ARN, or list it in UNUSED with its reason"
                    yield kind, logical, handler, permission, why, None
                for target in targets:
                    contexts = stack.request_context(permission, resource, stage)
                    if not contexts:
                        yield kind, logical, handler, permission, "no request context: nothing was checked", None
                    for context in contexts:
                        yield kind, logical, handler, permission, target, context


class DeployRole(unittest.TestCase):
    def test_every_handler_permission_is_allowed_for_the_resources_the_stack_will_have(self):
        for stage in stack.STAGES:
            role = stack.Policy(
                stack.deploy_document("deploy/deploy-role-policy.json", stage),
                # The account's guard on revealing reads applies to every principal.
                stack.deploy_document("deploy/deny-secret-reads.json", stage),
            )
            refused = sorted(
                {
                    f"{stage} {logical} ({kind}) {handler}: {permission} on {target} -> "
                    f"{role.decision(permission, target, context) if context is not None else ''}"
                    for kind, logical, handler, permission, target, context in requests(stage)
                    if context is None or not role.allows(permission, target, context)
                }
            )
            self.assertEqual(refused, [], "\n" + "\n".join(refused))

    def test_the_resource_types_are_the_ones_the_role_was_checked_for(self):
        kinds = {r["Type"] for stage in stack.STAGES for _, _, r in resources(stage)}
        # 20 types after the SAM transform, the nested firewall's web ACL among them.
        self.assertIn("AWS::CloudFront::CachePolicy", kinds)
        self.assertIn("AWS::WAFv2::WebACL", kinds)
        for kind in kinds:
            self.assertTrue(stack.handler_permissions(kind), f"{kind}: no handler permissions published")

    def test_each_unused_permission_still_waives_a_request(self):
        """An entry waives a permission a create, update or delete handler lists, or one a read
        handler lists for a kind of resource the stack has none of; any other is stale."""
        waived = set()
        for stage in stack.STAGES:
            for arns, logical, resource in resources(stage):
                kind = resource["Type"]
                for handler, needed in permissions(resource).items():
                    for permission in needed:
                        types = stack.action_resource_types(permission)
                        if handler != "read" or not has_target(arns[logical], types):
                            waived.add((kind, permission))
        stale = sorted(f"{kind}: {p}" for kind, p in UNUSED if (kind, p) not in waived)
        self.assertEqual(stale, [], "UNUSED entries that waive nothing")

    def test_every_action_the_role_names_is_an_iam_action(self):
        policy = stack.deploy_document("deploy/deploy-role-policy.json", "dev")
        unknown = [
            a
            for statement in policy["Statement"]
            for a in stack.as_list(statement["Action"])
            if "*" not in a and stack.action_resource_types(a) is None
        ]
        self.assertEqual(unknown, [], "actions IAM does not know: they allow nothing")

    def test_the_evaluation_refuses_what_iam_refuses(self):
        """The evaluator itself, on the cases the role depends on: a missing action, the wrong
        environment's resource, an unmet condition and an explicit deny each refuse."""
        role = stack.Policy(stack.deploy_document("deploy/deploy-role-policy.json", "dev"))
        own_role = f"arn:aws:iam::{stack.ACCOUNT}:role/phone-verification-dev-RequestOtpFunctionRole-X1"
        boundary = {"iam:PermissionsBoundary": stack.boundary("dev")}
        self.assertTrue(role.allows("iam:CreateRole", own_role, boundary))
        self.assertEqual(role.decision("iam:CreateRole", own_role, {}), "implicit")
        self.assertEqual(
            role.decision("iam:CreateRole", own_role, {"iam:PermissionsBoundary": stack.boundary("prod")}), "implicit"
        )
        self.assertEqual(role.decision("iam:CreateRole", own_role.replace("-dev-", "-prod-"), boundary), "implicit")
        self.assertEqual(role.decision("iam:UpdateAssumeRolePolicy", own_role, boundary), "deny")
        self.assertEqual(role.decision("cloudfront:CreateVpcOrigin", "*", {}), "implicit")


if __name__ == "__main__":
    unittest.main()
