// The sign-in an application sent the person in with: the page at `/authorize` is the OpenID
// Connect provider's authorization endpoint, and the server holds the flow it opens (the client,
// its address, state, nonce and challenge): the page keeps only the flow's id and the client's
// name to show.

import { useEffect, useState } from "react";
import { authorize, type ApiError } from "./api";

/** A sign-in the server holds. */
export interface SignInFlow {
  flowId: string;
  name: string;
}

export type SignInCheck =
  | { kind: "none" }
  | { kind: "sign-in"; signIn: SignInFlow }
  | { kind: "invalid" }
  /** The server opens no more sign-ins from this address for now (`too_many_sign_ins`): the
   *  link is fine, and works again after `error.retryAfter`. */
  | { kind: "wait"; error: ApiError };

/** The page's address is the provider's authorization endpoint. */
const AUTHORIZE_PATH = "/authorize";

/** Whether the page was opened as a sign-in: each load of it opens a flow of its own. */
export const asksForSignIn = () => location.pathname === AUTHORIZE_PATH;

/** A link of the retired token-in-the-address flow (`/?client_id=…`): it is a broken link now,
 *  said before a code is sent for nothing. */
const oldLink = () => new URLSearchParams(location.search).has("client_id");

/** The sign-in the address asks for (none, one, or a broken link), or `null` while the server
 *  reads it. A request the server sends back to the client (an error for the client's own
 *  address) leaves the page at once. */
export function useSignIn(): SignInCheck | null {
  const [check, setCheck] = useState<SignInCheck | null>(() =>
    asksForSignIn() ? null : oldLink() ? { kind: "invalid" } : { kind: "none" },
  );
  useEffect(() => {
    if (!asksForSignIn()) return;
    void authorize(location.search).then((result) => {
      if (!result.ok && result.error.code === "too_many_sign_ins")
        return setCheck({ kind: "wait", error: result.error });
      if (!result.ok) return setCheck({ kind: "invalid" });
      const { flowId, clientName, redirectTo } = result.value;
      if (redirectTo) return location.replace(redirectTo);
      setCheck(flowId ? { kind: "sign-in", signIn: { flowId, name: clientName ?? "" } } : { kind: "invalid" });
    });
  }, []);
  return check;
}
