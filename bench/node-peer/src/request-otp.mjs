// POST /api/request-otp, as the tutorial's stack would do our work: parse the number, read every
// limit in one BatchGetItem, reserve the send in one TransactWriteItems, start a Vonage Verify v2
// request, write the record.

import { BatchGetItemCommand, PutItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { randomUUID } from "node:crypto";
import { N, S, TABLE, TTL_SECONDS, COOLDOWN_SECONDS, answer, body, day, dynamodb, keyed, refused, seal, verify } from "./common.mjs";

export async function handler(event) {
  const input = body(event);
  if (!input || typeof input.phoneNumber !== "string") {
    return refused(400, "invalid_request", "phoneNumber is required.");
  }
  const channel = input.channel ?? "sms";
  if (!["sms", "voice"].includes(channel)) {
    return refused(400, "invalid_request", 'channel must be "sms" or "voice".');
  }
  let phone;
  try {
    phone = parsePhoneNumberWithError(input.phoneNumber, "US");
  } catch {
    phone = null;
  }
  if (!phone?.isValid()) return refused(400, "invalid_phone_number", "That is not a valid phone number.");
  if (!["MOBILE", "FIXED_LINE_OR_MOBILE"].includes(phone.getType())) {
    return refused(400, "unsupported_number", "This number cannot receive text messages. Use a mobile number.");
  }
  const e164 = phone.number;
  const country = phone.country;
  const now = Math.floor(Date.now() / 1000);
  const hour = Math.floor(now / 3600);
  const today = day(now);
  const client = keyed("client", event.requestContext?.http?.sourceIp ?? "");
  const number = keyed("number", e164);
  const range = keyed("range", e164.slice(0, -4));
  const keys = [
    number,
    `${client}#${hour - 1}`,
    `${client}#${hour}`,
    `${range}#${today - 1}`,
    `${range}#${today}`,
    `country#${country}#0#${today - 1}`,
    `country#${country}#0#${today}`,
    `verified#country#${country}#0#${today - 1}`,
    `verified#country#${country}#0#${today}`,
    `spend#${today}#0`,
    "switch#sending",
  ];
  const read = await dynamodb.send(
    new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys.map((k) => ({ pk: S(k) })) } } }),
  );
  const items = new Map((read.Responses?.[TABLE] ?? []).map((item) => [item.pk.S, item]));
  if (items.get("switch#sending")?.stopped?.BOOL) return refused(503, "sending_stopped", "Sending is stopped.");
  const state = items.get(number);
  const cooldownUntil = Number(state?.cooldown_until?.N ?? 0);
  if (cooldownUntil > now) {
    return answer(429, { error: "A code was just sent.", code: "resend_too_soon", retryAfter: cooldownUntil - now });
  }
  const version = Number(state?.version?.N ?? 0);
  const ttl = now + 2 * 86_400;
  const count = (key, limit) => ({
    Update: {
      TableName: TABLE,
      Key: { pk: S(key) },
      UpdateExpression: "ADD n :one SET #ttl = :ttl",
      ConditionExpression: "attribute_not_exists(n) OR n < :limit",
      ExpressionAttributeNames: { "#ttl": "ttl" },
      ExpressionAttributeValues: { ":one": N(1), ":ttl": N(ttl), ":limit": N(limit) },
    },
  });
  try {
    await dynamodb.send(
      new TransactWriteItemsCommand({
        ClientRequestToken: randomUUID(),
        TransactItems: [
          {
            Put: {
              TableName: TABLE,
              Item: { pk: S(number), version: N(version + 1), cooldown_until: N(now + COOLDOWN_SECONDS), ttl: N(ttl) },
              ConditionExpression: "attribute_not_exists(version) OR version = :version",
              ExpressionAttributeValues: { ":version": N(version) },
            },
          },
          count(`${client}#${hour}`, 1_000_000),
          count(`${range}#${today}`, 1_000_000),
          count(`country#${country}#0#${today}`, 1_000_000),
          count(`spend#${today}#0`, 1_000_000_000),
        ],
      }),
    );
  } catch (e) {
    if (e.name === "TransactionCanceledException") return refused(429, "rate_limited", "Too many codes were requested.");
    throw e;
  }
  const requestId = randomUUID().replaceAll("-", "");
  const started = await verify.newRequest({
    brand: process.env.VONAGE_BRAND,
    codeLength: 6,
    channelTimeout: TTL_SECONDS,
    clientRef: requestId,
    workflow: [{ channel: channel === "voice" ? "voice" : "sms", to: e164.slice(1) }],
  });
  await dynamodb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        pk: S(`verification#${requestId}`),
        provider_id: S(started.requestId),
        phone_sealed: { B: seal(e164) },
        country: S(country),
        channel: S(channel),
        attempts: N(0),
        status: S("pending"),
        expires_at: N(now + TTL_SECONDS),
        ttl: N(now + TTL_SECONDS + 86_400),
      },
      ConditionExpression: "attribute_not_exists(pk)",
    }),
  );
  return answer(200, {
    requestId,
    phoneNumber: e164,
    expiresAt: new Date((now + TTL_SECONDS) * 1000).toISOString().replace(".000Z", "Z"),
    resendAvailableAt: new Date((now + COOLDOWN_SECONDS) * 1000).toISOString().replace(".000Z", "Z"),
    codeLength: 6,
    channel,
    // The default ladder, as ours answers it: SMS, and a call on request.
    channels: ["sms", "voice"],
    // Calls are offered on request, as ours offers them by default.
    callAvailable: channel === "sms",
  });
}
