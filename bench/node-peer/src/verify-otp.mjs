// POST /api/verify-otp, as the tutorial's stack would do our work: count the attempt with a
// conditional UpdateItem, check the code with Vonage Verify v2, settle the record in one
// TransactWriteItems and then credit the country's verifications in another (ours keeps a
// throttled counter from taking the verification). With sign-in on, its keys and clients are read
// from the sign-in secret at init (one GetSecretValue), the keys parsed and their public halves
// made, as ours does.

import { TransactWriteItemsCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import { MAX_ATTEMPTS, N, S, TABLE, answer, body, day, dynamodb, refused, unseal, verify } from "./common.mjs";

async function readSignIn(secretId) {
  const secrets = new SecretsManagerClient({ maxAttempts: 3 });
  const read = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  const values = JSON.parse(read.SecretString);
  const pems = values.TOKEN_SIGNING_KEYS.match(/-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----/g);
  const keys = pems.map((pem) => createPrivateKey(pem));
  const jwks = keys.map((key) => createPublicKey(key).export({ format: "jwk" }));
  const clients = JSON.parse(values.RELYING_PARTIES ?? "[]");
  const clientSecrets = JSON.parse(values.RELYING_PARTY_SECRETS ?? "{}");
  return { issuer: process.env.TOKEN_ISSUER, keys, jwks, clients, clientSecrets };
}

export const signIn = process.env.TOKEN_ISSUER ? await readSignIn(process.env.SIGN_IN_SECRET_ID) : null;

export async function handler(event) {
  const input = body(event);
  if (!input || typeof input.requestId !== "string" || !/^[0-9a-f]{32}$/.test(input.requestId)) {
    return refused(400, "invalid_request", "requestId is not a request id issued by this service.");
  }
  if (typeof input.code !== "string" || !/^[0-9]{6}$/.test(input.code)) {
    return refused(400, "invalid_request", "code must be 6 digits.");
  }
  const now = Math.floor(Date.now() / 1000);
  const key = { pk: S(`verification#${input.requestId}`) };
  let record;
  try {
    const counted = await dynamodb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key,
        UpdateExpression: "ADD attempts :one",
        ConditionExpression: "#status = :pending AND attempts < :max AND expires_at > :now",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":one": N(1), ":pending": S("pending"), ":max": N(MAX_ATTEMPTS), ":now": N(now) },
        ReturnValues: "ALL_NEW",
      }),
    );
    record = counted.Attributes;
  } catch (e) {
    if (e.name === "ConditionalCheckFailedException") return refused(404, "not_found", "Ask for a new code.");
    throw e;
  }
  const status = await verify.checkCode(record.provider_id.S, input.code);
  if (status !== "completed") return refused(400, "incorrect_code", "That code is incorrect.");
  const country = record.country.S;
  const today = day(now);
  await dynamodb.send(
    new TransactWriteItemsCommand({
      ClientRequestToken: randomUUID(),
      TransactItems: [
        {
          Update: {
            TableName: TABLE,
            Key: key,
            UpdateExpression: "SET #status = :verified, verified_at = :now, settle = :due",
            ConditionExpression: "#status = :pending",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":verified": S("verified"),
              ":pending": S("pending"),
              ":now": N(now),
              ":due": S("due"),
            },
          },
        },
      ],
    }),
  );
  await dynamodb.send(
    new TransactWriteItemsCommand({
      ClientRequestToken: randomUUID(),
      TransactItems: [
        {
          Update: {
            TableName: TABLE,
            Key: key,
            UpdateExpression: "REMOVE settle",
            ConditionExpression: "settle = :due",
            ExpressionAttributeValues: { ":due": S("due") },
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: { pk: S(`verified#country#${country}#0#${today}`) },
            UpdateExpression: "ADD verified :one",
            ExpressionAttributeValues: { ":one": N(1) },
          },
        },
      ],
    }),
  );
  return answer(200, {
    verified: true,
    message: "Phone number verified.",
    phoneNumber: unseal(record.phone_sealed.B),
    verifiedAt: new Date(now * 1000).toISOString().replace(".000Z", "Z"),
    channel: record.channel.S,
  });
}
