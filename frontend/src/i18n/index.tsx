// The page's languages: which one to show (the person's choice, else the browser's languages,
// else English), its catalogue (each a file of its own, English included, loaded only when
// chosen: a visitor downloads one), and the context components read it from.

import { createContext, useContext, type ReactNode } from "react";
import type { Catalogue } from "./en";
import { formats, type Formats } from "./format";

export const LANGUAGES = [
  { code: "en", tag: "en", name: "English", dir: "ltr" },
  { code: "es", tag: "es", name: "Español", dir: "ltr" },
  { code: "fr", tag: "fr", name: "Français", dir: "ltr" },
  { code: "de", tag: "de", name: "Deutsch", dir: "ltr" },
  { code: "pt", tag: "pt-BR", name: "Português", dir: "ltr" },
  { code: "ar", tag: "ar", name: "العربية", dir: "rtl" },
] as const;

export type Language = (typeof LANGUAGES)[number]["code"];

const CATALOGUES: Record<Language, () => Promise<{ catalogue: Catalogue }>> = {
  en: () => import("./en"),
  es: () => import("./es"),
  fr: () => import("./fr"),
  de: () => import("./de"),
  pt: () => import("./pt"),
  ar: () => import("./ar"),
};

export interface I18n {
  lang: Language;
  /** The BCP 47 tag of the page's language (`pt-BR`). */
  tag: string;
  dir: "ltr" | "rtl";
  t: Catalogue;
  f: Formats;
}

const info = (lang: Language) => LANGUAGES.find((l) => l.code === lang) ?? LANGUAGES[0];

/** `lang` with its catalogue `t`. */
export function inLanguage(lang: Language, t: Catalogue): I18n {
  const { tag, dir } = info(lang);
  return { lang, tag, dir, t, f: formats(tag) };
}

export const isLanguage = (code: string): code is Language => LANGUAGES.some((l) => l.code === code);

const STORAGE_KEY = "phone-verification-language";

/** A BCP 47 tag's language: `es` of `es-MX` (or `es_MX`). */
const languageOf = (tag: string) => tag.split(/[-_]/)[0].toLowerCase();

/** The language to show: `saved` (the person's choice), else the first of `browser` the page
 *  has (by language, any region), else English. */
export function pickLanguage(saved: string | null, browser: readonly string[]): Language {
  if (saved && isLanguage(saved)) return saved;
  return browser.map(languageOf).find(isLanguage) ?? "en";
}

/** The person's earlier choice on this browser, if any. */
export function savedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Keeps the person's choice for their next visit. */
export function rememberLanguage(lang: Language) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private browsing may refuse storage: the choice lasts the visit.
  }
}

/** Loads `lang`'s catalogue (English if it cannot be fetched). */
export async function load(lang: Language): Promise<I18n> {
  try {
    return inLanguage(lang, (await CATALOGUES[lang]()).catalogue);
  } catch {
    return lang === "en" ? Promise.reject(new Error("the page's English did not load")) : load("en");
  }
}

/** The document in `i18n`'s language and direction (screen readers, fonts, layout). */
export function applyToDocument({ tag, dir, t }: I18n) {
  document.documentElement.lang = tag;
  document.documentElement.dir = dir;
  document.title = t.phoneTitle;
}

/**
 * The language to ask the API to send the code in: the browser's own tag when it is the page's
 * language (it carries the region: `es-MX`), else the page's.
 */
export function codeLocale({ lang, tag }: I18n, browser: string | undefined = navigator.language): string {
  return browser && languageOf(browser) === lang ? browser : tag;
}

interface Context extends I18n {
  choose: (lang: Language) => void;
}

const I18nContext = createContext<Context | null>(null);

export const I18nProvider = I18nContext.Provider;

/** The page's language, from the provider the page renders in (main.tsx's catalogue, or the
 *  person's choice since). */
export function useI18n(): Context {
  const context = useContext(I18nContext);
  if (!context) throw new Error("render inside I18nProvider");
  return context;
}

/** `sentence` with `{phone}` replaced by `node`. */
export function fill(sentence: string, node: ReactNode): ReactNode[] {
  const [before, after = ""] = sentence.split("{phone}");
  return [before, node, after];
}
