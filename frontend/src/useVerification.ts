// The verification as the page lives it: its state (kept across a reload while the code is
// valid), the bot check, and the two API calls that move it on.

import { useEffect, useReducer, useRef, useState } from "react";
import { requestOtp, verifyOtp, type Channel, type CodeSent } from "./api";
import { BotCheckError, botCheckToken } from "./botCheck";
import { nextChoices } from "./channels";
import { codeLocale, useI18n } from "./i18n";
import { reduce, remember, saved, start, type Action } from "./state";
import { asksForSignIn, type SignInFlow } from "./useSignIn";

/** The state, where the bot check's widget goes (`botCheck`, when it is on), and what the
 *  person can do: send a code (again, or by another channel), check one, or start over. In a
 *  sign-in (`signIn`), a verification ends it and takes the person back with its code. */
export function useVerification(signIn: SignInFlow | null = null) {
  const i18n = useI18n();
  // A sign-in's code step is not kept across a reload: what is kept does not say which flow the
  // code was asked for in, and a code of another flow cannot end this one (the server refuses it
  // before it spends an attempt).
  const [kept] = useState(() => !asksForSignIn());
  const [state, dispatch] = useReducer(reduce, undefined, () => (kept ? saved() : start));
  const botCheck = useRef<HTMLDivElement>(null);
  useEffect(() => remember(kept ? state : start), [kept, state]);

  /** Asks for a code to `phoneNumber` by `channel` (without one, by the server's choice), the
   *  step busy as `action` says. */
  async function ask(phoneNumber: string, channel: Channel | undefined, action: Action) {
    dispatch(action);
    let token: string | undefined;
    try {
      token = botCheck.current ? await botCheckToken(botCheck.current) : undefined;
    } catch (e) {
      const code = e instanceof BotCheckError ? e.code : "bot_check_failed";
      dispatch({ type: "failed", error: { code, error: "" }, at: Date.now() });
      return;
    }
    const result = await requestOtp(phoneNumber, {
      channel,
      locale: codeLocale(i18n),
      turnstileToken: token,
      flowId: signIn?.flowId,
    });
    dispatch(
      result.ok ? { type: "sent", sent: result.value } : { type: "failed", error: result.error, at: Date.now() },
    );
  }

  /** The phone step's send: by the channel the person chose, if they chose one. */
  const send = (phoneNumber: string, channel?: Channel) => ask(phoneNumber, channel, { type: "send" });
  /** The code step's: the code `sent` again, the way it went. */
  const resend = (sent: CodeSent) => ask(sent.phoneNumber, nextChoices(sent).again, { type: "resend" });
  /** The code step's: a code by `channel` instead. */
  const sendInstead = (sent: CodeSent, channel: Channel) =>
    ask(sent.phoneNumber, channel, { type: "send-instead", channel });

  async function check(requestId: string, code: string) {
    dispatch({ type: "check" });
    const result = await verifyOtp(requestId, code, signIn?.flowId);
    if (result.ok && signIn && result.value.redirectTo) location.replace(result.value.redirectTo);
    dispatch(
      result.ok
        ? { type: "verified", phoneNumber: result.value.phoneNumber, verifiedAt: result.value.verifiedAt }
        : { type: "failed", error: result.error, at: Date.now() },
    );
  }

  const startOver = () => dispatch({ type: "change-number" });
  return { state, botCheck, send, resend, sendInstead, check, startOver };
}
