// The operator's branding, from /config.json: a name and a logo at the top of the card, and an
// accent colour for buttons, links and focus rings. The stylesheet keeps the accent readable:
// in each scheme it takes the colour's hue and chroma at a lightness that holds WCAG AA (4.5:1)
// on the card, for text in the accent and on it (styles.css, `[data-accent]`).

import { useEffect, useState } from "react";
import { pageConfig, type Branding } from "./config";

/** The branding, once /config.json has been read (none until then, or when it names none). */
export function useBrand(): Branding | null {
  const [brand, setBrand] = useState<Branding | null>(null);
  useEffect(() => {
    void pageConfig().then((config) => {
      const accent = config.brand?.accentColor;
      if (accent) {
        document.documentElement.style.setProperty("--brand", accent);
        document.documentElement.dataset.accent = accent;
      }
      setBrand(config.brand);
    });
  }, []);
  return brand;
}

/** Whose service this is: the operator's logo and name, at the top of the card. */
export function Brand({ brand }: { brand: Branding | null }) {
  if (!brand?.name && !brand?.logo) return null;
  return (
    <header className="brand">
      {/* Beside the name, the logo says nothing more: no alternative text. */}
      {brand.logo && <img src={brand.logo} alt="" height={32} />}
      {brand.name && <span className="brand-name">{brand.name}</span>}
    </header>
  );
}
