import { render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { resetPageConfig } from "./config";
import { english } from "./testing";

const config = {
  clients: [{ clientId: "shop", name: "The Shop", redirectUris: ["https://shop.example/callback"] }],
};

// The files share one environment: another file may have read the configuration already.
beforeEach(() => {
  resetPageConfig();
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) =>
      url === "/config.json" ? new Response(JSON.stringify(config)) : new Response("", { status: 404 }),
    ),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  resetPageConfig();
  history.replaceState(null, "", "/");
});

describe("the hosted flow on the page", () => {
  // The address is where the flow lives: a copy elsewhere would keep the state and nonce past
  // the flow, and nothing would ever read it back.
  it("is read from the address and kept nowhere else", async () => {
    const params = { client_id: "shop", redirect_uri: "https://shop.example/callback", state: "s-1", nonce: "n-1" };
    history.replaceState(null, "", `/?${new URLSearchParams(params).toString()}`);
    render(<App initial={english} />);
    expect(await screen.findByText("Verify your phone number for The Shop")).toBeInTheDocument();
    expect(Object.keys(sessionStorage)).toEqual([]);
  });
});
