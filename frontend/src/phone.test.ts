import { describe, expect, it } from "vitest";
import { countries, defaultCountry, flag, formatAsTyped, maskPhone, parsePhone } from "./phone";

describe("phone numbers", () => {
  it("formats a national number as it is typed", () => {
    expect(formatAsTyped("4155", "US")).toBe("(415) 5");
    expect(formatAsTyped("4155552671", "US")).toBe("(415) 555-2671");
    expect(formatAsTyped("07400123456", "GB")).toBe("07400 123456");
    expect(formatAsTyped("+447400123456", "US")).toBe("+44 7400 123456");
  });

  it("reads national numbers for the chosen country and full numbers for their own", () => {
    expect(parsePhone("(415) 555-2671", "US")).toEqual({ valid: true, e164: "+14155552671", country: "US" });
    expect(parsePhone("07400 123456", "GB")).toEqual({ valid: true, e164: "+447400123456", country: "GB" });
    expect(parsePhone("+44 7400 123456", "US")).toMatchObject({ valid: true, e164: "+447400123456", country: "GB" });
    expect(parsePhone("  ", "US")).toEqual({ valid: false, reason: "empty" });
    expect(parsePhone("415 555", "US")).toEqual({ valid: false, reason: "invalid" });
    expect(parsePhone("call me", "US")).toEqual({ valid: false, reason: "invalid" });
  });

  it("picks the country from the browser's languages", () => {
    expect(defaultCountry(["en-GB", "en"])).toBe("GB");
    expect(defaultCountry(["de"])).toBe("DE");
    expect(defaultCountry(["pt-BR"])).toBe("BR");
    expect(defaultCountry([])).toBe("US");
  });

  it("lists countries with flags and dial codes", () => {
    const list = countries("en");
    const uk = list.find((c) => c.code === "GB");
    expect(uk).toEqual({ code: "GB", name: "United Kingdom", dialCode: "+44", flag: "🇬🇧" });
    expect(list.length).toBeGreaterThan(200);
    expect(flag("us")).toBe("🇺🇸");
  });

  it("masks numbers the way the API does", () => {
    expect(maskPhone("+14155552671")).toBe("+1 415 *** 2671");
    expect(maskPhone("+447400123456")).not.toContain("7400123456");
  });
});
