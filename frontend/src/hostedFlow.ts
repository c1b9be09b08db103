// The hosted flow: an application sends a person here with
// `?client_id=…&redirect_uri=…&state=…&nonce=…`; once the number is verified the page sends them
// back to `redirect_uri#token=…&state=…`. Only a registered client, one of its redirect URIs
// letter for letter, and a state get a flow; anything else is an error page and no redirect, so the
// page can never be used to send people (or tokens) anywhere else. The API checks the client and
// the redirect URI again before it signs a token for them.

import type { Client } from "./config";

export interface Flow {
  clientId: string;
  name: string;
  redirectUri: string;
  state: string;
  nonce?: string;
}

/** An OpenID Connect sign-in the server holds (the page was opened at `/authorize`). */
export interface SignInFlow {
  flowId: string;
  name: string;
}

export type FlowCheck =
  { kind: "none" } | { kind: "flow"; flow: Flow } | { kind: "sign-in"; signIn: SignInFlow } | { kind: "invalid" };

// verify-otp takes a nonce of 1 to 256 UTF-8 bytes; the page applies the same rule, so that a nonce
// the API would refuse is an error page here rather than a refusal after the code has been sent.
const MAX_NONCE_BYTES = 256;
// The state never reaches the API: this is the page's own bound, in characters as it always was, so
// that no state a relying party sends today is refused.
const MAX_STATE = 512;

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** Whether the page's address asks for the hosted flow at all. */
export const asksForFlow = (search: string) => new URLSearchParams(search).has("client_id");

/** The flow `search` asks for, checked against the published `clients`. */
export function readFlow(search: string, clients: Client[]): FlowCheck {
  const params = new URLSearchParams(search);
  if (!params.has("client_id") && !params.has("redirect_uri")) return { kind: "none" };
  const client = clients.find((c) => c.clientId === params.get("client_id"));
  const redirectUri = params.get("redirect_uri") ?? "";
  const state = params.get("state") ?? "";
  const nonce = params.get("nonce") ?? undefined;
  if (
    !client ||
    !client.redirectUris.includes(redirectUri) ||
    !state ||
    state.length > MAX_STATE ||
    (nonce !== undefined && (nonce === "" || utf8Bytes(nonce) > MAX_NONCE_BYTES))
  ) {
    return { kind: "invalid" };
  }
  return { kind: "flow", flow: { clientId: client.clientId, name: client.name, redirectUri, state, nonce } };
}

/** Where the person goes back to: the token and state in the fragment, never in a query string. */
export function returnUrl(flow: Flow, token: string): string {
  const fragment = new URLSearchParams({ token, state: flow.state });
  return `${flow.redirectUri}#${fragment.toString()}`;
}
