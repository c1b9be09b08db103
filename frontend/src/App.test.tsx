import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { resetPageConfig } from "./config";
import { applyToDocument, LANGUAGES, load, rememberLanguage } from "./i18n";
import { english } from "./testing";

const FLOW_ID = "0123456789abcdef0123456789abcdef";
const SIGN_IN = `/sign-in?flow=${FLOW_ID}`;
/** What the page asked the API: each call's path and JSON body. */
let calls: { url: string; body: unknown }[];
/** What `POST /api/authorize` answers. */
let flow: Response;

const SENT = {
  requestId: "fedcba9876543210fedcba9876543210",
  phoneNumber: "+14155550611",
  expiresAt: new Date(Date.now() + 300_000).toISOString(),
  resendAvailableAt: new Date(Date.now() + 60_000).toISOString(),
  codeLength: 6,
  channel: "sms",
  callAvailable: true,
};

// The files share one environment: another file may have read the configuration already.
beforeEach(() => {
  resetPageConfig();
  calls = [];
  flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, body: init?.body ? JSON.parse(init.body as string) : undefined });
      if (url === "/api/authorize") return flow;
      if (url === "/api/request-otp")
        return Response.json({ ...SENT, phoneNumber: (calls.at(-1)?.body as { phoneNumber: string }).phoneNumber });
      return new Response("", { status: 404 });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  resetPageConfig();
  localStorage.clear();
  applyToDocument(english);
  history.replaceState(null, "", "/");
});

const paths = () => calls.map((c) => c.url);

describe("a sign-in on the page", () => {
  // The server holds the flow: a copy in the browser would outlive it, and nothing reads it back.
  it("reads the flow the address names from the server, and keeps it nowhere else", async () => {
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    expect(await screen.findByText("Verify your phone number for The Shop")).toBeInTheDocument();
    expect(calls).toContainEqual({ url: "/api/authorize", body: { flowId: FLOW_ID } });
    expect(Object.keys(sessionStorage)).toEqual([]);
  });

  // What was kept of a code step does not say which flow it was asked in: the page starts at the
  // number again rather than at a code step that may not end this sign-in.
  it("starts again at the number after a reload, not at a kept code step", async () => {
    // What the page kept of the code step before the reload (as `remember` keeps it).
    sessionStorage.setItem("phone-verification", JSON.stringify(SENT));
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    expect(await screen.findByText("Verify your phone number for The Shop")).toBeInTheDocument();
    expect(screen.queryByText(english.t.codeTitle)).not.toBeInTheDocument();
    expect(Object.keys(sessionStorage)).toEqual([]);
  });

  // The application's `login_hint`: a start, never a proof; the person may use another number.
  it("starts from the number the application suggested, which the person may change", async () => {
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, loginHint: "+14155550611" });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    const phone = await screen.findByLabelText("Phone number");
    expect(phone).toHaveValue("+1 415 555 0611");
    const user = userEvent.setup();
    await user.clear(phone);
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.type(phone, "4155550612");
    await user.click(screen.getByRole("button", { name: "Send code" }));
    expect(await screen.findByText(english.t.codeTitle)).toBeInTheDocument();
    expect(calls.find((c) => c.url === "/api/request-otp")?.body).toMatchObject({
      phoneNumber: "+14155550612",
      flowId: FLOW_ID,
    });
  });

  it("sends the suggested number as it is when the person keeps it", async () => {
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, loginHint: "+14155550611" });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    await userEvent.setup().click(await screen.findByRole("button", { name: "Send code" }));
    expect(await screen.findByText(english.t.codeTitle)).toBeInTheDocument();
    expect(calls.find((c) => c.url === "/api/request-otp")?.body).toMatchObject({ phoneNumber: "+14155550611" });
  });

  // The application's `ui_locales`: Arabic gives the Arabic page, right to left, and never an
  // English one first.
  it("shows the page in the language the application asked for", async () => {
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, locale: "ar" });
    history.replaceState(null, "", SIGN_IN);
    const headings: string[] = [];
    const watch = new MutationObserver(() => headings.push(document.querySelector("h1")?.textContent ?? ""));
    watch.observe(document.body, { subtree: true, childList: true, characterData: true });
    render(<App initial={english} />);
    const ar = (await load("ar")).t;
    expect(await screen.findByRole("heading", { name: ar.phoneTitleFor("The Shop") })).toBeInTheDocument();
    watch.disconnect();
    expect([document.documentElement.lang, document.documentElement.dir]).toEqual(["ar", "rtl"]);
    expect(headings).not.toContain(english.t.phoneTitleFor("The Shop"));
    expect(localStorage.length).toBe(0);
  });

  it("keeps the person's own choice over the application's, before and after it asks", async () => {
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, locale: "ar" });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    const ar = (await load("ar")).t;
    await screen.findByRole("heading", { name: ar.phoneTitleFor("The Shop") });
    await userEvent.setup().selectOptions(screen.getByLabelText(ar.language), "de");
    const de = (await load("de")).t;
    expect(await screen.findByRole("heading", { name: de.phoneTitleFor("The Shop") })).toBeInTheDocument();
    expect(document.documentElement.dir).toBe("ltr");
  });

  it("leaves a language the person chose on an earlier visit", async () => {
    rememberLanguage("fr");
    const fr = await load("fr");
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, locale: "ar" });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={fr} />);
    expect(await screen.findByRole("heading", { name: fr.t.phoneTitleFor("The Shop") })).toBeInTheDocument();
  });

  it("says a sign-in that is over has expired", async () => {
    flow = Response.json({ error: "…", code: "sign_in_expired" }, { status: 410 });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    expect(await screen.findByRole("heading", { name: english.t.linkBrokenTitle })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(english.t.errors.signInExpired);
    expect(screen.queryByLabelText(/phone number/i)).not.toBeInTheDocument();
  });

  // An address that opened as many sign-ins as its ten minutes allow: the link is sound, so the
  // page says when it works again rather than that it is broken.
  it("says when to try again when the address has opened too many sign-ins", async () => {
    history.replaceState(null, "", "/sign-in?error=too_many_sign_ins&retryAfter=360");
    render(<App initial={english} />);
    expect(await screen.findByRole("heading", { name: english.t.signInWaitTitle })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(
      "Too many sign-ins were started from your network. Try again in 6 minutes.",
    );
    expect(screen.queryByText(english.t.linkBrokenBody)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/phone number/i)).not.toBeInTheDocument();
    expect(paths()).not.toContain("/api/authorize");
  });

  it.each(["invalid_client", "invalid_redirect_uri"])("says a link refused as %s is broken", async (error) => {
    history.replaceState(null, "", `/sign-in?error=${error}`);
    render(<App initial={english} />);
    expect(await screen.findByRole("alert")).toHaveTextContent(english.t.linkBrokenBody);
    expect(screen.queryByLabelText(/phone number/i)).not.toBeInTheDocument();
    expect(paths()).not.toContain("/api/authorize");
  });

  // The authorization request is the server's to read: the page opens nothing from one.
  it("opens no sign-in from an authorization request in its address", async () => {
    const params = { response_type: "code", client_id: "shop", state: "s-1", nonce: "n-1" };
    history.replaceState(null, "", `/authorize?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByRole("alert")).toHaveTextContent(english.t.linkBrokenBody);
    expect(paths()).not.toContain("/api/authorize");
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

describe("a logout the server asks about", () => {
  it("asks in the page's language, and sends the same request back with the answer", async () => {
    const sent: { url: string; method?: string; body: string }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        sent.push({ url, method: init?.method, body: String(init?.body) });
        // Where the server says to go (a fragment: this test's browser goes nowhere else).
        return Response.json({ redirectTo: "#signed-out-and-back" });
      }),
    );
    const request = "client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Fbye&state=z";
    history.replaceState(null, "", `/signed-out?confirm=1&${request}`);
    const fr = await load("fr");
    render(<App initial={fr} />);
    expect(await screen.findByRole("heading", { name: fr.t.signOutTitle })).toBeInTheDocument();
    const logouts = () => sent.filter((call) => call.url === "/oauth/logout");
    expect(logouts()).toEqual([]);
    await userEvent.setup().click(screen.getByRole("button", { name: fr.t.signOutButton }));
    await vi.waitFor(() => expect(location.hash).toBe("#signed-out-and-back"));
    expect(logouts()).toEqual([{ url: "/oauth/logout", method: "POST", body: `confirm=1&${request}` }]);
  });
});

describe("after a logout", () => {
  it.each(LANGUAGES.map((l) => l.code))("says the person is signed out, in %s", async (lang) => {
    const i18n = await load(lang);
    history.replaceState(null, "", "/signed-out");
    render(<App initial={i18n} />);
    expect(await screen.findByRole("heading", { name: i18n.t.signedOutTitle })).toBeInTheDocument();
    expect(screen.getByText(i18n.t.signedOutBody)).toBeInTheDocument();
    expect(screen.queryByLabelText(i18n.t.phoneNumber)).not.toBeInTheDocument();
    expect(paths()).not.toContain("/api/authorize");
  });
});

describe("the channels the page offers", () => {
  /** The server with `config` as /config.json, and a request-otp that answers by the channel asked
   *  for (the ladder's first when none), as a number with the ladder `channels` gets it, with no
   *  wait before the next. */
  function serve(config: unknown, channels = ["whatsapp", "sms", "voice"]) {
    const served = vi.mocked(fetch).getMockImplementation();
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url === "/config.json") return Response.json(config);
        if (url !== "/api/request-otp") return served?.(url, init);
        const body = JSON.parse(init?.body as string) as { phoneNumber: string; channel?: string };
        calls.push({ url, body });
        const channel = body.channel ?? channels[0];
        const resendAvailableAt = new Date(Date.now() - 1000).toISOString();
        return Response.json({ ...SENT, phoneNumber: body.phoneNumber, channel, channels, resendAvailableAt });
      }),
    );
  }

  const buttons = () => screen.getAllByRole("button").map((b) => b.textContent);
  const sentCode = () => calls.find((c) => c.url === "/api/request-otp")?.body;

  it("offers the page's ladder, sends by the channel chosen, and says where the code went", async () => {
    serve({ channels: ["sms", "whatsapp", "voice"] });
    render(<App initial={english} />);
    await screen.findByRole("button", { name: "Send by WhatsApp" });
    expect(buttons()).toEqual(["Send by SMS", "Send by WhatsApp"]);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.type(screen.getByLabelText("Phone number"), "4155550611");
    await user.click(screen.getByRole("button", { name: "Send by WhatsApp" }));
    expect(await screen.findByText(/Sent by WhatsApp to/)).toHaveTextContent("Sent by WhatsApp to +1 415 *** 0611");
    expect(sentCode()).toMatchObject({ phoneNumber: "+14155550611", channel: "whatsapp" });
  });

  it("offers a sign-in's application's ladder instead of the page's", async () => {
    serve({ channels: ["whatsapp", "sms"] });
    flow = Response.json({
      flowId: FLOW_ID,
      clientName: "The Shop",
      phoneScope: true,
      loginHint: "+14155550611",
      channels: ["sms", "whatsapp"],
    });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    await screen.findByRole("button", { name: "Send by SMS" });
    expect(buttons()).toEqual(["Send by SMS", "Send by WhatsApp"]);
    await userEvent.setup().click(screen.getByRole("button", { name: "Send by SMS" }));
    expect(await screen.findByText(/Sent to/)).toHaveTextContent("Sent to +1 415 *** 0611");
    expect(sentCode()).toMatchObject({ phoneNumber: "+14155550611", channel: "sms", flowId: FLOW_ID });
  });

  it("asks for the code again the way it went, or by the channel the person chooses instead", async () => {
    serve({ channels: ["whatsapp", "sms", "voice"] });
    render(<App initial={english} />);
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText("Country"), "US");
    await user.type(screen.getByLabelText("Phone number"), "4155550611");
    /** Presses `name` once the page answers again (each send disables every button until then). */
    const press = async (name: string) => {
      const button = await screen.findByRole("button", { name });
      await vi.waitFor(() => expect(button).toBeEnabled());
      await user.click(button);
    };
    await press("Send by WhatsApp");
    await press("Resend code");
    await press("Send by SMS");
    expect(await screen.findByText(/Sent to/)).toHaveTextContent("Sent to +1 415 *** 0611");
    await press("Call me instead");
    expect(await screen.findByText(/calling/)).toBeInTheDocument();
    const asked = calls
      .filter((c) => c.url === "/api/request-otp")
      .map((c) => (c.body as { channel?: string }).channel);
    expect(asked).toEqual(["whatsapp", "whatsapp", "sms", "voice"]);
  });

  it("keeps the page's ladder when a sign-in's names no channel it knows", async () => {
    serve({ channels: ["whatsapp", "sms"] });
    flow = Response.json({ flowId: FLOW_ID, clientName: "The Shop", phoneScope: true, channels: ["rcs"] });
    history.replaceState(null, "", SIGN_IN);
    render(<App initial={english} />);
    await screen.findByRole("heading", { name: "Verify your phone number for The Shop" });
    await screen.findByRole("button", { name: "Send by WhatsApp" });
    expect(buttons()).toEqual(["Send by WhatsApp", "Send by SMS"]);
  });
});
