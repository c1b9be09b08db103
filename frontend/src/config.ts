// What the page reads at start from /config.json, published beside it (by `otp-local` locally,
// by scripts/publish-page when deployed): the bot check's site key when it is on, the operator's
// branding, and the ways the operator sends codes.

import { channelsIn, type Channel } from "./api";

/** Whose service this is: a name, a logo published beside the page, an accent colour (`#rrggbb`). */
export interface Branding {
  name: string | null;
  logo: string | null;
  accentColor: string | null;
}

export interface PageConfig {
  turnstileSiteKey: string | null;
  brand: Branding | null;
  /** The operator's channel ladder, in their order (a sign-in's application may have its own). */
  channels: readonly Channel[];
}

/** The ladder of a server that names none: a text message, then a call. */
export const DEFAULT_CHANNELS: readonly Channel[] = ["sms", "voice"];

let config: Promise<PageConfig> | undefined;

const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);

/** The branding as published; a logo only on this origin (the page's policy allows no other). */
function branding(raw: unknown): Branding | null {
  if (typeof raw !== "object" || raw === null) return null;
  const { name, logo, accentColor } = raw as Record<string, unknown>;
  const brand = {
    name: text(name),
    logo: text(logo)?.startsWith("/") && !text(logo)?.startsWith("//") ? text(logo) : null,
    accentColor: /^#[0-9a-f]{6}$/i.test(text(accentColor) ?? "") ? text(accentColor) : null,
  };
  return brand.name || brand.logo || brand.accentColor ? brand : null;
}

/** A ladder with no channel this page knows offers nothing to send by: the default's instead. */
const ladder = (raw: unknown) => {
  const channels = channelsIn(raw);
  return channels?.length ? channels : DEFAULT_CHANNELS;
};

/** The page's configuration; an unreachable or malformed file reads as no bot check, no branding,
 *  the default ladder. */
export function pageConfig(): Promise<PageConfig> {
  config ??= fetch("/config.json")
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}))
    .then((raw: { turnstileSiteKey?: unknown; brand?: unknown; channels?: unknown }) => ({
      turnstileSiteKey: typeof raw.turnstileSiteKey === "string" && raw.turnstileSiteKey ? raw.turnstileSiteKey : null,
      brand: branding(raw.brand),
      channels: ladder(raw.channels),
    }));
  return config;
}

/** Forgets the loaded configuration (for tests). */
export function resetPageConfig() {
  config = undefined;
}
