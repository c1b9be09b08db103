import { useEffect, useMemo, useRef, useState, type ClipboardEvent, type FormEvent } from "react";
import type { ApiError } from "./api";
import { explain } from "./errors";
import { useI18n } from "./i18n";
import { show } from "./input";
import { countries, defaultCountry, formatAsTyped, parsePhone, type CountryCode } from "./phone";

interface Props {
  busy: boolean;
  error: ApiError | null;
  onSend: (e164: string) => void;
  /** The application the person is signing in to, in a sign-in. */
  forName?: string;
  /** A number to start from (E.164, the application's `login_hint`): the person may change it. */
  hint?: string;
}

/** The country and the number as typed for `hint`, if it is a number. */
function prefill(hint: string | undefined): { country: CountryCode; number: string } {
  const parsed = hint ? parsePhone(hint, defaultCountry()) : null;
  return hint && parsed?.valid && parsed.country
    ? { country: parsed.country, number: formatAsTyped(hint, parsed.country) }
    : { country: defaultCountry(), number: "" };
}

export function PhoneStep({ busy, error, onSend, forName, hint }: Props) {
  const i18n = useI18n();
  const { t } = i18n;
  // Country names in the page's language, sorted as it sorts.
  const list = useMemo(() => countries(i18n.tag), [i18n.tag]);
  const [start] = useState(() => prefill(hint));
  const [country, setCountry] = useState<CountryCode>(start.country);
  const [number, setNumber] = useState(start.number);
  const [problem, setProblem] = useState<string | null>(null);
  const apiProblem = error ? explain(error, i18n) : null;
  const message = problem ?? apiProblem?.message ?? null;
  const numberIsWrong = problem !== null || apiProblem?.next === "fix-number";
  // The number field has focus on arrival, and when the person comes back to change the number.
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const parsed = parsePhone(number, country);
    if (!parsed.valid) {
      setProblem(parsed.reason === "empty" ? t.enterNumber : t.errors.invalidNumber);
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
        {forName ? t.phoneTitleFor(forName) : t.phoneTitle}
      </h1>
      <p id="phone-help">{t.phoneHelp}</p>
      <div className="field">
        <label htmlFor="country">{t.country}</label>
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
        <label htmlFor="phone">{t.phoneNumber}</label>
        <input
          id="phone"
          type="tel"
          dir="ltr"
          autoComplete="tel"
          inputMode="tel"
          ref={input}
          value={number}
          onChange={(e) => {
            setNumber(show(e.target, formatAsTyped(e.target.value, country)));
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
        {busy ? t.sendingCode : t.sendCode}
      </button>
    </form>
  );
}
