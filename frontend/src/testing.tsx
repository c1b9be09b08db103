// What the component tests share: the page's English, and a render inside the provider the page
// renders in (with English, as main.tsx loads it for an English browser).

import { render } from "@testing-library/react";
import type { ReactElement, ReactNode } from "react";
import { I18nProvider, inLanguage } from "./i18n";
import { catalogue } from "./i18n/en";

export const english = inLanguage("en", catalogue);

const InEnglish = ({ children }: { children: ReactNode }) => (
  <I18nProvider value={{ ...english, choose: () => undefined }}>{children}</I18nProvider>
);

/** `ui` rendered as the page renders it, in English. */
export const renderInEnglish = (ui: ReactElement) => render(ui, { wrapper: InEnglish });
