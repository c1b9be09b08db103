// What a controlled input shows. Preact renders a component again only when its state changes:
// a keystroke the page refuses (a letter in the code or the number) leaves the
// state as it was, and the field would keep the refused character. React would put it back.

/** Puts `value` (what the page keeps of the person's typing) in `field` now; returns it. */
export function show(field: HTMLInputElement, value: string): string {
  // Only when it differs: writing the same text would move the caret to the end.
  if (field.value !== value) field.value = value;
  return value;
}
