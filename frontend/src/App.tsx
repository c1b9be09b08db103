import { useEffect, useRef, useState, type FormEvent } from "react";
import { requestOtp, verifyOtp, type ApiError, type CodeSent } from "./api";

type Step =
  | { name: "phone" }
  | { name: "code"; sent: CodeSent }
  | { name: "verified"; phoneNumber: string };

export function App() {
  const [step, setStep] = useState<Step>({ name: "phone" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function run<T>(call: () => Promise<T>): Promise<T> {
    setBusy(true);
    setError(null);
    try {
      return await call();
    } finally {
      setBusy(false);
    }
  }

  async function send(phoneNumber: string) {
    const result = await run(() => requestOtp(phoneNumber));
    if (result.ok) setStep({ name: "code", sent: result.value });
    else setError(result.error);
  }

  async function check(sent: CodeSent, code: string) {
    const result = await run(() => verifyOtp(sent.requestId, code));
    if (result.ok) setStep({ name: "verified", phoneNumber: result.value.phoneNumber });
    else setError(result.error);
  }

  return (
    <main>
      <h1>Verify your phone number</h1>
      {step.name === "phone" && <PhoneForm busy={busy} onSubmit={send} />}
      {step.name === "code" && (
        <CodeForm
          sent={step.sent}
          busy={busy}
          onSubmit={(code) => check(step.sent, code)}
          onResend={() => send(step.sent.phoneNumber)}
          onChangeNumber={() => {
            setError(null);
            setStep({ name: "phone" });
          }}
        />
      )}
      {step.name === "verified" && (
        <p className="success" role="status">
          ✓ {step.phoneNumber} is verified.
        </p>
      )}
      <p className="error" role="alert" aria-live="assertive">
        {error?.error}
      </p>
    </main>
  );
}

function PhoneForm({ busy, onSubmit }: { busy: boolean; onSubmit: (phone: string) => void }) {
  const [phone, setPhone] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!busy) onSubmit(phone);
  }
  return (
    <form onSubmit={submit}>
      <label htmlFor="phone">Phone number, with + and country code</label>
      <input
        id="phone"
        type="tel"
        autoComplete="tel"
        placeholder="+1 415 555 2671"
        value={phone}
        onChange={(e) => setPhone(e.target.value)}
        required
        autoFocus
      />
      <button type="submit" disabled={busy}>
        {busy ? "Sending…" : "Send code"}
      </button>
    </form>
  );
}

function CodeForm(props: {
  sent: CodeSent;
  busy: boolean;
  onSubmit: (code: string) => void;
  onResend: () => void;
  onChangeNumber: () => void;
}) {
  const { sent, busy } = props;
  const [code, setCode] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), [sent.requestId]);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!busy) props.onSubmit(code);
  }
  return (
    <form onSubmit={submit}>
      <p>
        Code sent to {sent.phoneNumber} ·{" "}
        <button type="button" className="link" onClick={props.onChangeNumber}>
          Change number
        </button>
      </p>
      <label htmlFor="code">{sent.codeLength}-digit code</label>
      <input
        id="code"
        ref={input}
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern={`[0-9]{${sent.codeLength}}`}
        maxLength={sent.codeLength}
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
        required
      />
      <button type="submit" disabled={busy}>
        {busy ? "Checking…" : "Verify"}
      </button>
      <button type="button" className="link" disabled={busy} onClick={props.onResend}>
        Send a new code
      </button>
    </form>
  );
}
