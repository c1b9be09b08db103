import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { setStandalone } from "./i18n";
import { en } from "./i18n/en";

// Components rendered on their own speak English.
setStandalone(en);

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
