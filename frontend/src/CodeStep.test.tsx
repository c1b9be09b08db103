import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiError, CodeSent } from "./api";
import { CodeStep } from "./CodeStep";
import { I18nProvider, load } from "./i18n";
import { renderInEnglish } from "./testing";

const NOW = Date.parse("2026-01-01T12:00:00Z");

function sent(overrides: Partial<CodeSent> = {}): CodeSent {
  return {
    requestId: "0123456789abcdef0123456789abcdef",
    phoneNumber: "+14155552671",
    expiresAt: "2026-01-01T12:05:00Z",
    resendAvailableAt: "2026-01-01T12:01:00Z",
    codeLength: 6,
    channel: "sms",
    callAvailable: true,
    ...overrides,
  };
}

function setup(props: { error?: ApiError | null; attempt?: number; code?: CodeSent } = {}) {
  const handlers = { onCheck: vi.fn(), onResend: vi.fn(), onSendInstead: vi.fn(), onChangeNumber: vi.fn() };
  const view = renderInEnglish(
    <CodeStep
      sent={props.code ?? sent()}
      busy={null}
      error={props.error ?? null}
      attempt={props.attempt ?? 0}
      {...handlers}
    />,
  );
  return { ...handlers, view, input: screen.getByLabelText("6-digit code") };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe("the code step", () => {
  it("is a one-time-code input sized to the code", () => {
    const { input } = setup();
    expect(input).toHaveAttribute("autocomplete", "one-time-code");
    expect(input).toHaveAttribute("inputmode", "numeric");
    expect(input).toHaveAttribute("pattern", "[0-9]{6}");
    expect(input).toHaveAttribute("maxlength", "6");
    expect(screen.getByText(/Sent to/)).toHaveTextContent("Sent to +1 415 *** 2671");
  });

  it("keeps digits only and submits itself on the last digit", () => {
    const { input, onCheck } = setup();
    fireEvent.input(input, { target: { value: "12a3" } });
    expect(input).toHaveValue("123");
    fireEvent.input(input, { target: { value: "123b" } });
    expect(input).toHaveValue("123");
    expect(onCheck).not.toHaveBeenCalled();
    fireEvent.input(input, { target: { value: "123456" } });
    expect(onCheck).toHaveBeenCalledWith("123456");
  });

  it("takes a pasted code with spaces and submits it", () => {
    const { input, onCheck } = setup();
    fireEvent.input(input, { target: { value: "123 456" } });
    expect(onCheck).toHaveBeenCalledWith("123456");
  });

  it("counts down to expiry and to resend, then offers both", () => {
    const { onResend } = setup();
    expect(screen.getByText("Code expires in 5:00")).toBeInTheDocument();
    const resend = screen.getByRole("button", { name: "Resend code in 1:00" });
    expect(resend).toBeDisabled();
    act(() => vi.advanceTimersByTime(59_000));
    expect(screen.getByRole("button", { name: "Resend code in 0:01" })).toBeDisabled();
    act(() => vi.advanceTimersByTime(1_000));
    fireEvent.click(screen.getByRole("button", { name: "Resend code" }));
    expect(onResend).toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(240_000));
    expect(screen.getByText("This code has expired. Get a new code.")).toBeInTheDocument();
    expect(screen.getByLabelText("6-digit code")).toBeDisabled();
    expect(screen.getByRole("button", { name: "Get a new code" })).toBeEnabled();
  });

  it("clears the input and says how many attempts are left after a wrong code", () => {
    const { input, view, onCheck } = setup();
    fireEvent.input(input, { target: { value: "111111" } });
    const wrong: ApiError = { code: "incorrect_code", error: "x", attemptsRemaining: 2 };
    view.rerender(
      <CodeStep
        sent={sent()}
        busy={null}
        error={wrong}
        attempt={1}
        onCheck={onCheck}
        onResend={vi.fn()}
        onSendInstead={vi.fn()}
        onChangeNumber={vi.fn()}
      />,
    );
    expect(screen.getByLabelText("6-digit code")).toHaveValue("");
    expect(screen.getByRole("alert")).toHaveTextContent("2 attempts left");
  });

  it("offers a call with the resend once its wait is over, and says when the code comes by a call", () => {
    const { onSendInstead, view } = setup();
    expect(screen.queryByRole("button", { name: "Call me instead" })).not.toBeInTheDocument();
    act(() => vi.advanceTimersByTime(60_000));
    fireEvent.click(screen.getByRole("button", { name: "Call me instead" }));
    expect(onSendInstead).toHaveBeenCalledWith("voice");
    view.unmount();
    setup({ code: sent({ channel: "voice", callAvailable: false, resendAvailableAt: "2026-01-01T11:59:00Z" }) });
    expect(screen.getByText(/calling/)).toHaveTextContent("We're calling +1 415 *** 2671. Answer to hear your code.");
    expect(screen.queryByRole("button", { name: "Call me instead" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Resend code" })).toBeEnabled();
  });

  it("says when the code went by WhatsApp, and offers the number's other channels once the wait is over", () => {
    const { onSendInstead, onResend } = setup({
      code: sent({ channel: "whatsapp", callAvailable: true, channels: ["whatsapp", "sms", "voice"] }),
    });
    expect(screen.getByText(/Sent by WhatsApp/)).toHaveTextContent("Sent by WhatsApp to +1 415 *** 2671");
    expect(screen.queryByRole("button", { name: "Send by SMS" })).not.toBeInTheDocument();
    act(() => vi.advanceTimersByTime(60_000));
    const again = screen.getByRole("button", { name: "Resend code" }).parentElement;
    expect([...(again?.querySelectorAll("button") ?? [])].map((b) => b.textContent)).toEqual([
      "Resend code",
      "Send by SMS",
      "Call me instead",
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Send by SMS" }));
    expect(onSendInstead).toHaveBeenLastCalledWith("sms");
    fireEvent.click(screen.getByRole("button", { name: "Call me instead" }));
    expect(onSendInstead).toHaveBeenLastCalledWith("voice");
    fireEvent.click(screen.getByRole("button", { name: "Resend code" }));
    expect(onResend).toHaveBeenCalled();
  });

  it("offers WhatsApp after an SMS or a call, and nothing the number may not get", () => {
    const { view } = setup({
      code: sent({ channel: "voice", callAvailable: false, channels: ["whatsapp", "sms", "voice"] }),
    });
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByRole("button", { name: "Send by WhatsApp" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Send by SMS" })).toBeEnabled();
    expect(screen.queryByRole("button", { name: "Call me instead" })).not.toBeInTheDocument();
    view.unmount();
    // A landline: its call again, and nothing else.
    setup({ code: sent({ channel: "voice", callAvailable: false, channels: ["voice"] }) });
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Change number", "Verify", "Resend code"]);
  });

  it("says which channel it is asking for instead", () => {
    const code = sent({ channel: "sms", channels: ["sms", "whatsapp"], resendAvailableAt: "2026-01-01T11:59:00Z" });
    renderInEnglish(
      <CodeStep
        sent={code}
        busy="whatsapp"
        error={null}
        attempt={0}
        onCheck={vi.fn()}
        onResend={vi.fn()}
        onSendInstead={vi.fn()}
        onChangeNumber={vi.fn()}
      />,
    );
    expect(screen.getByRole("button", { name: "Sending…" })).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("button", { name: "Resend code" })).toBeDisabled();
  });

  it("speaks the chosen language, its digits and its plural forms", async () => {
    for (const [lang, label, expires, left] of [
      ["es", "Código de 6 dígitos", "El código caduca en 5:00", "Te quedan 2 intentos"],
      ["ar", "رمز من 6 أرقام", "تنتهي صلاحية الرمز خلال 5:00", "تبقّت محاولتان"],
    ] as const) {
      const i18n = await load(lang);
      const view = render(
        <I18nProvider value={{ ...i18n, choose: vi.fn() }}>
          <CodeStep
            sent={sent()}
            busy={null}
            error={{ code: "incorrect_code", error: "x", attemptsRemaining: 2 }}
            attempt={1}
            onCheck={vi.fn()}
            onResend={vi.fn()}
            onSendInstead={vi.fn()}
            onChangeNumber={vi.fn()}
          />
        </I18nProvider>,
      );
      expect(screen.getByLabelText(label)).toHaveAttribute("dir", "ltr");
      expect(screen.getByText(expires)).toBeInTheDocument();
      expect(screen.getByRole("alert")).toHaveTextContent(left);
      view.unmount();
    }
  });

  it("offers a new code once attempts are used up", () => {
    setup({ error: { code: "too_many_attempts", error: "x" } });
    expect(screen.getByRole("alert")).toHaveTextContent("Too many incorrect codes");
    expect(screen.getByLabelText("6-digit code")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Verify" })).not.toBeInTheDocument();
  });
});
