import { useEffect, useState } from "react";
import { devMessages, type DevMessage } from "./api";
import { useI18n } from "./i18n";

/** The texts the local simulator "sent", for trying the flow without a phone. Renders nothing
 * unless the local server runs the simulator. A new `refresh` value (a new code sent) fetches at
 * once instead of at the next poll. */
export function SimulatedPhone({ refresh }: { refresh: string }) {
  const { t } = useI18n();
  const [messages, setMessages] = useState<DevMessage[] | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const latest = await devMessages();
      if (stopped || latest === null) return;
      setMessages(latest);
      timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh]);
  if (messages === null) return null;
  return (
    <aside className="simulated-phone" aria-label={t.simulatedPhone}>
      <h2>{t.simulatedPhone}</h2>
      <p className="hint">{t.simulatedHint}</p>
      {messages.length === 0 ? (
        <p className="hint">{t.noMessages}</p>
      ) : (
        <ol>
          {messages
            .slice(-3)
            .reverse()
            .map((m) => (
              <li key={`${m.sentAt}-${m.code}-${m.to}`}>
                <span className="to" dir="ltr">
                  <Marker channel={m.channel} /> {m.to}
                </span>{" "}
                <span lang="en" dir="ltr">
                  {m.text}
                </span>
              </li>
            ))}
        </ol>
      )}
    </aside>
  );
}

/** How a message went, at a glance: a call, a WhatsApp message, or a text. */
function Marker({ channel }: { channel: string }) {
  if (channel === "voice") return "📞";
  if (channel === "whatsapp") return <span className="channel">WhatsApp</span>;
  return "💬";
}
