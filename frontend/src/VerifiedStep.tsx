import { useEffect, useRef } from "react";
import { fill, useI18n } from "./i18n";
import { formatPhone } from "./phone";

interface Props {
  phoneNumber: string;
  /** The application a sign-in takes the person back to. */
  returningTo?: string;
  onVerifyAnother: () => void;
}

/** The number is verified: said, with focus on the heading (a screen reader reads it). */
export function VerifiedStep({ phoneNumber, returningTo, onVerifyAnother }: Props) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="verified" aria-labelledby="step-title">
      <div className="check" aria-hidden="true">
        ✓
      </div>
      <h1 id="step-title" tabIndex={-1} ref={heading}>
        {t.verifiedTitle}
      </h1>
      <p role="status">
        {fill(
          t.verifiedBody,
          <span key="phone" dir="ltr">
            {formatPhone(phoneNumber)}
          </span>,
        )}
        {returningTo && ` ${t.takingYouBack(returningTo)}`}
      </p>
      <button type="button" className="secondary" onClick={onVerifyAnother}>
        {t.verifyAnother}
      </button>
    </section>
  );
}
