import { useEffect, useMemo, useRef, useState, type ClipboardEvent, type FormEvent } from "react";
import type { ApiError, Channel } from "./api";
import { sendChoices } from "./channels";
import { DEFAULT_CHANNELS } from "./config";
import { explain } from "./errors";
import { useI18n } from "./i18n";
import type { Catalogue } from "./i18n/en";
import { show } from "./input";
import { countries, defaultCountry, formatAsTyped, parsePhone, type CountryCode } from "./phone";

interface Props {
  busy: boolean;
  error: ApiError | null;
  /** Sends a code to `e164`, by `channel` when the person chose one. */
  onSend: (e164: string, channel?: Channel) => void;
  /** The channel ladder (the operator's, or the application's in a sign-in). */
  channels?: readonly Channel[];
  /** The application the person is signing in to, in a sign-in. */
  forName?: string;
  /** A number to start from (E.164, the application's `login_hint`): the person may change it. */
  hint?: string;
}

/** What the one "Send code" will do: the server sends by the ladder's first. */
function help(first: Channel | undefined, t: Catalogue): string {
  return first === "whatsapp" ? t.phoneHelpWhatsApp : first === "voice" ? t.phoneHelpCall : t.phoneHelp;
}

/** The country and the number as typed for `hint`, if it is a number. */
function prefill(hint: string | undefined): { country: CountryCode; number: string } {
  const parsed = hint ? parsePhone(hint, defaultCountry()) : null;
  return hint && parsed?.valid && parsed.country
    ? { country: parsed.country, number: formatAsTyped(hint, parsed.country) }
    : { country: defaultCountry(), number: "" };
}

export function PhoneStep({ busy, error, onSend, channels = DEFAULT_CHANNELS, forName, hint }: Props) {
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
  // With one choice, one "Send code" that leaves the channel to the server: its ladder's first,
  // or a call to a landline (which the page cannot tell from a mobile). With more, a button each.
  const choices = sendChoices(channels);
  const choosing = choices.length > 1;
  // The button the person pressed (Enter presses the first): a submit's click comes before it.
  const pressed = useRef<Channel | undefined>(undefined);
  const [sendingBy, setSendingBy] = useState<Channel | undefined>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const parsed = parsePhone(number, country);
    if (!parsed.valid) {
      setProblem(parsed.reason === "empty" ? t.enterNumber : t.errors.invalidNumber);
      return;
    }
    setProblem(null);
    const channel = choosing ? pressed.current : undefined;
    setSendingBy(channel);
    if (channel) onSend(parsed.e164, channel);
    else onSend(parsed.e164);
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
      <p id="phone-help">{choosing ? t.phoneHelpChoose : help(channels[0], t)}</p>
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
      {choosing ? (
        choices.map((channel, i) => (
          <button
            key={channel}
            type="submit"
            className={i === 0 ? undefined : "secondary"}
            onClick={() => (pressed.current = channel)}
            disabled={busy}
            aria-busy={busy && sendingBy === channel}
          >
            {busy && sendingBy === channel ? t.sendingCode : channel === "whatsapp" ? t.sendByWhatsApp : t.sendBySms}
          </button>
        ))
      ) : (
        <button type="submit" disabled={busy} aria-busy={busy}>
          {busy ? t.sendingCode : t.sendCode}
        </button>
      )}
    </form>
  );
}
