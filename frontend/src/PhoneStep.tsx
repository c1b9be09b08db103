import { useMemo, useState, type ClipboardEvent, type FormEvent } from "react";
import type { ApiError } from "./api";
import { explain } from "./errors";
import { countries, defaultCountry, formatAsTyped, parsePhone, type CountryCode } from "./phone";

interface Props {
  busy: boolean;
  error: ApiError | null;
  onSend: (e164: string) => void;
  /** The application the person is verifying their number for, in the hosted flow. */
  forName?: string;
}

export function PhoneStep({ busy, error, onSend, forName }: Props) {
  const list = useMemo(() => countries(), []);
  const [country, setCountry] = useState<CountryCode>(() => defaultCountry());
  const [number, setNumber] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const apiProblem = error ? explain(error) : null;
  const message = problem ?? apiProblem?.message ?? null;
  const numberIsWrong = problem !== null || apiProblem?.next === "fix-number";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const parsed = parsePhone(number, country);
    if (!parsed.valid) {
      setProblem(
        parsed.reason === "empty"
          ? "Enter your phone number."
          : "That number doesn't look right. Check it and the country.",
      );
      return;
    }
    setProblem(null);
    onSend(parsed.e164);
  }

  /** A full `+…` number pasted in picks its own country. */
  function paste(event: ClipboardEvent<HTMLInputElement>) {
    const text = event.clipboardData.getData("text");
    const parsed = parsePhone(text, country);
    if (text.trim().startsWith("+") && parsed.valid && parsed.country) {
      event.preventDefault();
      setCountry(parsed.country);
      setNumber(formatAsTyped(text, parsed.country));
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-describedby="phone-help">
      <h1 id="step-title" tabIndex={-1}>
        {forName ? `Verify your phone number for ${forName}` : "Verify your phone number"}
      </h1>
      <p id="phone-help">We'll text you a code to confirm it's yours.</p>
      <div className="field">
        <label htmlFor="country">Country</label>
        <select
          id="country"
          value={country}
          onChange={(e) => setCountry(e.target.value as CountryCode)}
          disabled={busy}
        >
          {list.map((c) => (
            <option key={c.code} value={c.code}>
              {c.flag} {c.name} ({c.dialCode})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="phone">Phone number</label>
        <input
          id="phone"
          type="tel"
          autoComplete="tel"
          inputMode="tel"
          autoFocus
          value={number}
          onChange={(e) => {
            setNumber(formatAsTyped(e.target.value, country));
            setProblem(null);
          }}
          onPaste={paste}
          aria-invalid={numberIsWrong}
          aria-describedby={message ? "phone-error" : undefined}
          disabled={busy}
        />
      </div>
      <p id="phone-error" className="error" role="alert">
        {message}
      </p>
      <button type="submit" disabled={busy} aria-busy={busy}>
        {busy ? "Sending code…" : "Send code"}
      </button>
    </form>
  );
}
