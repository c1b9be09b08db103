// What the page says for every answer the API can give, and what it offers next. The page owns
// these sentences (they are what gets translated); the API's own `error` sentence is for other
// clients, and shown here only for `invalid_request`, whose detail only the API knows.

import type { ApiError } from "./api";

/** What the person can do about an error. */
export type NextStep = "fix-number" | "new-code" | "retry" | "wait" | "retype-code";

export interface Explained {
  message: string;
  next: NextStep;
}

export function explain(error: ApiError): Explained {
  switch (error.code) {
    case "invalid_phone_number":
      return { message: "That number doesn't look right. Check it and the country.", next: "fix-number" };
    case "unsupported_number":
      return { message: "This number can't receive text messages. Use a mobile number.", next: "fix-number" };
    case "country_not_allowed":
      return { message: "Numbers from this country aren't supported here. Use another number.", next: "fix-number" };
    case "incorrect_code": {
      const left = error.attemptsRemaining ?? 0;
      return {
        message: `That code isn't right. ${left === 1 ? "1 attempt" : `${left} attempts`} left.`,
        next: "retype-code",
      };
    }
    case "too_many_attempts":
      return { message: "Too many incorrect codes. Get a new code to try again.", next: "new-code" };
    case "expired":
      return { message: "This code has expired. Get a new code.", next: "new-code" };
    case "not_found":
      return { message: "This code is no longer valid. Get a new code.", next: "new-code" };
    case "already_verified":
      return { message: "This code was already used. Start again to verify another number.", next: "new-code" };
    case "resend_too_soon":
      return {
        message: `A code was just sent to this number. You can get a new one ${inTime(error.retryAfter)}.`,
        next: "wait",
      };
    case "rate_limited":
      return {
        message: `Too many codes were requested. Try again ${inTime(error.retryAfter)}.`,
        next: "wait",
      };
    case "destination_paused":
      // A number range or a country receiving codes nobody enters: the page says no more than a
      // person needs (not which limit, nor how much is left).
      return {
        message: `We can't send codes to numbers like this one right now. Try again ${inTime(error.retryAfter)}, or use another number.`,
        next: "fix-number",
      };
    case "sending_paused":
      return {
        message: `Sending codes is paused for now. Try again ${inTime(error.retryAfter)}.`,
        next: "wait",
      };
    case "sending_stopped":
      // The operator's switch: they decide when it ends, so no time is promised.
      return { message: "Sending codes is stopped for now. Try again later.", next: "wait" };
    case "bot_check_failed":
      return { message: "We couldn't confirm you're not a robot. Try again.", next: "retry" };
    case "bot_check_unavailable":
      return {
        message:
          "The check that you're not a robot didn't load. Check your connection or turn off blockers, then try again.",
        next: "retry",
      };
    case "invalid_client":
    case "invalid_redirect_uri":
      // The hosted flow's link, refused by the API after the page accepted it (a stale page).
      return {
        message:
          "The site that sent you here isn't set up to verify phone numbers with us. Go back to it and try again.",
        next: "retry",
      };
    case "provider_error":
    case "provider_timeout":
    case "provider_unavailable":
      return { message: "The text message service isn't answering. Try again in a moment.", next: "retry" };
    case "forbidden":
      // Deployed, the edge firewall refuses addresses on AWS's reputation and anonymous-IP lists.
      return {
        message: "Requests from your network aren't accepted. If you use a VPN or a proxy, turn it off and try again.",
        next: "retry",
      };
    case "service_unavailable":
      return { message: "The service is busy. Try again in a moment.", next: "retry" };
    case "network_error":
      return {
        message: "You seem to be offline, or the server can't be reached. Check your connection and try again.",
        next: "retry",
      };
    case "invalid_request":
      return { message: error.error, next: "retry" };
    default:
      return { message: "Something went wrong on our side. Try again in a moment.", next: "retry" };
  }
}

function inTime(seconds: number | undefined): string {
  if (!seconds) return "later";
  if (seconds < 90) return `in ${seconds} seconds`;
  if (seconds <= 90 * 60) return `in ${Math.ceil(seconds / 60)} minutes`;
  return `in ${Math.ceil(seconds / 3600)} hours`;
}
