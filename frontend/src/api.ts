// The API calls, with every answer turned into a typed result. Network failures and answers that
// are not the API's JSON get codes of their own, so the page can tell them apart.

const BASE = ((import.meta.env.VITE_API_BASE_URL as string | undefined) ?? "/api").replace(/\/$/, "");

/** The ways a code can go: a WhatsApp message, a text message, or a call that speaks it. */
export const CHANNELS = ["whatsapp", "sms", "voice"] as const;

export type Channel = (typeof CHANNELS)[number];

/** A ladder as the server sends it (/config.json, a sign-in, a code's answer): the channels this
 *  page knows, once each, in the server's order; `undefined` when it is no list at all. A newer
 *  server may name a channel this page cannot offer: it is left out, not the whole ladder. */
export function channelsIn(raw: unknown): Channel[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return CHANNELS.filter((c) => raw.includes(c)).sort((a, b) => raw.indexOf(a) - raw.indexOf(b));
}

export interface CodeSent {
  requestId: string;
  phoneNumber: string;
  expiresAt: string;
  resendAvailableAt: string;
  codeLength: number;
  /** How the code went. */
  channel: Channel;
  /** Whether a call may be asked for instead, from `resendAvailableAt`. */
  callAvailable: boolean;
  /** The channels the person may ask for next, from `resendAvailableAt`: the ladder as it
   *  applies to this number (a landline's is only `voice`). A server before ladders sends none. */
  channels?: Channel[];
}

export interface Verified {
  verified: true;
  message: string;
  phoneNumber: string;
  verifiedAt: string;
  channel: Channel;
  /** In a sign-in: where the person goes back to, with the code. */
  redirectTo?: string;
  /** One of the operator's test numbers. */
  testNumber?: true;
}

/** A sign-in the authorization endpoint opened (`/sign-in?flow=<id>`), as the server holds it:
 *  the client's name, whether it asked for the number, and what it suggested: the number to
 *  prefill (`login_hint`, E.164; the person still proves it) and the page's language
 *  (`ui_locales`, one the page has); and the application's channel ladder, which replaces the
 *  page's (/config.json). */
export interface SignIn {
  flowId: string;
  clientName: string;
  phoneScope: boolean;
  loginHint?: string;
  locale?: string;
  /** `null` where the application has no ladder of its own. */
  channels?: Channel[] | null;
}

/** Reads the sign-in `flowId` names (410 `sign_in_expired` once it is over or unknown). */
export const authorize = (flowId: string) => post<SignIn>("/authorize", { flowId });

/** The person's "Sign out": the logout request the server asked about (`fields`, with
 *  `confirm=1`), sent back from this page. Where to go next: where the server says, or where its
 *  refusal led. */
export async function confirmSignOut(fields: [string, string][]): Promise<string> {
  const response = await fetch("/oauth/logout", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  if (response.headers.get("content-type")?.startsWith("application/json")) {
    const answer = (await response.json()) as { redirectTo?: string };
    if (answer.redirectTo) return answer.redirectTo;
  }
  return response.url;
}

/** Every `code` the API answers a failure with: openapi.yaml's `Error.code`, in its order (a
 *  test keeps the two the same). */
export const API_ERROR_CODES = [
  "invalid_request",
  "payload_too_large",
  "unsupported_media_type",
  "method_not_allowed",
  "forbidden",
  "bot_check_failed",
  "invalid_phone_number",
  "unsupported_number",
  "calls_unavailable",
  "channel_not_offered",
  "country_not_allowed",
  "test_number_refused",
  "unauthenticated",
  "resend_too_soon",
  "rate_limited",
  "destination_paused",
  "sending_paused",
  "sending_stopped",
  "incorrect_code",
  "too_many_attempts",
  "not_found",
  "expired",
  "sign_in_expired",
  "already_verified",
  "provider_error",
  "provider_timeout",
  "provider_unavailable",
  "service_unavailable",
  "internal_error",
] as const;

/** A failure's code: the API's, or one this client gives what the API never answered: no
 *  connection, an answer that is not the API's JSON, a bot check that did not load; or the
 *  authorization endpoint's, which it sends the page in its address (`/sign-in?error=`). */
export type ErrorCode =
  (typeof API_ERROR_CODES)[number] | "network_error" | "server_error" | "bot_check_unavailable" | "too_many_sign_ins";

export interface ApiError {
  /** As the API sent it: a newer API may send a code this page does not know, which `explain`
   *  answers with its general sentence. */
  code: ErrorCode;
  error: string;
  retryAfter?: number;
  attemptsRemaining?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

async function post<T>(path: string, body: unknown): Promise<Result<T>> {
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, error: { code: "network_error", error: "The server could not be reached." } };
  }
  const json: unknown = await response.json().catch(() => null);
  if (response.ok && json && typeof json === "object") return { ok: true, value: json as T };
  if (json && typeof json === "object" && typeof (json as ApiError).code === "string") {
    return { ok: false, error: json as ApiError };
  }
  return { ok: false, error: { code: "server_error", error: `The server answered ${response.status}.` } };
}

export interface CodeRequest {
  /** The channel the person chose; without one, the server takes its ladder's first for the
   *  number (a landline's is a call). */
  channel?: Channel;
  /** The language to send the code in (the API uses it when Vonage sends codes in it, and
   *  leaves the choice to Vonage otherwise). */
  locale?: string;
  /** The bot check's token, when it is on. */
  turnstileToken?: string;
  /** In a sign-in: the flow the code is for (only it can end with the code). */
  flowId?: string;
}

/** Asks for a code to `phoneNumber`. */
export const requestOtp = (phoneNumber: string, { channel, locale, turnstileToken, flowId }: CodeRequest = {}) =>
  post<CodeSent>("/request-otp", {
    phoneNumber,
    ...(channel ? { channel } : {}),
    ...(locale ? { locale } : {}),
    ...(turnstileToken === undefined ? {} : { turnstileToken }),
    ...(flowId ? { flowId } : {}),
  });

/** Checks `code`; within a sign-in when `flowId` names one. */
export const verifyOtp = (requestId: string, code: string, flowId?: string) =>
  post<Verified>("/verify-otp", { requestId, code, ...(flowId ? { flowId } : {}) });

export interface DevMessage {
  to: string;
  code: string;
  channel: string;
  sentAt: string;
  text: string;
}

/** The simulator's messages when the local server runs it; `null` anywhere else. */
export async function devMessages(): Promise<DevMessage[] | null> {
  try {
    const response = await fetch(`${BASE}/dev/messages`);
    return response.ok ? ((await response.json()) as DevMessage[]) : null;
  } catch {
    return null;
  }
}
