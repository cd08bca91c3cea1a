import { transliterate } from 'transliteration';

/**
 * Header normalisation, so that `Customer ID`, ` customer id ` and `CUSTOMER_ID` name the same column:
 * strip a BOM, trim, remove the accents of Latin letters (NFD, drop their combining marks), spell the
 * letters of other scripts in ASCII (transliteration's tables), lowercase, turn every run of characters
 * other than a-z and 0-9 into `_`, and trim `_` at both ends.
 * `"Preço (R$)"` -> `preco_r`, `"Код клиента"` -> `kod_klienta`, `"Straße"` -> `strasse`.
 *
 * Names must be ASCII: they become `custom.<key>` keys that API filters and scorecards name. Without the
 * transliteration, a header of only Cyrillic or Greek letters normalised to nothing (the column was then
 * `column_<n>`, and no mapping could name it).
 */
export function normalizeHeader(header: string): string {
  const unaccented = header
    .replace(/^\uFEFF/, '')
    .trim()
    .normalize('NFD')
    .replace(/([A-Za-z])[\u0300-\u036f]+/g, '$1');
  // Only what is left outside ASCII goes through the transliteration tables, recomposed first: the marks
  // of other scripts stay on their letters (`й` is a letter of its own, `Край` -> `kray`, not `krai`).
  // ASCII headers, nearly all of them, skip it.
  const ascii = /[^ -~]/.test(unaccented) ? transliterate(unaccented.normalize('NFC'), { unknown: '_' }) : unaccented;
  return ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * Normalised names for a whole header row, unique: a second column normalising to the same name gets
 * `_2` (then `_3`, ...), a header with nothing to spell (empty, or only symbols) becomes `column_<position>`.
 */
export function normalizeHeaderRow(headers: readonly string[]): string[] {
  const seen = new Set<string>();
  return headers.map((header, index) => {
    const base = normalizeHeader(header) || `column_${index + 1}`;
    let name = base;
    for (let suffix = 2; seen.has(name); suffix += 1) name = `${base}_${suffix}`;
    seen.add(name);
    return name;
  });
}
