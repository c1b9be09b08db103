// Which ways of sending a code the page offers. The operator orders the channels (the ladder; in a
// sign-in, the application's own): the phone step offers the ladder's messages, WhatsApp and SMS,
// and a call only when the ladder has nothing else; the code step offers what the server says
// this number may get next.

import { useEffect, useState } from "react";
import { channelsIn, type Channel, type CodeSent } from "./api";
import { DEFAULT_CHANNELS, pageConfig } from "./config";
import type { SignInFlow } from "./useSignIn";

/** The ladder the phone step offers: the sign-in's application's, else the page's (the default
 *  until /config.json is read: its one button asks for the server's choice all the same). */
export function useLadder(signIn: SignInFlow | null): readonly Channel[] {
  const [page, setPage] = useState(DEFAULT_CHANNELS);
  useEffect(() => void pageConfig().then((config) => setPage(config.channels)), []);
  return signIn?.channels ?? page;
}

/** The channels the phone step has a button for, in the ladder's order. A call is the fallback a
 *  person asks for on the code step ("Call me instead"), so it is offered here only when the
 *  ladder has nothing else. */
export function sendChoices(ladder: readonly Channel[]): readonly Channel[] {
  const messages = ladder.filter((c) => c !== "voice");
  return messages.length > 0 ? messages : ladder.slice(0, 1);
}

/** What the code step offers once the resend wait is over. */
export interface NextChoices {
  /** The channel "Resend code" asks for: the way the code went, while the number may get it
   *  (without one, the server chooses). */
  again?: Channel;
  /** The others the person may ask for instead, in the ladder's order. */
  instead: readonly Channel[];
}

export function nextChoices(sent: CodeSent): NextChoices {
  const offered = channelsIn(sent.channels);
  // A server before ladders (or a code step kept from then): a resend as it chooses, and a call
  // when it says one is available.
  if (!offered) return { instead: sent.callAvailable ? ["voice"] : [] };
  return {
    again: offered.includes(sent.channel) ? sent.channel : undefined,
    instead: offered.filter((c) => c !== sent.channel),
  };
}
