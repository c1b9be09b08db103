// Phone numbers on the page: countries for the selector, formatting as a person types, and the
// E.164 form the API wants. libphonenumber-js with its "min" metadata: validity, not types.

import {
  AsYouType,
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js/min";

export type { CountryCode };

export interface Country {
  code: CountryCode;
  name: string;
  dialCode: string;
  flag: string;
}

/** A region code as its flag emoji (two regional indicator symbols). */
export function flag(code: string): string {
  return String.fromCodePoint(...[...code.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** Every country libphonenumber knows, named in the browser's language, sorted by name. */
export function countries(locale: string = navigator.language): Country[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([locale, "en"], { type: "region" });
  } catch {
    names = undefined;
  }
  return getCountries()
    .map((code) => ({
      code,
      name: names?.of(code) ?? code,
      dialCode: `+${getCountryCallingCode(code)}`,
      flag: flag(code),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** The country of the browser's language tag (`en-GB` → GB), else US. */
export function defaultCountry(
  languages: readonly string[] = navigator.languages ?? [navigator.language],
): CountryCode {
  const known = new Set<string>(getCountries());
  for (const tag of languages) {
    let region: string | undefined;
    try {
      region = new Intl.Locale(tag).maximize().region;
    } catch {
      region = undefined;
    }
    if (region && known.has(region)) return region as CountryCode;
  }
  return "US";
}

/** What the person typed, formatted as they type it, for `country` (or the `+` number's own). */
export function formatAsTyped(input: string, country: CountryCode): string {
  return new AsYouType(input.trim().startsWith("+") ? undefined : country).input(input);
}

export type ParsedPhone =
  { valid: true; e164: string; country: CountryCode | undefined } | { valid: false; reason: "empty" | "invalid" };

/** Reads a national number for `country`, or a full `+…` number pasted whatever the country. */
export function parsePhone(input: string, country: CountryCode): ParsedPhone {
  if (!input.trim()) return { valid: false, reason: "empty" };
  const parsed = parsePhoneNumberFromString(input, input.trim().startsWith("+") ? undefined : country);
  if (!parsed || !parsed.isValid()) return { valid: false, reason: "invalid" };
  return { valid: true, e164: parsed.number, country: parsed.country };
}

/** `+1 415 555 2671`: an E.164 number written for a person. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** `+1 415 *** 2671`: the country code, the first digits and the last four, for the person whose
 *  number it is to recognise it on their own screen (log lines keep the country and two digits). */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  const international = parsed.formatInternational();
  const countryDigits = parsed.countryCallingCode.length;
  const national = parsed.nationalNumber.length;
  const [head, tail] = national <= 6 ? [0, 2] : national <= 8 ? [2, 2] : national === 9 ? [2, 3] : [3, 4];
  let seen = 0;
  return [...international]
    .map((c) => {
      if (!/\d/.test(c)) return c;
      seen += 1;
      const index = seen - countryDigits;
      return seen <= countryDigits || index <= head || index > national - tail ? c : "*";
    })
    .join("");
}
