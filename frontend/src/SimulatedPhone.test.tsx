import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SimulatedPhone } from "./SimulatedPhone";
import { renderInEnglish } from "./testing";

afterEach(() => vi.unstubAllGlobals());

describe("the simulated phone", () => {
  it("shows the simulator's messages when the local server has them", async () => {
    const messages = [
      { to: "+14155552671", code: "123456", channel: "sms", sentAt: "t", text: "Your Verify Local code is 123456" },
    ];
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify(messages), { status: 200 })),
    );
    renderInEnglish(<SimulatedPhone refresh="phone" />);
    expect(await screen.findByRole("complementary", { name: "Simulated phone" })).toHaveTextContent(
      "Your Verify Local code is 123456",
    );
    expect(vi.mocked(fetch).mock.calls[0][0]).toBe("/api/dev/messages");
  });

  it("marks a WhatsApp message as WhatsApp's, apart from a text and a call", async () => {
    const message = (channel: string, code: string) => ({
      to: "+14155552671",
      code,
      channel,
      sentAt: code,
      text: code,
    });
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        Response.json([message("sms", "111111"), message("whatsapp", "222222"), message("voice", "333333")]),
      ),
    );
    renderInEnglish(<SimulatedPhone refresh="phone" />);
    await screen.findByRole("complementary", { name: "Simulated phone" });
    const shown = screen.getAllByRole("listitem").map((item) => item.textContent);
    expect(shown).toEqual(["📞 +14155552671 333333", "WhatsApp +14155552671 222222", "💬 +14155552671 111111"]);
  });

  it("never appears when there is no simulator", async () => {
    const fetch404 = vi.fn(async () => new Response("", { status: 404 }));
    vi.stubGlobal("fetch", fetch404);
    const { container } = renderInEnglish(<SimulatedPhone refresh="phone" />);
    await vi.waitFor(() => expect(fetch404).toHaveBeenCalled());
    await new Promise((r) => setTimeout(r, 20));
    expect(container).toBeEmptyDOMElement();
    expect(fetch404).toHaveBeenCalledTimes(1);
  });
});
