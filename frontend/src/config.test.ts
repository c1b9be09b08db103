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
