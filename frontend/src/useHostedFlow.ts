// The hosted sign-in flow as the page lives it: read from the address once the published
// clients are known.

import { useEffect, useState } from "react";
import { pageConfig } from "./config";
import { asksForFlow, readFlow, type FlowCheck } from "./hostedFlow";

/** The flow the address asks for (none, a registered client's, or a broken link), or `null`
 *  while the published clients are read. */
export function useHostedFlow(): FlowCheck | null {
  const [flow, setFlow] = useState<FlowCheck | null>(() => (asksForFlow(location.search) ? null : { kind: "none" }));
  useEffect(() => {
    if (!asksForFlow(location.search)) return;
    void pageConfig().then((config) => setFlow(readFlow(location.search, config.clients)));
  }, []);
  return flow;
}
