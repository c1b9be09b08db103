// The sign-in an application sent the person in with. The authorization endpoint is the server's:
// it reads the application's request, holds the flow it opens (the client, its address, state,
// nonce and challenge) and sends the browser here, to `/sign-in?flow=<id>`, or with the reason it
// opened none (`/sign-in?error=…`). The page keeps only the flow's id, and shows the client's name.
// After a logout that names no address of the application's, the server sends the person to
// `/signed-out`.

import { useEffect, useState } from "react";
import { authorize, channelsIn, type ApiError, type Channel } from "./api";
import { isLanguage, type Language } from "./i18n";

/** A sign-in the server holds, with what its application suggested. */
export interface SignInFlow {
  flowId: string;
  name: string;
  /** The number to prefill (E.164): the person may change it, and proves it with a code. */
  loginHint?: string;
  /** The page's language, unless the person picks one. */
  locale?: Language;
  /** The application's channel ladder, which replaces the page's. */
  channels?: readonly Channel[];
}

export type SignInCheck =
  | { kind: "none" }
  | { kind: "sign-in"; signIn: SignInFlow }
  | { kind: "invalid" }
  /** The server opens no more sign-ins from this address for now (`too_many_sign_ins`): the
   *  link is fine, and works again after `error.retryAfter`. */
  | { kind: "wait"; error: ApiError }
  /** The flow cannot be read: over or unknown (`sign_in_expired`), or the server unreachable. */
  | { kind: "ended"; error: ApiError }
  | { kind: "signed-out" }
  /** Logout asks the person first (the request carried no ID token of theirs): `fields` is the
   *  request, which "Sign out" sends back with their answer. */
  | { kind: "confirm-sign-out"; fields: [string, string][] };

/** Where the authorization endpoint sends the person. */
const SIGN_IN_PATH = "/sign-in";
/** Where a logout without an address of the application's ends. */
const SIGNED_OUT_PATH = "/signed-out";

/** Whether the page was opened as a sign-in. */
export const asksForSignIn = () => location.pathname === SIGN_IN_PATH;

/** A link of the retired token-in-the-address flow (`/?client_id=…`): it is a broken link now,
 *  said before a code is sent for nothing. */
const oldLink = () => new URLSearchParams(location.search).has("client_id");

/** Seconds as the address gives them, if it does. */
function seconds(value: string | null): number | undefined {
  const n = Number(value);
  return value && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** What the address says at once, or `null` when the server must be asked about its flow. */
function fromAddress(): SignInCheck | null {
  if (location.pathname === SIGNED_OUT_PATH) {
    const query = new URLSearchParams(location.search);
    return query.get("confirm") === "1" ? { kind: "confirm-sign-out", fields: [...query] } : { kind: "signed-out" };
  }
  if (!asksForSignIn()) return oldLink() ? { kind: "invalid" } : { kind: "none" };
  const query = new URLSearchParams(location.search);
  const error = query.get("error");
  if (error === "too_many_sign_ins")
    return { kind: "wait", error: { code: error, error: "", retryAfter: seconds(query.get("retryAfter")) } };
  // `invalid_client`, `invalid_redirect_uri`, or a link with no flow: nothing to sign in to.
  if (error || !query.get("flow")) return { kind: "invalid" };
  return null;
}

/** The sign-in the address asks for (none, one, or why there is none), or `null` while the
 *  server reads its flow. */
export function useSignIn(): SignInCheck | null {
  const [check, setCheck] = useState<SignInCheck | null>(fromAddress);
  useEffect(() => {
    const flowId = new URLSearchParams(location.search).get("flow");
    if (fromAddress() !== null || !flowId) return;
    void authorize(flowId).then((result) => {
      if (!result.ok) return setCheck({ kind: "ended", error: result.error });
      const { clientName, loginHint, locale, channels } = result.value;
      const signIn: SignInFlow = { flowId, name: clientName };
      if (loginHint) signIn.loginHint = loginHint;
      if (locale && isLanguage(locale)) signIn.locale = locale;
      // A ladder with no channel this page knows is no ladder: the page's stands.
      const ladder = channelsIn(channels);
      if (ladder?.length) signIn.channels = ladder;
      setCheck({ kind: "sign-in", signIn });
    });
  }, []);
  return check;
}
