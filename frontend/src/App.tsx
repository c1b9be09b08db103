import { lazy, Suspense, useEffect, useReducer, useRef, useState } from "react";
import { requestOtp, verifyOtp } from "./api";
import { BotCheckError, botCheckToken } from "./botCheck";
import { pageConfig } from "./config";
import { asksForFlow, readFlow, rememberFlow, returnUrl, type FlowCheck } from "./hostedFlow";
import { PhoneStep } from "./PhoneStep";
import { formatPhone } from "./phone";
import { reduce, remember, saved } from "./state";

// Not needed for the first paint (the phone step): both load right after it.
const CodeStep = lazy(() => import("./CodeStep"));
const SimulatedPhone = lazy(() => import("./SimulatedPhone"));

export function App() {
  const [state, dispatch] = useReducer(reduce, undefined, () => saved());
  const first = useRef(true);
  const botCheck = useRef<HTMLDivElement>(null);
  // The hosted flow: none, or known once the published clients are read (`null` until then).
  const [flow, setFlow] = useState<FlowCheck | null>(() => (asksForFlow(location.search) ? null : { kind: "none" }));

  useEffect(() => {
    if (!asksForFlow(location.search)) return;
    void pageConfig().then((config) => {
      const checked = readFlow(location.search, config.clients);
      rememberFlow(checked.kind === "flow" ? checked.flow : null);
      setFlow(checked);
    });
  }, []);
  const hosted = flow?.kind === "flow" ? flow.flow : null;

  useEffect(() => remember(state), [state]);
  // The page answers input from here on (the e2e run reports this mark as time to interactive);
  // then fetch the code step while the person types their number.
  useEffect(() => {
    performance.mark("page-interactive");
    void import("./CodeStep");
  }, []);
  // Move focus to each new step's heading (its input takes focus itself).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (state.step === "verified") document.getElementById("step-title")?.focus();
  }, [state.step]);

  async function send(phoneNumber: string) {
    dispatch(state.step === "code" ? { type: "resend" } : { type: "send" });
    let token: string | undefined;
    try {
      token = botCheck.current ? await botCheckToken(botCheck.current) : undefined;
    } catch (e) {
      const code = e instanceof BotCheckError ? e.code : "bot_check_failed";
      dispatch({ type: "failed", error: { code, error: "" }, at: Date.now() });
      return;
    }
    const result = await requestOtp(phoneNumber, token);
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
      rememberFlow(null);
      location.replace(returnUrl(hosted, result.value.token));
    }
    dispatch(
      result.ok
        ? { type: "verified", phoneNumber: result.value.phoneNumber, verifiedAt: result.value.verifiedAt }
        : { type: "failed", error: result.error, at: Date.now() },
    );
  }

  if (flow === null) return <main aria-busy="true" />;
  if (flow.kind === "invalid") {
    return (
      <main>
        <section aria-labelledby="step-title">
          <h1 id="step-title">This link doesn't work</h1>
          <p role="alert">
            The site that sent you here isn't set up to verify phone numbers with us, or its link is incomplete. Go back
            to that site and try again.
          </p>
        </section>
      </main>
    );
  }

  return (
    <>
      <main>
        {state.step === "phone" && (
          <PhoneStep busy={state.busy} error={state.error} onSend={send} forName={hosted?.name} />
        )}
        {state.step === "code" && (
          <Suspense fallback={<p className="hint">Loading…</p>}>
            <CodeStep
              sent={state.sent}
              busy={state.busy}
              error={state.error}
              attempt={state.attempt}
              onCheck={(code) => check(state.sent.requestId, code)}
              onResend={() => send(state.sent.phoneNumber)}
              onChangeNumber={() => dispatch({ type: "change-number" })}
            />
          </Suspense>
        )}
        {state.step === "verified" && (
          <section className="verified" aria-labelledby="step-title">
            <div className="check" aria-hidden="true">
              ✓
            </div>
            <h1 id="step-title" tabIndex={-1}>
              Phone number verified
            </h1>
            <p role="status">
              {formatPhone(state.phoneNumber)} is verified.{hosted && ` Taking you back to ${hosted.name}…`}
            </p>
            <button type="button" className="secondary" onClick={() => dispatch({ type: "change-number" })}>
              Verify another number
            </button>
          </section>
        )}
        {/* The bot check's widget, when it is on: shown only if it needs the person. */}
        <div ref={botCheck} className="bot-check" />
      </main>
      <Suspense fallback={null}>
        <SimulatedPhone refresh={state.step === "code" ? state.sent.requestId : state.step} />
      </Suspense>
    </>
  );
}
