// Numbers, countdowns and waits in the page's language, with the browser's Intl: `4:05` or
// `٤:٠٥`, "in 30 seconds" or "dans 30 secondes".

export interface Formats {
  /** A whole number in the language's digits and grouping. */
  number: (n: number) => string;
  /** A countdown in minutes and seconds: `4:05`. */
  clock: (seconds: number) => string;
  /** A wait from now ("in 30 seconds", "in 2 minutes"), or `later` when none is known. */
  wait: (seconds: number | undefined, later: string) => string;
}

export function formats(lang: string): Formats {
  const whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const twoDigits = new Intl.NumberFormat(lang, { minimumIntegerDigits: 2, useGrouping: false });
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
  return {
    number: (n) => whole.format(n),
    clock: (seconds) => `${whole.format(Math.floor(seconds / 60))}:${twoDigits.format(seconds % 60)}`,
    wait: (seconds, later) => {
      if (!seconds) return later;
      if (seconds < 90) return relative.format(seconds, "second");
      if (seconds <= 90 * 60) return relative.format(Math.ceil(seconds / 60), "minute");
      return relative.format(Math.ceil(seconds / 3600), "hour");
    },
  };
}
