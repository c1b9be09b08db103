import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { confirmSignOut, devMessages } from "./api";
import { Brand, useBrand } from "./brand";
import { useLadder } from "./channels";
import { CodeStep } from "./CodeStep";
import { explain } from "./errors";
import {
  applyToDocument,
  I18nProvider,
  isLanguage,
  load,
  rememberLanguage,
  savedLanguage,
  useI18n,
  type I18n,
  type Language,
} from "./i18n";
import { LanguagePicker } from "./LanguagePicker";
import { PhoneStep } from "./PhoneStep";
import { useSignIn, type SignInCheck } from "./useSignIn";
import { useVerification } from "./useVerification";
import { VerifiedStep } from "./VerifiedStep";

// Loaded only where the local server runs the simulator, never when deployed. (The code step is
// in the page's one file: as a file of its own it cost 0.45 kB more, which the budget has not.)
const SimulatedPhone = lazy(() => import("./SimulatedPhone").then((m) => ({ default: m.SimulatedPhone })));

/** The page in `initial`'s language (the one main.tsx loaded), or the one a sign-in's
 *  application asks for (`ui_locales`) when the person has not chosen one, until the person
 *  picks another. */
export function App({ initial }: { initial: I18n }) {
  const [i18n, setI18n] = useState(initial);
  const flow = useSignIn();
  // A choice the person made on an earlier visit comes before the application's; one made here
  // replaces it (the application's is applied once).
  const [chosenBefore] = useState(() => isLanguage(savedLanguage() ?? ""));
  const suggested = flow?.kind === "sign-in" ? flow.signIn.locale : undefined;
  const asked = !chosenBefore && suggested !== initial.lang ? suggested : undefined;
  const [applied, setApplied] = useState<Language | undefined>();
  useEffect(() => {
    if (!asked) return;
    void load(asked)
      .then((next) => {
        applyToDocument(next);
        setI18n(next);
      })
      // Not even English arrived: the page stays in the language it has.
      .catch(() => undefined)
      .then(() => setApplied(asked));
  }, [asked]);
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
      {/* The sign-in shows once in its language, never first in another. */}
      <Page flow={asked && applied !== asked ? null : flow} />
    </I18nProvider>
  );
}

function Page({ flow }: { flow: SignInCheck | null }) {
  const i18n = useI18n();
  const brand = useBrand();
  const [simulator, setSimulator] = useState(false);
  useEffect(() => void devMessages().then((messages) => setSimulator(messages !== null)), []);
  const signIn = flow?.kind === "sign-in" ? flow.signIn : null;
  // The application the person is signing in to, if one sent them.
  const forName = signIn?.name;
  const { state, botCheck, send, resend, sendInstead, check, startOver } = useVerification(signIn);
  const ladder = useLadder(signIn);
  // The page answers input from here on (the e2e run reports this mark as time to interactive).
  useEffect(() => void performance.mark("page-interactive"), []);

  if (flow === null) return <main aria-busy="true" />;
  if (flow.kind === "confirm-sign-out") return <ConfirmSignOut fields={flow.fields} />;
  if (flow.kind !== "none" && flow.kind !== "sign-in") {
    const [title, body] = notice(flow, i18n);
    return (
      <main>
        <div className="card">
          <Brand brand={brand} />
          <section aria-labelledby="step-title">
            <h1 id="step-title">{title}</h1>
            <p role={flow.kind === "signed-out" ? undefined : "alert"}>{body}</p>
          </section>
        </div>
        <LanguagePicker />
      </main>
    );
  }

  return (
    <>
      <main>
        <div className="card">
          <Brand brand={brand} />
          {state.step === "phone" && (
            <PhoneStep
              busy={state.busy}
              error={state.error}
              onSend={send}
              channels={ladder}
              forName={forName}
              hint={signIn?.loginHint}
            />
          )}
          {state.step === "code" && (
            <CodeStep
              sent={state.sent}
              busy={state.busy}
              error={state.error}
              attempt={state.attempt}
              onCheck={(code) => check(state.sent.requestId, code)}
              onResend={() => resend(state.sent)}
              onSendInstead={(channel) => sendInstead(state.sent, channel)}
              onChangeNumber={startOver}
            />
          )}
          {state.step === "verified" && (
            <VerifiedStep phoneNumber={state.phoneNumber} returningTo={forName} onVerifyAnother={startOver} />
          )}
          {/* The bot check's widget, when it is on: shown only if it needs the person. */}
          <div ref={botCheck} className="bot-check" />
        </div>
        <LanguagePicker />
      </main>
      {simulator && (
        <Suspense fallback={null}>
          <SimulatedPhone refresh={state.step === "code" ? state.sent.requestId : state.step} />
        </Suspense>
      )}
    </>
  );
}

/** Logout, asked about: "Sign out" sends the request back with the person's answer. */
function ConfirmSignOut({ fields }: { fields: [string, string][] }) {
  const { t } = useI18n();
  const brand = useBrand();
  const [busy, setBusy] = useState(false);
  const signOut = () => {
    setBusy(true);
    void confirmSignOut(fields).then((to) => location.assign(to));
  };
  return (
    <main>
      <div className="card">
        <Brand brand={brand} />
        <section aria-labelledby="step-title">
          <h1 id="step-title">{t.signOutTitle}</h1>
          <p>{t.signOutBody}</p>
          <button type="button" className="primary" disabled={busy} onClick={signOut}>
            {t.signOutButton}
          </button>
        </section>
      </div>
      <LanguagePicker />
    </main>
  );
}

/** What the page says instead of a sign-in: a broken link, a sound one that this address may
 *  open again later, a sign-in that is over, or the end of a logout. */
function notice(
  flow: Exclude<SignInCheck, { kind: "none" | "sign-in" | "confirm-sign-out" }>,
  i18n: I18n,
): [string, string] {
  const { t } = i18n;
  switch (flow.kind) {
    case "wait":
      return [t.signInWaitTitle, explain(flow.error, i18n).message];
    case "ended":
      return [t.linkBrokenTitle, explain(flow.error, i18n).message];
    case "signed-out":
      return [t.signedOutTitle, t.signedOutBody];
    case "invalid":
      return [t.linkBrokenTitle, t.linkBrokenBody];
  }
}
