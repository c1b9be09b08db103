import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { applyToDocument, load, pickLanguage, savedLanguage } from "./i18n";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
// The person's language (their choice, else the browser's): English is built in; another is a
// small file of its own, read before the first paint so that the page never flashes English.
const language = pickLanguage(savedLanguage(), navigator.languages ?? [navigator.language]);
load(language).then(
  (i18n) => {
    applyToDocument(i18n);
    createRoot(root).render(
      <StrictMode>
        <App initial={i18n} />
      </StrictMode>,
    );
  },
  // Not even English arrived (the connection dropped between two files): say so, in English.
  () => (root.textContent = "The page could not load. Check your connection, then reload the page."),
);
