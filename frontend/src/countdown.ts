import { useEffect, useState } from "react";

/** Whole seconds until `target` (an ISO time), counting down once a second; 0 when past. */
export function useSecondsUntil(target: string): number {
  const [now, setNow] = useState(Date.now);
  const end = Date.parse(target);
  useEffect(() => {
    const timer = setInterval(() => {
      const tick = Date.now();
      setNow(tick);
      if (tick >= end) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [end]);
  return Math.max(0, Math.ceil((end - now) / 1000));
}
