// What the page reads at start from /config.json, published beside it (by `otp-local` locally,
// by scripts/publish-page when deployed): the bot check's site key when it is on, and the
// applications that may send people here to verify their number.

export interface Client {
  clientId: string;
  name: string;
  redirectUris: string[];
}

export interface PageConfig {
  turnstileSiteKey: string | null;
  clients: Client[];
}

let config: Promise<PageConfig> | undefined;

const isClient = (c: unknown): c is Client =>
  typeof c === "object" &&
  c !== null &&
  typeof (c as Client).clientId === "string" &&
  typeof (c as Client).name === "string" &&
  Array.isArray((c as Client).redirectUris) &&
  (c as Client).redirectUris.every((u) => typeof u === "string");

/** The page's configuration; an unreachable or malformed file reads as no bot check, no clients. */
export function pageConfig(): Promise<PageConfig> {
  config ??= fetch("/config.json")
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}))
    .then((raw: { turnstileSiteKey?: unknown; clients?: unknown }) => ({
      turnstileSiteKey: typeof raw.turnstileSiteKey === "string" && raw.turnstileSiteKey ? raw.turnstileSiteKey : null,
      clients: Array.isArray(raw.clients) ? raw.clients.filter(isClient) : [],
    }));
  return config;
}

/** Forgets the loaded configuration (for tests). */
export function resetPageConfig() {
  config = undefined;
}
