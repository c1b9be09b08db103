import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiError, CodeSent } from "./api";
import CodeStep from "./CodeStep";

const NOW = Date.parse("2026-01-01T12:00:00Z");

function sent(overrides: Partial<CodeSent> = {}): CodeSent {
  return {
    requestId: "0123456789abcdef0123456789abcdef",
    phoneNumber: "+14155552671",
    expiresAt: "2026-01-01T12:05:00Z",
    resendAvailableAt: "2026-01-01T12:01:00Z",
    codeLength: 6,
    ...overrides,
  };
}

function setup(props: { error?: ApiError | null; attempt?: number; code?: CodeSent } = {}) {
  const handlers = { onCheck: vi.fn(), onResend: vi.fn(), onChangeNumber: vi.fn() };
  const view = render(
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
    fireEvent.change(input, { target: { value: "12a3" } });
    expect(input).toHaveValue("123");
    expect(onCheck).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: "123456" } });
    expect(onCheck).toHaveBeenCalledWith("123456");
  });

  it("takes a pasted code with spaces and submits it", () => {
    const { input, onCheck } = setup();
    fireEvent.change(input, { target: { value: "123 456" } });
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
    fireEvent.change(input, { target: { value: "111111" } });
    const wrong: ApiError = { code: "incorrect_code", error: "x", attemptsRemaining: 2 };
    view.rerender(
      <CodeStep
        sent={sent()}
        busy={null}
        error={wrong}
        attempt={1}
        onCheck={onCheck}
        onResend={vi.fn()}
        onChangeNumber={vi.fn()}
      />,
    );
    expect(screen.getByLabelText("6-digit code")).toHaveValue("");
    expect(screen.getByRole("alert")).toHaveTextContent("2 attempts left");
  });

  it("offers a new code once attempts are used up", () => {
    setup({ error: { code: "too_many_attempts", error: "x" } });
    expect(screen.getByRole("alert")).toHaveTextContent("Too many incorrect codes");
    expect(screen.getByLabelText("6-digit code")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Verify" })).not.toBeInTheDocument();
  });
});
