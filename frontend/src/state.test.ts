import { describe, expect, it } from "vitest";
import type { CodeSent } from "./api";
import { reduce, remember, saved, start, type State } from "./state";

const sent: CodeSent = {
  requestId: "0123456789abcdef0123456789abcdef",
  phoneNumber: "+14155552671",
  expiresAt: "2026-01-01T12:05:00Z",
  resendAvailableAt: "2026-01-01T12:01:00Z",
  codeLength: 6,
  channel: "sms",
  callAvailable: true,
};
const NOW = Date.parse("2026-01-01T12:00:30Z");

describe("the page's state", () => {
  it("moves phone → code → verified, busy while waiting", () => {
    let state: State = reduce(start, { type: "send" });
    expect(state).toEqual({ step: "phone", busy: true, error: null });
    state = reduce(state, { type: "sent", sent });
    expect(state).toMatchObject({ step: "code", busy: null, attempt: 0 });
    state = reduce(state, { type: "check" });
    expect(state).toMatchObject({ step: "code", busy: "checking" });
    state = reduce(state, { type: "verified", phoneNumber: sent.phoneNumber, verifiedAt: "t" });
    expect(state).toEqual({ step: "verified", phoneNumber: sent.phoneNumber, verifiedAt: "t" });
  });

  it("is busy with the channel asked for instead until the code is sent", () => {
    const code = reduce(start, { type: "sent", sent });
    const asking = reduce(code, { type: "send-instead", channel: "whatsapp" });
    expect(asking).toMatchObject({ step: "code", busy: "whatsapp", error: null });
    expect(reduce(asking, { type: "sent", sent: { ...sent, channel: "whatsapp" } })).toMatchObject({ busy: null });
  });

  it("counts failed answers and keeps the error", () => {
    const code = reduce(start, { type: "sent", sent });
    const failed = reduce(code, {
      type: "failed",
      error: { code: "incorrect_code", error: "x", attemptsRemaining: 2 },
      at: NOW,
    });
    expect(failed).toMatchObject({ step: "code", attempt: 1, error: { code: "incorrect_code" } });
  });

  it("counts down again when a resend comes too soon", () => {
    const code = reduce(start, { type: "sent", sent });
    const early = reduce(code, {
      type: "failed",
      error: { code: "resend_too_soon", error: "x", retryAfter: 40 },
      at: NOW,
    });
    expect(early.step === "code" && early.sent.resendAvailableAt).toBe("2026-01-01T12:01:10.000Z");
  });

  it("keeps the code step across a reload until the code expires", () => {
    remember(reduce(start, { type: "sent", sent }));
    expect(saved(NOW)).toMatchObject({ step: "code", sent });
    expect(saved(Date.parse(sent.expiresAt))).toEqual(start);
    remember(start);
    expect(saved(NOW)).toEqual(start);
  });
});
