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
