import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACTION, BotCheckError, botCheckToken, resetBotCheck } from "./botCheck";

/** /config.json answers `config`; every other fetch fails the test. */
function serveConfig(config: unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      expect(url).toBe("/config.json");
      return new Response(JSON.stringify(config), { status: 200 });
    }),
  );
}

/** A widget as Turnstile's explicit API renders one: `outcome` decides what each execute gives. */
function fakeTurnstile(outcome: () => "pass" | "fail") {
  const rendered: Record<string, unknown>[] = [];
  const calls: string[] = [];
  window.turnstile = {
    render: (_el, options) => {
      rendered.push(options);
      return "w1";
    },
    execute: (id) => {
      calls.push(`execute ${id}`);
      const options = rendered[rendered.length - 1];
      setTimeout(() =>
        outcome() === "pass"
          ? (options.callback as (t: string) => void)(`token-${calls.length}`)
          : (options["error-callback"] as () => void)(),
      );
    },
    reset: (id) => calls.push(`reset ${id}`),
  };
  // The script element "loads" at once: the fake is already there.
  vi.spyOn(document.head, "append").mockImplementation((node) => {
    setTimeout(() => (node as HTMLScriptElement).onload?.(new Event("load")));
  });
  return { rendered, calls };
}

beforeEach(() => resetBotCheck());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete window.turnstile;
});

describe("the bot check", () => {
  it("is off without a site key: no script, no token", async () => {
    serveConfig({});
    const append = vi.spyOn(document.head, "append");
    expect(await botCheckToken(document.createElement("div"))).toBeUndefined();
    expect(append).not.toHaveBeenCalled();
  });

  it("gives one fresh token per request, for the request-otp action, and resets after each", async () => {
    serveConfig({ turnstileSiteKey: "1x00000000000000000000AA" });
    const { rendered, calls } = fakeTurnstile(() => "pass");
    const container = document.createElement("div");
    expect(await botCheckToken(container)).toBe("token-1");
    expect(await botCheckToken(container)).toBe("token-3");
    expect(rendered).toHaveLength(1);
    expect(rendered[0]).toMatchObject({ sitekey: "1x00000000000000000000AA", action: ACTION, execution: "execute" });
    expect(calls).toEqual(["execute w1", "reset w1", "execute w1", "reset w1"]);
  });

  it("rejects when the challenge fails, or the widget cannot load", async () => {
    serveConfig({ turnstileSiteKey: "2x00000000000000000000AB" });
    fakeTurnstile(() => "fail");
    await expect(botCheckToken(document.createElement("div"))).rejects.toEqual(new BotCheckError("bot_check_failed"));

    resetBotCheck();
    delete window.turnstile;
    vi.spyOn(document.head, "append").mockImplementation((node) => {
      setTimeout(() => (node as HTMLScriptElement).onerror?.(new Event("error")));
    });
    await expect(botCheckToken(document.createElement("div"))).rejects.toEqual(
      new BotCheckError("bot_check_unavailable"),
    );
  });
});
