import { afterEach, describe, expect, it } from "vitest";
import { explain } from "./errors";
import { applyToDocument, codeLocale, LANGUAGES, load, pickLanguage, rememberLanguage, type I18n } from "./i18n";
import type { Catalogue } from "./i18n/en";
import { english } from "./testing";

/** Every sentence of a catalogue, with its functions called on sample values. */
function sentences(t: Catalogue, i18n: I18n): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") out.push(value);
    else if (typeof value === "function") out.push((value as (...a: unknown[]) => string)(2, i18n.f));
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(t);
  return out;
}

afterEach(() => localStorage.clear());

describe("the page's languages", () => {
  it("picks the person's choice, else the first browser language it has, else English", () => {
    expect(pickLanguage(null, ["es-MX", "en-US"])).toBe("es");
    expect(pickLanguage(null, ["tlh", "pt_PT", "fr"])).toBe("pt");
    expect(pickLanguage("de", ["es-MX"])).toBe("de");
    expect(pickLanguage("xx", ["ja-JP"])).toBe("en");
  });

  it.each(LANGUAGES.filter((l) => l.code !== "en").map((l) => l.code))("%s translates every sentence", async (lang) => {
    const i18n = await load(lang);
    expect(i18n.lang).toBe(lang);
    const translated = sentences(i18n.t, i18n);
    const original = sentences(english.t, english);
    expect(translated).toHaveLength(original.length);
    // Every sentence is there, non-empty; nearly all differ from English (a few, like
    // "Verificar", may not).
    expect(translated.every((s) => s.trim().length > 0)).toBe(true);
    const same = translated.filter((s, i) => s === original[i]);
    expect(same.length).toBeLessThanOrEqual(1);
    // `{phone}` stays where the sentence needs the number.
    for (const key of ["sentTo", "sentByWhatsApp", "callingTo", "verifiedBody"] as const)
      expect(i18n.t[key]).toContain("{phone}");
  });

  it("formats numbers, countdowns and waits in the language", async () => {
    // Digits and grouping as CLDR has them for the language (Arabic's default digits are Latin).
    expect((await load("de")).f.number(1234)).toBe("1.234");
    expect(english.f.number(1234)).toBe("1,234");
    expect(english.f.clock(245)).toBe("4:05");
    expect(explain({ code: "rate_limited", error: "x", retryAfter: 1800 }, await load("fr")).message).toBe(
      "Trop de codes ont été demandés. Réessayez dans 30 minutes.",
    );
    expect(explain({ code: "rate_limited", error: "x" }, await load("de")).message).toContain("später");
  });

  it("sets the document's language and direction, and remembers a choice", async () => {
    rememberLanguage("ar");
    applyToDocument(await load("ar"));
    expect([document.documentElement.lang, document.documentElement.dir]).toEqual(["ar", "rtl"]);
    expect(localStorage.getItem("phone-verification-language")).toBe("ar");
    applyToDocument(english);
    expect(document.documentElement.dir).toBe("ltr");
  });

  it("asks for the code in the browser's tag when it is the page's language, else in the page's", async () => {
    expect(codeLocale(await load("es"), "es-MX")).toBe("es-MX");
    expect(codeLocale(await load("pt"), "en-US")).toBe("pt-BR");
    expect(codeLocale(english, "")).toBe("en");
  });
});
