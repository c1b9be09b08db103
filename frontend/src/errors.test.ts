import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API_ERROR_CODES, requestOtp, verifyOtp, type ApiError } from "./api";
import { explain as explainIn } from "./errors";
import { english } from "./testing";

/** The error codes of openapi.yaml's Error schema. */
function documentedCodes(): string[] {
  const spec = readFileSync(resolve(process.cwd(), "../openapi.yaml"), "utf8");
  const block = spec.slice(spec.indexOf("    Error:"), spec.indexOf("        retryAfter:"));
  return [...block.matchAll(/^\s+- ([a-z_]+)$/gm)].map((m) => m[1]);
}

/** What the page says in English of an answer with `code`, known to the page or not. */
const explain = (error: Omit<ApiError, "code"> & { code: string }) => explainIn(error as ApiError, english);

function answer(status: number, body: unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify(body), { status })),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("every API error code has its own message and next step", () => {
  const codes = documentedCodes();

  it("reads the documented codes", () => {
    expect(codes).toContain("incorrect_code");
    expect(codes.length).toBeGreaterThanOrEqual(19);
  });

  it("are the page's ErrorCode union, exactly", () => {
    expect([...API_ERROR_CODES]).toEqual(codes);
  });

  it.each(codes)("%s gets a sentence", (code) => {
    const explained = explain({ code, error: "The API's own sentence.", attemptsRemaining: 2, retryAfter: 30 });
    expect(explained.message).toMatch(/^[A-Z].{10,}\.$/);
  });

  // Everything a person can meet gets its own words (`forbidden` too: the edge firewall refuses
  // VPNs and proxies); the rest (client bugs, our failures) the general apology.
  const general = explain({ code: "no_such_code", error: "" }).message;
  const ownWords = codes.filter(
    (c) =>
      ![
        "payload_too_large",
        "unsupported_media_type",
        "method_not_allowed",
        "internal_error",
        "unauthenticated",
      ].includes(c),
  );
  it.each(ownWords)("%s has its own message", (code) => {
    expect(explain({ code, error: "The API's own sentence.", attemptsRemaining: 2, retryAfter: 30 }).message).not.toBe(
      general,
    );
  });

  it("says what to do for each kind of failure", () => {
    const next = (code: string) => explain({ code, error: "x" }).next;
    for (const code of ["invalid_phone_number", "unsupported_number", "country_not_allowed"])
      expect(next(code)).toBe("fix-number");
    for (const code of ["expired", "too_many_attempts", "not_found"]) expect(next(code)).toBe("new-code");
    for (const code of ["provider_error", "provider_timeout", "provider_unavailable", "network_error"])
      expect(next(code)).toBe("retry");
    expect(next("incorrect_code")).toBe("retype-code");
    expect(next("resend_too_soon")).toBe("wait");
    expect(explain({ code: "forbidden", error: "x" }).message).toMatch(/VPN/);
    expect(explain({ code: "incorrect_code", error: "x", attemptsRemaining: 1 }).message).toContain("1 attempt left");
    expect(explain({ code: "rate_limited", error: "x", retryAfter: 1800 }).message).toContain("in 30 minutes");
    expect(explain({ code: "rate_limited", error: "x", retryAfter: 5 * 3600 }).message).toContain("in 5 hours");
    expect(next("destination_paused")).toBe("fix-number");
    expect(explain({ code: "destination_paused", error: "x", retryAfter: 600 }).message).toMatch(
      /in 10 minutes, or use another number\.$/,
    );
    expect(next("sending_paused")).toBe("wait");
    expect(next("sending_stopped")).toBe("wait");
    expect(explain({ code: "sending_stopped", error: "x", retryAfter: 300 }).message).toBe(
      "Sending codes is stopped for now. Try again later.",
    );
    expect(explain({ code: "sending_paused", error: "x", retryAfter: 7200 }).message).toMatch(/paused.*in 2 hours\./);
  });

  // Not yet in openapi.yaml's list, so not in the checks of every documented code above.
  it("says a channel the ladder does not offer is not offered, and that another may be", () => {
    const refused = explain({ code: "channel_not_offered", error: "x" });
    expect(refused).toEqual({
      message: "We can't send the code that way to this number. Choose another way.",
      next: "retry",
    });
    expect(refused.message).not.toBe(explain({ code: "no_such_code", error: "" }).message);
  });

  it("tells a network failure from a server error", () => {
    expect(explain({ code: "network_error", error: "" }).message).toMatch(/offline|can't be reached/);
    expect(explain({ code: "server_error", error: "" }).message).toMatch(/our side/);
  });
});

describe("the API client", () => {
  it("returns the answer of a success", async () => {
    const sent = {
      requestId: "a".repeat(32),
      phoneNumber: "+14155552671",
      expiresAt: "x",
      resendAvailableAt: "y",
      codeLength: 6,
      channel: "sms",
      callAvailable: true,
    };
    answer(200, sent);
    expect(await requestOtp("+14155552671")).toEqual({ ok: true, value: sent });
    const call = vi.mocked(fetch).mock.calls[0];
    expect(call[0]).toBe("/api/request-otp");
    expect(JSON.parse(String(call[1]?.body))).toEqual({ phoneNumber: "+14155552671" });
  });

  it("asks for a call, in a language, with the bot check's token", async () => {
    answer(200, {});
    await requestOtp("+34600000000", { channel: "voice", locale: "es-ES", turnstileToken: "token" });
    const body = JSON.parse(String(vi.mocked(fetch).mock.calls[0][1]?.body));
    expect(body).toEqual({ phoneNumber: "+34600000000", channel: "voice", locale: "es-ES", turnstileToken: "token" });
  });

  it("asks for the channel the person chose, and leaves it to the server otherwise", async () => {
    answer(200, {});
    await requestOtp("+14155552671", { channel: "whatsapp" });
    await requestOtp("+14155552671", { channel: "sms" });
    await requestOtp("+14155552671", {});
    const bodies = vi.mocked(fetch).mock.calls.map((call) => JSON.parse(String(call[1]?.body)));
    expect(bodies).toEqual([
      { phoneNumber: "+14155552671", channel: "whatsapp" },
      { phoneNumber: "+14155552671", channel: "sms" },
      { phoneNumber: "+14155552671" },
    ]);
  });

  it("returns the API's error with its fields", async () => {
    answer(400, { error: "That code is incorrect.", code: "incorrect_code", attemptsRemaining: 2, verified: false });
    const result = await verifyOtp("a".repeat(32), "123456");
    expect(result).toEqual({
      ok: false,
      error: expect.objectContaining({ code: "incorrect_code", attemptsRemaining: 2 }),
    });
  });

  it("names a network failure and a non-API answer", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    expect(await requestOtp("+14155552671")).toMatchObject({ ok: false, error: { code: "network_error" } });
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("<html>Bad gateway</html>", { status: 502 })),
    );
    expect(await requestOtp("+14155552671")).toMatchObject({ ok: false, error: { code: "server_error" } });
  });
});
