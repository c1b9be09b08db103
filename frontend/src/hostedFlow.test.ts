import { describe, expect, it } from "vitest";
import type { Client } from "./config";
import { readFlow, returnUrl } from "./hostedFlow";

const clients: Client[] = [{ clientId: "shop", name: "The Shop", redirectUris: ["https://shop.example/callback"] }];
const query = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
const good = { client_id: "shop", redirect_uri: "https://shop.example/callback", state: "s-1", nonce: "n-1" };

describe("the hosted flow's link", () => {
  it("is a flow for a registered client and one of its addresses exactly, with a state", () => {
    expect(readFlow(query(good), clients)).toEqual({
      kind: "flow",
      flow: {
        clientId: "shop",
        name: "The Shop",
        redirectUri: "https://shop.example/callback",
        state: "s-1",
        nonce: "n-1",
      },
    });
    expect(readFlow("", clients)).toEqual({ kind: "none" });
  });

  it.each([
    ["an unknown client", { ...good, client_id: "evil" }],
    ["another address", { ...good, redirect_uri: "https://evil.example/callback" }],
    ["a near miss", { ...good, redirect_uri: "https://shop.example/callback/" }],
    ["a query added", { ...good, redirect_uri: "https://shop.example/callback?next=https://evil.example" }],
    ["no state", { client_id: "shop", redirect_uri: "https://shop.example/callback" }],
    ["no client", { redirect_uri: "https://shop.example/callback", state: "s" }],
    ["an empty nonce", { ...good, nonce: "" }],
  ])("is refused with %s", (_, params) => {
    expect(readFlow(query(params), clients)).toEqual({ kind: "invalid" });
  });

  // verify-otp counts a nonce in UTF-8 bytes; a nonce it would refuse must fail here, before an SMS goes out.
  it.each([
    ["256 ASCII characters", "a".repeat(256), "flow"],
    ["257 ASCII characters", "a".repeat(257), "invalid"],
    ["128 × é (256 bytes)", "é".repeat(128), "flow"],
    ["200 × é (400 bytes)", "é".repeat(200), "invalid"],
  ])("takes or refuses a nonce of %s as verify-otp does", (_, nonce, kind) => {
    expect(readFlow(query({ ...good, nonce }), clients).kind).toBe(kind);
  });

  it("takes the person back with the token and state in the fragment", () => {
    const flow = { clientId: "shop", name: "The Shop", redirectUri: "https://shop.example/callback", state: "a b&c" };
    const url = new URL(returnUrl(flow, "x.y.z"));
    expect(url.origin + url.pathname).toBe("https://shop.example/callback");
    expect(url.search).toBe("");
    expect(new URLSearchParams(url.hash.slice(1)).get("state")).toBe("a b&c");
    expect(new URLSearchParams(url.hash.slice(1)).get("token")).toBe("x.y.z");
  });
});
