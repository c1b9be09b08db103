// The verification as the page lives it: its state (kept across a reload while the code is
// valid), the bot check, and the two API calls that move it on.

import { useEffect, useReducer, useRef, useState } from "react";
import { requestOtp, verifyOtp } from "./api";
import { BotCheckError, botCheckToken } from "./botCheck";
import { codeLocale, useI18n } from "./i18n";
import { reduce, remember, saved, start } from "./state";
import { asksForSignIn, type SignInFlow } from "./useSignIn";

/** The state, where the bot check's widget goes (`botCheck`, when it is on), and what the
 *  person can do: send a code (again, or by a call), check one, or start over. In a sign-in
 *  (`signIn`), a verification ends it and takes the person back with its code. */
export function useVerification(signIn: SignInFlow | null = null) {
  const i18n = useI18n();
  // A sign-in's code step is not kept across a reload: what is kept does not say which flow the
  // code was asked for in, and a code of another flow cannot end this one (the server refuses it
  // before it spends an attempt).
  const [kept] = useState(() => !asksForSignIn());
  const [state, dispatch] = useReducer(reduce, undefined, () => (kept ? saved() : start));
  const botCheck = useRef<HTMLDivElement>(null);
  useEffect(() => remember(kept ? state : start), [kept, state]);

  async function send(phoneNumber: string, channel: "sms" | "voice" = "sms") {
    dispatch(channel === "voice" ? { type: "call" } : state.step === "code" ? { type: "resend" } : { type: "send" });
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
  return { state, botCheck, send, check, startOver };
}
