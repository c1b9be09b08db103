// The bot check the API asks for before it sends a code, when the operator turned it on: a
// Cloudflare Turnstile token for the action `request-otp`. The site key comes from /config.json
// (published beside the page); without one, nothing loads and no token is sent. A token is good
// for one request, so the widget is reset after each.

import { pageConfig, resetPageConfig } from "./config";

const SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
export const ACTION = "request-otp";
/** How long a person may take over a challenge the widget shows them. */
const PATIENCE_MS = 120_000;

interface Turnstile {
  render(element: HTMLElement, options: Record<string, unknown>): string;
  execute(widget: string): void;
  reset(widget: string): void;
}

declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

/** Why no token could be had: the widget did not load, or its challenge failed. */
export class BotCheckError extends Error {
  constructor(readonly code: "bot_check_unavailable" | "bot_check_failed") {
    super(code);
  }
}

let script: Promise<Turnstile> | undefined;

function loadScript(): Promise<Turnstile> {
  script ??= new Promise<Turnstile>((resolve, reject) => {
    const element = document.createElement("script");
    element.src = SCRIPT;
    element.async = true;
    element.onload = () => (window.turnstile ? resolve(window.turnstile) : reject(new Error("no turnstile")));
    element.onerror = () => reject(new Error("the widget did not load"));
    document.head.append(element);
  }).catch((e: unknown) => {
    script = undefined; // try again on the next request
    throw e;
  });
  return script;
}

interface Widget {
  id: string;
  container: HTMLElement;
  waiting?: { resolve: (token: string) => void; reject: (e: BotCheckError) => void };
}

let widget: Widget | null = null;

/**
 * A fresh token for one request-otp call, from the widget in `container`; `undefined` when the
 * bot check is off. Rejects with a {@link BotCheckError}.
 */
export async function botCheckToken(container: HTMLElement): Promise<string | undefined> {
  const key = (await pageConfig()).turnstileSiteKey;
  if (!key) return undefined;
  const turnstile = await loadScript().catch(() => {
    throw new BotCheckError("bot_check_unavailable");
  });
  if (widget?.container !== container) {
    const id = turnstile.render(container, {
      sitekey: key,
      action: ACTION,
      execution: "execute",
      appearance: "interaction-only",
      callback: (token: string) => widget?.waiting?.resolve(token),
      "error-callback": () => {
        widget?.waiting?.reject(new BotCheckError("bot_check_failed"));
        return true;
      },
      "expired-callback": () => widget && turnstile.reset(widget.id),
    });
    widget = { id, container };
  }
  const current = widget;
  try {
    return await new Promise<string>((resolve, reject) => {
      current.waiting = { resolve, reject };
      setTimeout(() => reject(new BotCheckError("bot_check_failed")), PATIENCE_MS);
      turnstile.execute(current.id);
    });
  } finally {
    current.waiting = undefined;
    turnstile.reset(current.id);
  }
}

/** Forgets the loaded configuration, script and widget (for tests). */
export function resetBotCheck() {
  resetPageConfig();
  script = undefined;
  widget = null;
}
