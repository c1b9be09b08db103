import { describe, expect, it } from "vitest";
import type { CodeSent } from "./api";
import { nextChoices, sendChoices } from "./channels";

const sent = (overrides: Partial<CodeSent>): CodeSent => ({
  requestId: "0123456789abcdef0123456789abcdef",
  phoneNumber: "+14155552671",
  expiresAt: "2026-01-01T12:05:00Z",
  resendAvailableAt: "2026-01-01T12:01:00Z",
  codeLength: 6,
  channel: "sms",
  callAvailable: true,
  ...overrides,
});

describe("the phone step's choices", () => {
  it("are the ladder's messages in its order, a call only when the ladder has nothing else", () => {
    expect(sendChoices(["whatsapp", "sms", "voice"])).toEqual(["whatsapp", "sms"]);
    expect(sendChoices(["sms", "voice", "whatsapp"])).toEqual(["sms", "whatsapp"]);
    expect(sendChoices(["voice", "sms"])).toEqual(["sms"]);
    expect(sendChoices(["voice"])).toEqual(["voice"]);
  });
});

describe("the code step's choices", () => {
  it("resend the way the code went, and offer the number's other channels in the ladder's order", () => {
    expect(nextChoices(sent({ channel: "whatsapp", channels: ["whatsapp", "sms", "voice"] }))).toEqual({
      again: "whatsapp",
      instead: ["sms", "voice"],
    });
    expect(nextChoices(sent({ channel: "voice", callAvailable: false, channels: ["sms", "voice"] }))).toEqual({
      again: "voice",
      instead: ["sms"],
    });
  });

  it("offer a landline nothing but its call, and leave a channel it may no longer get to the server", () => {
    expect(nextChoices(sent({ channel: "voice", callAvailable: false, channels: ["voice"] }))).toEqual({
      again: "voice",
      instead: [],
    });
    expect(nextChoices(sent({ channel: "whatsapp", callAvailable: false, channels: ["sms"] }))).toEqual({
      again: undefined,
      instead: ["sms"],
    });
  });

  it("leave out channels the page does not know", () => {
    const newer = ["rcs", "sms", "voice"] as unknown as CodeSent["channels"];
    expect(nextChoices(sent({ channel: "sms", channels: newer }))).toEqual({ again: "sms", instead: ["voice"] });
  });

  // A server before ladders, or a code step the page kept from then.
  it("without the answer's channels, leave the resend to the server and offer the call it says is available", () => {
    expect(nextChoices(sent({ callAvailable: true }))).toEqual({ instead: ["voice"] });
    expect(nextChoices(sent({ channel: "voice", callAvailable: false }))).toEqual({ instead: [] });
  });
});
