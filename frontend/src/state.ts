// The page's one state: which step it is on and what that step is doing.

import type { ApiError, Channel, CodeSent } from "./api";

export type State =
  | { step: "phone"; busy: boolean; error: ApiError | null }
  | {
      step: "code";
      sent: CodeSent;
      /** Checking a code, sending it again, or asking for it by another channel. */
      busy: "checking" | "resending" | Channel | null;
      error: ApiError | null;
      attempt: number;
    }
  | { step: "verified"; phoneNumber: string; verifiedAt: string };

export type Action =
  | { type: "send" }
  | { type: "sent"; sent: CodeSent }
  | { type: "check" }
  | { type: "resend" }
  | { type: "send-instead"; channel: Channel }
  | { type: "verified"; phoneNumber: string; verifiedAt: string }
  | { type: "failed"; error: ApiError; at: number }
  | { type: "change-number" };

export const start: State = { step: "phone", busy: false, error: null };

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "send":
      return state.step === "phone" ? { ...state, busy: true, error: null } : state;
    case "resend":
      return state.step === "code" ? { ...state, busy: "resending", error: null } : state;
    case "send-instead":
      return state.step === "code" ? { ...state, busy: action.channel, error: null } : state;
    case "sent":
      return { step: "code", sent: action.sent, busy: null, error: null, attempt: 0 };
    case "check":
      return state.step === "code" ? { ...state, busy: "checking", error: null } : state;
    case "verified":
      return { step: "verified", phoneNumber: action.phoneNumber, verifiedAt: action.verifiedAt };
    case "failed":
      if (state.step === "phone") return { ...state, busy: false, error: action.error };
      if (state.step === "code") {
        // Asked again too soon (another tab, a reload): count down to when the API allows it.
        const wait = action.error.code === "resend_too_soon" ? action.error.retryAfter : undefined;
        const sent = wait
          ? { ...state.sent, resendAvailableAt: new Date(action.at + wait * 1000).toISOString() }
          : state.sent;
        return { ...state, sent, busy: null, error: action.error, attempt: state.attempt + 1 };
      }
      return state;
    case "change-number":
      return start;
  }
}

const KEY = "phone-verification";

/** Keeps the code step across a reload until the code expires. */
export function saved(now: number = Date.now()): State {
  try {
    const sent = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as CodeSent | null;
    if (sent && Date.parse(sent.expiresAt) > now) return { step: "code", sent, busy: null, error: null, attempt: 0 };
  } catch {
    // Storage unavailable or unreadable: start over.
  }
  return start;
}

export function remember(state: State): void {
  try {
    if (state.step === "code") sessionStorage.setItem(KEY, JSON.stringify(state.sent));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Private browsing may refuse storage; the flow works without it.
  }
}
