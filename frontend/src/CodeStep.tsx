import { useEffect, useRef, useState, type FormEvent } from "react";
import type { ApiError, Channel, CodeSent } from "./api";
import { nextChoices } from "./channels";
import { useSecondsUntil } from "./countdown";
import { explain } from "./errors";
import { fill, useI18n } from "./i18n";
import type { Catalogue } from "./i18n/en";
import { show } from "./input";
import { maskPhone } from "./phone";

/** The button that asks for the code by `channel` instead. */
function insteadLabel(channel: Channel, t: Catalogue): string {
  return channel === "whatsapp" ? t.sendByWhatsApp : channel === "sms" ? t.sendBySms : t.callInstead;
}

interface Props {
  sent: CodeSent;
  /** Checking a code, sending it again, or asking for it by another channel. */
  busy: "checking" | "resending" | Channel | null;
  error: ApiError | null;
  /** Counts failed answers, so the input clears after each wrong code. */
  attempt: number;
  onCheck: (code: string) => void;
  onResend: () => void;
  /** Asks for the code by another channel: a WhatsApp message, a text, or a call that speaks it
   *  ("Call me instead"). */
  onSendInstead: (channel: Channel) => void;
  onChangeNumber: () => void;
}

export function CodeStep({ sent, busy, error, attempt, onCheck, onResend, onSendInstead, onChangeNumber }: Props) {
  const i18n = useI18n();
  const { t, f } = i18n;
  const [code, setCode] = useState("");
  const input = useRef<HTMLInputElement>(null);
  // A new code, or an answer to the last one: start the input over.
  const round = `${sent.requestId}:${attempt}`;
  const [shownRound, setShownRound] = useState(round);
  if (shownRound !== round) {
    setShownRound(round);
    setCode("");
  }
  const expiresIn = useSecondsUntil(sent.expiresAt);
  const resendIn = useSecondsUntil(sent.resendAvailableAt);
  const explained = error ? explain(error, i18n) : null;
  const needsNewCode = expiresIn === 0 || explained?.next === "new-code";
  const { instead } = nextChoices(sent);

  useEffect(() => input.current?.focus(), [round]);

  // Where the browser offers it, let it read the code from the SMS (it reads no WhatsApp message).
  useEffect(() => {
    if (sent.channel !== "sms" || !("OTPCredential" in window)) return;
    const abort = new AbortController();
    navigator.credentials
      .get({ otp: { transport: ["sms"] }, signal: abort.signal } as CredentialRequestOptions)
      .then((credential) => {
        const otp = (credential as (Credential & { code?: string }) | null)?.code;
        if (otp) submit(otp.replace(/\D/g, "").slice(0, sent.codeLength));
      })
      .catch(() => undefined);
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one request per code sent
  }, [sent.requestId]);

  function submit(value: string) {
    setCode(value);
    if (value.length === sent.codeLength && !busy && !needsNewCode) onCheck(value);
  }

  function typed(field: HTMLInputElement) {
    submit(show(field, field.value.replace(/\D/g, "").slice(0, sent.codeLength)));
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    submit(code);
  }

  const status = needsNewCode
    ? expiresIn === 0 && !explained
      ? t.errors.expired
      : null
    : t.expiresIn(f.clock(expiresIn));
  // How the code went; a channel newer than the page reads as a message, like an SMS.
  const where = sent.channel === "voice" ? t.callingTo : sent.channel === "whatsapp" ? t.sentByWhatsApp : t.sentTo;
  // A number in a right-to-left page still reads left to right.
  const phone = (
    <strong key="phone" dir="ltr">
      {maskPhone(sent.phoneNumber)}
    </strong>
  );

  return (
    <form onSubmit={onSubmit} noValidate>
      <h1 id="step-title" tabIndex={-1}>
        {t.codeTitle}
      </h1>
      <p>
        {fill(where, phone)} ·{" "}
        <button type="button" className="link" onClick={onChangeNumber} disabled={busy !== null}>
          {t.changeNumber}
        </button>
      </p>
      <div className="field">
        <label htmlFor="code">{t.codeLabel(sent.codeLength, f)}</label>
        <input
          id="code"
          ref={input}
          className="code"
          dir="ltr"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern={`[0-9]{${sent.codeLength}}`}
          maxLength={sent.codeLength}
          size={sent.codeLength}
          value={code}
          onChange={(e) => typed(e.target)}
          aria-invalid={explained?.next === "retype-code"}
          aria-describedby="code-status code-error"
          disabled={busy === "checking" || needsNewCode}
        />
      </div>
      <p id="code-status" className="hint" aria-live="off">
        {status}
      </p>
      <p id="code-error" className="error" role="alert">
        {explained?.message}
      </p>
      {!needsNewCode && (
        <button
          type="submit"
          disabled={busy !== null || code.length !== sent.codeLength}
          aria-busy={busy === "checking"}
        >
          {busy === "checking" ? t.checking : t.verify}
        </button>
      )}
      <div className="again">
        <button
          type="button"
          className={needsNewCode ? undefined : "secondary"}
          onClick={onResend}
          disabled={busy !== null || resendIn > 0}
          aria-busy={busy === "resending"}
        >
          {busy === "resending"
            ? t.sending
            : resendIn > 0
              ? t.resendIn(f.clock(resendIn))
              : needsNewCode
                ? t.getNewCode
                : t.resendCode}
        </button>
        {/* Another channel is a send too: offered with "Resend", once the same wait is over. */}
        {resendIn === 0 &&
          instead.map((channel) => (
            <button
              key={channel}
              type="button"
              className="secondary"
              onClick={() => onSendInstead(channel)}
              disabled={busy !== null}
              aria-busy={busy === channel}
            >
              {busy === channel ? (channel === "voice" ? t.calling : t.sending) : insteadLabel(channel, t)}
            </button>
          ))}
      </div>
    </form>
  );
}
