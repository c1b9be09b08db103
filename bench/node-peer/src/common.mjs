// What both peer functions share: the clients (made once, at init, as the tutorial's stack makes
// them), keyed hashes, the record's sealing, and API Gateway answers. Same work as ours, on the
// same wire: DynamoDB's JSON protocol through the AWS SDK v3, Vonage Verify v2 through
// @vonage/server-sdk.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Vonage } from "@vonage/server-sdk";

const env = process.env;
export const TABLE = env.TABLE_NAME;
export const TTL_SECONDS = 300;
export const COOLDOWN_SECONDS = 60;
export const MAX_ATTEMPTS = 3;

export const dynamodb = new DynamoDBClient({ maxAttempts: 3 });

const vonage = new Vonage(
  { apiKey: env.VONAGE_API_KEY, apiSecret: env.VONAGE_API_SECRET },
  { apiHost: env.VONAGE_API_BASE_URL ?? "https://api.nexmo.com" },
);
// Basic auth, as ours sends (the SDK's Verify v2 client signs a JWT a call by default).
vonage.verify2.authType = "basic";
export const verify = vonage.verify2;

const hashKey = env.PHONE_HASH_KEY;
const sealKey = createHash("sha256").update(`record-cipher:${hashKey}`).digest();

/** A subject's key in the table: HMAC-SHA256 of what it is, never the number itself. */
export const keyed = (kind, value) => `${kind}#${createHmac("sha256", hashKey).update(value).digest("hex")}`;

/** The number, sealed (AES-256-GCM) as ours seals it in the record. */
export function seal(text) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealKey, nonce);
  const sealed = Buffer.concat([cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, sealed]);
}

/** The number a record holds. */
export function unseal(sealed) {
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv("aes-256-gcm", sealKey, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString("utf8");
}

export const S = (s) => ({ S: String(s) });
export const N = (n) => ({ N: String(n) });
export const day = (epochSeconds) => Math.floor(epochSeconds / 86_400);

export function answer(statusCode, body) {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export function refused(statusCode, code, error) {
  return answer(statusCode, { error, code });
}

/** The JSON body of an API Gateway event, or null. */
export function body(event) {
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString() : event.body;
    const parsed = JSON.parse(text ?? "");
    return parsed && typeof parsed === "object" ? parsed : null;
  } catch {
    return null;
  }
}
