import { useEffect, useRef, useState, type FormEvent } from "react";
import type { ApiError, CodeSent } from "./api";
import { clock, useSecondsUntil } from "./countdown";
import { explain } from "./errors";
import { maskPhone } from "./phone";

interface Props {
  sent: CodeSent;
  busy: "checking" | "resending" | null;
  error: ApiError | null;
  /** Counts failed answers, so the input clears after each wrong code. */
  attempt: number;
  onCheck: (code: string) => void;
  onResend: () => void;
  onChangeNumber: () => void;
}

export default function CodeStep({ sent, busy, error, attempt, onCheck, onResend, onChangeNumber }: Props) {
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
  const explained = error ? explain(error) : null;
  const needsNewCode = expiresIn === 0 || explained?.next === "new-code";

  useEffect(() => input.current?.focus(), [round]);

  // Where the browser offers it, let it read the code from the SMS.
  useEffect(() => {
    if (!("OTPCredential" in window)) return;
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

  function typed(value: string) {
    submit(value.replace(/\D/g, "").slice(0, sent.codeLength));
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    submit(code);
  }

  const status = needsNewCode
    ? expiresIn === 0 && !explained
      ? "This code has expired. Get a new code."
      : null
    : `Code expires in ${clock(expiresIn)}`;

  return (
    <form onSubmit={onSubmit} noValidate>
      <h1 id="step-title" tabIndex={-1}>
        Enter the code
      </h1>
      <p>
        Sent to <strong>{maskPhone(sent.phoneNumber)}</strong> ·{" "}
        <button type="button" className="link" onClick={onChangeNumber} disabled={busy !== null}>
          Change number
        </button>
      </p>
      <div className="field">
        <label htmlFor="code">{sent.codeLength}-digit code</label>
        <input
          id="code"
          ref={input}
          className="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern={`[0-9]{${sent.codeLength}}`}
          maxLength={sent.codeLength}
          size={sent.codeLength}
          style={{ width: `${sent.codeLength * 1.3 + 1.2}em` }}
          value={code}
          onChange={(e) => typed(e.target.value)}
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
          {busy === "checking" ? "Checking…" : "Verify"}
        </button>
      )}
      <button
        type="button"
        className={needsNewCode ? undefined : "secondary"}
        onClick={onResend}
        disabled={busy !== null || resendIn > 0}
        aria-busy={busy === "resending"}
      >
        {busy === "resending"
          ? "Sending…"
          : resendIn > 0
            ? `Resend code in ${clock(resendIn)}`
            : needsNewCode
              ? "Get a new code"
              : "Resend code"}
      </button>
    </form>
  );
}
