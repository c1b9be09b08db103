import { LANGUAGES, useI18n } from "./i18n";

/** The page's language, each named in itself; the choice is kept for the next visit. */
export function LanguagePicker() {
  const { t, lang, choose } = useI18n();
  return (
    <footer className="language">
      <label htmlFor="language">{t.language}</label>
      <select id="language" value={lang} onChange={(e) => choose(LANGUAGES[e.target.selectedIndex].code)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.tag}>
            {l.name}
          </option>
        ))}
      </select>
    </footer>
  );
}
