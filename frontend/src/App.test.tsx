import { render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { resetPageConfig } from "./config";
import { english } from "./testing";

const FLOW_ID = "0123456789abcdef0123456789abcdef";
let calls: string[];

// The files share one environment: another file may have read the configuration already.
beforeEach(() => {
  resetPageConfig();
  calls = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      calls.push(url);
      return url === "/api/authorize"
        ? new Response(JSON.stringify({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true }))
        : new Response("", { status: 404 });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  resetPageConfig();
  history.replaceState(null, "", "/");
});

describe("a sign-in on the page", () => {
  // The server holds the flow: a copy in the browser would outlive it, and nothing reads it back.
  it("is opened on the server from the address and kept nowhere else", async () => {
    const params = { response_type: "code", client_id: "shop", state: "s-1", nonce: "n-1" };
    history.replaceState(null, "", `/authorize?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByText("Verify your phone number for The Shop")).toBeInTheDocument();
    expect(calls).toContain("/api/authorize");
    expect(Object.keys(sessionStorage)).toEqual([]);
  });

  // A reload of `/authorize` opens a new flow, which a code asked for in the old one cannot end:
  // the page starts at the number again rather than at a code step it cannot finish.
  it("starts again at the number after a reload, not at the old flow's code step", async () => {
    const sent = {
      requestId: "0123456789abcdef0123456789abcdef",
      phoneNumber: "+14155552671",
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
      resendAvailableAt: new Date(Date.now() + 60_000).toISOString(),
      codeLength: 6,
      channel: "sms",
      callAvailable: true,
    };
    // What the page kept of the code step before the reload (as `remember` keeps it).
    sessionStorage.setItem("phone-verification", JSON.stringify(sent));
    const params = { response_type: "code", client_id: "shop", state: "s-1", nonce: "n-1" };
    history.replaceState(null, "", `/authorize?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByText("Verify your phone number for The Shop")).toBeInTheDocument();
    expect(screen.queryByText(english.t.codeTitle)).not.toBeInTheDocument();
    expect(Object.keys(sessionStorage)).toEqual([]);
  });

  // An address that opened as many sign-ins as its ten minutes allow: the link is sound, so the
  // page says when it works again rather than that it is broken.
  it("says when to try again when the address has opened too many sign-ins", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Response.json({ error: "…", code: "too_many_sign_ins", retryAfter: 360 }, { status: 429 })),
    );
    const params = { response_type: "code", client_id: "shop", state: "s-1", nonce: "n-1" };
    history.replaceState(null, "", `/authorize?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByRole("heading", { name: english.t.signInWaitTitle })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(
      "Too many sign-ins were started from your network. Try again in 6 minutes.",
    );
    expect(screen.queryByText(english.t.linkBrokenBody)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/phone number/i)).not.toBeInTheDocument();
  });

  // A link of the retired token-in-the-address flow would have a person verify for nothing.
  it("says an old link to the page is broken, before any code is sent", async () => {
    const params = { client_id: "shop", redirect_uri: "https://shop.example/callback", state: "s-1" };
    history.replaceState(null, "", `/?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByRole("alert")).toHaveTextContent(english.t.linkBrokenBody);
    expect(screen.queryByLabelText(/phone number/i)).not.toBeInTheDocument();
  });
});
