import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageConfig, resetPageConfig } from "./config";

function serve(config: unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify(config), { status: 200 })),
  );
}

// The files share one environment: another file may have read the configuration already.
beforeEach(resetPageConfig);
afterEach(() => {
  vi.unstubAllGlobals();
  resetPageConfig();
});

describe("the branding in /config.json", () => {
  it("takes a name, a logo on the page's origin and a #rrggbb accent", async () => {
    serve({ brand: { name: " Acme Bank ", logo: "/brand/logo.svg", accentColor: "#7B1FA2" } });
    expect((await pageConfig()).brand).toEqual({ name: "Acme Bank", logo: "/brand/logo.svg", accentColor: "#7B1FA2" });
  });

  it("drops what the page's policy or the stylesheet could not use, and an empty brand", async () => {
    serve({ brand: { name: "Acme", logo: "https://cdn.example/logo.svg", accentColor: "purple" } });
    expect((await pageConfig()).brand).toEqual({ name: "Acme", logo: null, accentColor: null });
    resetPageConfig();
    serve({ brand: { logo: "//cdn.example/logo.svg", name: "" } });
    expect((await pageConfig()).brand).toBeNull();
    resetPageConfig();
    serve({});
    expect((await pageConfig()).brand).toBeNull();
  });
});

describe("the channel ladder in /config.json", () => {
  it("takes the operator's channels in the operator's order", async () => {
    serve({ channels: ["whatsapp", "sms", "voice"] });
    expect((await pageConfig()).channels).toEqual(["whatsapp", "sms", "voice"]);
    resetPageConfig();
    serve({ channels: ["voice", "whatsapp"] });
    expect((await pageConfig()).channels).toEqual(["voice", "whatsapp"]);
  });

  it("leaves out channels it does not know, and a channel named twice", async () => {
    serve({ channels: ["rcs", "whatsapp", 7, "sms", "whatsapp"] });
    expect((await pageConfig()).channels).toEqual(["whatsapp", "sms"]);
  });

  it.each([
    ["no ladder", {}],
    ["a ladder that is no list", { channels: "whatsapp" }],
    ["an empty ladder", { channels: [] }],
    ["a ladder of channels it does not know", { channels: ["rcs", "fax"] }],
  ])("reads %s as a text message, then a call", async (_, config) => {
    serve(config);
    expect((await pageConfig()).channels).toEqual(["sms", "voice"]);
  });

  it("reads an unreachable file as a text message, then a call", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    expect((await pageConfig()).channels).toEqual(["sms", "voice"]);
  });
});
