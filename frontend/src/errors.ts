// What the page says for every answer the API can give, and what it offers next. The page owns
// these sentences (each language's catalogue in i18n/); the API's own `error` sentence is for
// other clients, and shown here only for `invalid_request`, whose detail only the API knows.

import type { ApiError, ErrorCode } from "./api";
import type { I18n } from "./i18n";
import type { Catalogue } from "./i18n/en";

/** What the person can do about an error. */
export type NextStep = "fix-number" | "new-code" | "retry" | "wait" | "retype-code";

export interface Explained {
  message: string;
  next: NextStep;
}

type Sentences = Catalogue["errors"];

/** The sentences of each kind: a plain one, and one that names when to try again. */
type KeyOf<Kind> = { [K in keyof Sentences]: Sentences[K] extends Kind ? K : never }[keyof Sentences];
type Sentence = KeyOf<string> | KeyOf<(when: string) => string> | "incorrectCode";

const GENERAL: [Sentence, NextStep] = ["general", "retry"];

/** Each code's sentence and next step; `invalid_request` says its own. */
const TABLE: Record<Exclude<ErrorCode, "invalid_request">, [Sentence, NextStep]> = {
  invalid_phone_number: ["invalidNumber", "fix-number"],
  unsupported_number: ["unsupportedNumber", "fix-number"],
  country_not_allowed: ["countryNotAllowed", "fix-number"],
  // One of the operator's test numbers, where the application signing the person in takes none.
  test_number_refused: ["testNumberRefused", "fix-number"],
  calls_unavailable: ["callsUnavailable", "retry"],
  // A channel the ladder does not offer this number (WhatsApp to a landline, or a ladder changed
  // since the page read it): another of the page's choices may still reach it.
  channel_not_offered: ["channelNotOffered", "retry"],
  incorrect_code: ["incorrectCode", "retype-code"],
  too_many_attempts: ["tooManyAttempts", "new-code"],
  expired: ["expired", "new-code"],
  not_found: ["notFound", "new-code"],
  already_verified: ["alreadyVerified", "new-code"],
  resend_too_soon: ["resendTooSoon", "wait"],
  rate_limited: ["rateLimited", "wait"],
  // A number range or a country receiving codes nobody enters: the page says no more than a
  // person needs (not which limit, nor how much is left).
  destination_paused: ["destinationPaused", "fix-number"],
  sending_paused: ["sendingPaused", "wait"],
  // The operator's switch: they decide when it ends, so no time is promised.
  sending_stopped: ["sendingStopped", "wait"],
  bot_check_failed: ["botCheckFailed", "retry"],
  bot_check_unavailable: ["botCheckUnavailable", "retry"],
  // A sign-in's ten minutes are over: the application starts a new one.
  sign_in_expired: ["signInExpired", "retry"],
  // An address that opened as many sign-ins as its ten minutes allow (the authorization
  // endpoint says so in the page's address): the page says when to try.
  too_many_sign_ins: ["tooManySignIns", "wait"],
  provider_error: ["providerFailed", "retry"],
  provider_timeout: ["providerFailed", "retry"],
  provider_unavailable: ["providerFailed", "retry"],
  // Deployed, the edge firewall refuses addresses on AWS's reputation and anonymous-IP lists.
  forbidden: ["forbidden", "retry"],
  service_unavailable: ["serviceUnavailable", "retry"],
  network_error: ["networkError", "retry"],
  // This page's requests never meet these: a bug of ours, or a server's failure.
  payload_too_large: GENERAL,
  unsupported_media_type: GENERAL,
  method_not_allowed: GENERAL,
  internal_error: GENERAL,
  // Vonage's callbacks, refused: never an answer to the page.
  unauthenticated: GENERAL,
  server_error: GENERAL,
};

/** What to tell the person about `error`, in `i18n`'s language. */
export function explain(error: ApiError, { t, f }: Pick<I18n, "t" | "f">): Explained {
  // Only the API knows which field was wrong and why; it says so in English.
  if (error.code === "invalid_request") return { message: error.error, next: "retry" };
  // A code newer than this page (`ErrorCode` is what it knows): the general sentence.
  const [key, next] = Object.hasOwn(TABLE, error.code) ? TABLE[error.code] : GENERAL;
  if (key === "incorrectCode") return { message: t.errors.incorrectCode(error.attemptsRemaining ?? 0, f), next };
  const sentence = t.errors[key];
  return { message: typeof sentence === "string" ? sentence : sentence(f.wait(error.retryAfter, t.later)), next };
}
