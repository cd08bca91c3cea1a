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
  const bases = headers.map((header, index) => normalizeHeader(header) || `column_${index + 1}`);
  const own = new Set(bases);
  const given = new Set<string>();
  return bases.map((base) => {
    const name = uniqueName(base, given, own);
    given.add(name);
    return name;
  });
}

/**
 * `base`, or when a column (key) before has it, the first of `base_2`, `base_3`, ... that no column
 * before has and that is no column's own name (`ownNames`): in `Phone,Phone,Phone 2` the second Phone is
 * `phone_3`, since `phone_2` is what `Phone 2` is called, and what a mapping naming "Phone 2" must find.
 */
export function uniqueName(base: string, given: ReadonlySet<string>, ownNames: ReadonlySet<string>): string {
  if (!given.has(base)) return base;
  let name = base;
  for (let suffix = 2; given.has(name) || ownNames.has(name); suffix += 1) name = `${base}_${suffix}`;
  return name;
}
