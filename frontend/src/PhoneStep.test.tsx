import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { PhoneStep } from "./PhoneStep";
import { renderInEnglish } from "./testing";

function setup(error: Parameters<typeof PhoneStep>[0]["error"] = null) {
  const onSend = vi.fn();
  renderInEnglish(<PhoneStep busy={false} error={error} onSend={onSend} />);
  return { onSend, user: userEvent.setup() };
}

describe("the phone step", () => {
  it("has focus on arrival", () => {
    setup();
    expect(screen.getByLabelText("Phone number")).toHaveFocus();
  });

  it("formats the number as it is typed and sends E.164", async () => {
    const { onSend, user } = setup();
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.type(screen.getByLabelText("Phone number"), "4155552671");
    expect(screen.getByLabelText("Phone number")).toHaveValue("(415) 555-2671");
    await user.type(screen.getByLabelText("Phone number"), "x");
    expect(screen.getByLabelText("Phone number")).toHaveValue("(415) 555-2671");
    await user.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSend).toHaveBeenCalledWith("+14155552671");
  });

  it("catches an invalid number before sending", async () => {
    const { onSend, user } = setup();
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.type(screen.getByLabelText("Phone number"), "415555");
    await user.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("That number doesn't look right");
    expect(screen.getByLabelText("Phone number")).toHaveAttribute("aria-invalid", "true");
  });

  it("takes a pasted full number, country and all", async () => {
    const { onSend, user } = setup();
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.click(screen.getByLabelText("Phone number"));
    await user.paste("+44 7400 123456");
    expect(screen.getByLabelText("Country")).toHaveValue("GB");
    await user.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSend).toHaveBeenCalledWith("+447400123456");
  });

  it("points at the number when the API refuses it", () => {
    setup({ code: "unsupported_number", error: "x" });
    expect(screen.getByRole("alert")).toHaveTextContent("can't receive text messages");
    expect(screen.getByLabelText("Phone number")).toHaveAttribute("aria-invalid", "true");
  });

  it("cannot send twice while sending", () => {
    renderInEnglish(<PhoneStep busy={true} error={null} onSend={vi.fn()} />);
    expect(screen.getByRole("button", { name: "Sending code…" })).toBeDisabled();
  });
});

describe("the phone step's channels", () => {
  /** The step with the ladder `channels`, and the number +1 415 555 2671 typed in. */
  async function typed(channels: Parameters<typeof PhoneStep>[0]["channels"]) {
    const onSend = vi.fn();
    const view = renderInEnglish(<PhoneStep busy={false} error={null} onSend={onSend} channels={channels} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Country"), "US");
    await user.type(screen.getByLabelText("Phone number"), "4155552671");
    return { onSend, user, view };
  }

  it("offers a button for each message of the ladder, in its order, the first one primary", async () => {
    await typed(["whatsapp", "sms", "voice"]);
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Send by WhatsApp", "Send by SMS"]);
    expect(screen.getByRole("button", { name: "Send by WhatsApp" })).not.toHaveClass("secondary");
    expect(screen.getByRole("button", { name: "Send by SMS" })).toHaveClass("secondary");
    expect(screen.getByText("Choose how we send you a code to confirm it's yours.")).toBeInTheDocument();
  });

  it("sends by the channel the person chose, and by the first when they press Enter", async () => {
    const { onSend, user } = await typed(["whatsapp", "sms", "voice"]);
    await user.click(screen.getByRole("button", { name: "Send by WhatsApp" }));
    expect(onSend).toHaveBeenLastCalledWith("+14155552671", "whatsapp");
    await user.click(screen.getByRole("button", { name: "Send by SMS" }));
    expect(onSend).toHaveBeenLastCalledWith("+14155552671", "sms");
    await user.type(screen.getByLabelText("Phone number"), "{Enter}");
    expect(onSend).toHaveBeenLastCalledWith("+14155552671", "whatsapp");
    expect(onSend).toHaveBeenCalledTimes(3);
  });

  it("says which of them is sending", async () => {
    const { onSend, user, view } = await typed(["sms", "whatsapp"]);
    await user.click(screen.getByRole("button", { name: "Send by WhatsApp" }));
    view.rerender(<PhoneStep busy={true} error={null} onSend={onSend} channels={["sms", "whatsapp"]} />);
    expect(screen.getByRole("button", { name: "Sending code…" })).toHaveAttribute("aria-busy", "true");
    expect(screen.getAllByRole("button")[0]).toHaveTextContent("Send by SMS");
    expect(screen.getAllByRole("button")[0]).toBeDisabled();
  });

  // The server then sends by its ladder's first, or calls a landline the page cannot tell apart.
  it("keeps one Send code that leaves the channel to the server when the ladder has one message", async () => {
    const { onSend, user } = await typed(["whatsapp", "voice"]);
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Send code"]);
    expect(screen.getByText("We'll send you a code on WhatsApp to confirm it's yours.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSend).toHaveBeenCalledWith("+14155552671");
  });

  it("says a ladder that starts with a call calls", async () => {
    await typed(["voice"]);
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Send code"]);
    expect(screen.getByText("We'll call you with a code to confirm it's yours.")).toBeInTheDocument();
  });
});
