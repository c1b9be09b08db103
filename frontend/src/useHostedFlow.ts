// The flow an application sent the person in with, as the page lives it: an OpenID Connect
// sign-in opened on the server (the page at `/authorize`), or the hosted flow read from the
// address against the published clients.

import { useEffect, useState } from "react";
import { authorize } from "./api";
import { pageConfig } from "./config";
import { asksForFlow, readFlow, type FlowCheck } from "./hostedFlow";

/** The page's address is the provider's authorization endpoint. */
const AUTHORIZE_PATH = "/authorize";

const asksForSignIn = () => location.pathname === AUTHORIZE_PATH;

/** The flow the address asks for (none, a sign-in, a registered client's, or a broken link), or
 *  `null` while it is read. A sign-in whose request the server sends back to the client (an
 *  error for the client's own address) leaves the page at once. */
export function useHostedFlow(): FlowCheck | null {
  const [flow, setFlow] = useState<FlowCheck | null>(() =>
    asksForSignIn() || asksForFlow(location.search) ? null : { kind: "none" },
  );
  useEffect(() => {
    if (asksForSignIn()) {
      void authorize(location.search).then((result) => {
        if (!result.ok) return setFlow({ kind: "invalid" });
        const { flowId, clientName, redirectTo } = result.value;
        if (redirectTo) return location.replace(redirectTo);
        setFlow(flowId ? { kind: "sign-in", signIn: { flowId, name: clientName ?? "" } } : { kind: "invalid" });
      });
      return;
    }
    if (!asksForFlow(location.search)) return;
    void pageConfig().then((config) => setFlow(readFlow(location.search, config.clients)));
  }, []);
  return flow;
}
