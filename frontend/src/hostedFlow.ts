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

export type FlowCheck = { kind: "none" } | { kind: "flow"; flow: Flow } | { kind: "invalid" };

const MAX_NONCE = 256;
const MAX_STATE = 512;

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
    (nonce !== undefined && (nonce === "" || nonce.length > MAX_NONCE))
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

const KEY = "phone-verification-flow";

/** The flow, kept across a reload of the page (the address loses nothing, but a reload of the
 *  code step should not need the parameters again). */
export function rememberFlow(flow: Flow | null) {
  try {
    if (flow) sessionStorage.setItem(KEY, JSON.stringify(flow));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Private browsing may refuse storage.
  }
}
