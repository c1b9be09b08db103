import { lazy, Suspense, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { devMessages, requestOtp, verifyOtp } from "./api";
import { BotCheckError, botCheckToken } from "./botCheck";
import { Brand, useBrand } from "./brand";
import { pageConfig } from "./config";
import { asksForFlow, readFlow, returnUrl, type FlowCheck } from "./hostedFlow";
import {
  applyToDocument,
  codeLocale,
  fill,
  I18nProvider,
  LANGUAGES,
  load,
  rememberLanguage,
  useI18n,
  type I18n,
  type Language,
} from "./i18n";
import CodeStep from "./CodeStep";
import { PhoneStep } from "./PhoneStep";
import { formatPhone } from "./phone";
import { reduce, remember, saved } from "./state";

// Loaded only where the local server runs the simulator, never when deployed. (The code step is
// in the page's one file: as a file of its own it cost 0.45 kB more, which the budget has not.)
const SimulatedPhone = lazy(() => import("./SimulatedPhone"));

/** The page in `initial`'s language (the one main.tsx loaded), until the person picks another. */
export function App({ initial }: { initial: I18n }) {
  const [i18n, setI18n] = useState(initial);
  const choose = useMemo(
    () => (lang: Language) => {
      rememberLanguage(lang);
      void load(lang).then((next) => {
        applyToDocument(next);
        setI18n(next);
      });
    },
    [],
  );
  const context = useMemo(() => ({ ...i18n, choose }), [i18n, choose]);
  return (
    <I18nProvider value={context}>
      <Page />
    </I18nProvider>
  );
}

function Page() {
  const i18n = useI18n();
  const { t, choose } = i18n;
  const brand = useBrand();
  const [simulator, setSimulator] = useState(false);
  useEffect(() => void devMessages().then((messages) => setSimulator(messages !== null)), []);
  const [state, dispatch] = useReducer(reduce, undefined, () => saved());
  const first = useRef(true);
  const botCheck = useRef<HTMLDivElement>(null);
  // The hosted flow: none, or known once the published clients are read (`null` until then).
  const [flow, setFlow] = useState<FlowCheck | null>(() => (asksForFlow(location.search) ? null : { kind: "none" }));

  useEffect(() => {
    if (!asksForFlow(location.search)) return;
    void pageConfig().then((config) => {
      setFlow(readFlow(location.search, config.clients));
    });
  }, []);
  const hosted = flow?.kind === "flow" ? flow.flow : null;

  useEffect(() => remember(state), [state]);
  // The page answers input from here on (the e2e run reports this mark as time to interactive).
  useEffect(() => void performance.mark("page-interactive"), []);
  // Move focus to each new step's heading (its input takes focus itself).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (state.step === "verified") document.getElementById("step-title")?.focus();
  }, [state.step]);

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
    const result = await requestOtp(phoneNumber, { channel, locale: codeLocale(i18n), turnstileToken: token });
    dispatch(
      result.ok ? { type: "sent", sent: result.value } : { type: "failed", error: result.error, at: Date.now() },
    );
  }

  async function check(requestId: string, code: string) {
    dispatch({ type: "check" });
    const tokenFor = hosted
      ? { clientId: hosted.clientId, redirectUri: hosted.redirectUri, nonce: hosted.nonce }
      : undefined;
    const result = await verifyOtp(requestId, code, tokenFor);
    if (result.ok && hosted && result.value.token) {
      location.replace(returnUrl(hosted, result.value.token));
    }
    dispatch(
      result.ok
        ? { type: "verified", phoneNumber: result.value.phoneNumber, verifiedAt: result.value.verifiedAt }
        : { type: "failed", error: result.error, at: Date.now() },
    );
  }

  const language = (
    <footer className="language">
      <label htmlFor="language">{t.language}</label>
      <select id="language" value={i18n.lang} onChange={(e) => choose(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.tag}>
            {l.name}
          </option>
        ))}
      </select>
    </footer>
  );

  if (flow === null) return <main aria-busy="true" />;
  if (flow.kind === "invalid") {
    return (
      <main>
        <div className="card">
          <Brand brand={brand} />
          <section aria-labelledby="step-title">
            <h1 id="step-title">{t.linkBrokenTitle}</h1>
            <p role="alert">{t.linkBrokenBody}</p>
          </section>
        </div>
        {language}
      </main>
    );
  }

  return (
    <>
      <main>
        <div className="card">
          <Brand brand={brand} />
          {state.step === "phone" && (
            <PhoneStep busy={state.busy} error={state.error} onSend={send} forName={hosted?.name} />
          )}
          {state.step === "code" && (
            <CodeStep
              sent={state.sent}
              busy={state.busy}
              error={state.error}
              attempt={state.attempt}
              onCheck={(code) => check(state.sent.requestId, code)}
              onResend={() => send(state.sent.phoneNumber)}
              onCall={() => send(state.sent.phoneNumber, "voice")}
              onChangeNumber={() => dispatch({ type: "change-number" })}
            />
          )}
          {state.step === "verified" && (
            <section className="verified" aria-labelledby="step-title">
              <div className="check" aria-hidden="true">
                ✓
              </div>
              <h1 id="step-title" tabIndex={-1}>
                {t.verifiedTitle}
              </h1>
              <p role="status">
                {fill(
                  t.verifiedBody,
                  <span key="phone" dir="ltr">
                    {formatPhone(state.phoneNumber)}
                  </span>,
                )}
                {hosted && ` ${t.takingYouBack(hosted.name)}`}
              </p>
              <button type="button" className="secondary" onClick={() => dispatch({ type: "change-number" })}>
                {t.verifyAnother}
              </button>
            </section>
          )}
          {/* The bot check's widget, when it is on: shown only if it needs the person. */}
          <div ref={botCheck} className="bot-check" />
        </div>
        {language}
      </main>
      {simulator && (
        <Suspense fallback={null}>
          <SimulatedPhone refresh={state.step === "code" ? state.sent.requestId : state.step} />
        </Suspense>
      )}
    </>
  );
}
