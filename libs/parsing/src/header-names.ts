/**
 * Header normalisation, so that `Customer ID`, ` customer id ` and `CUSTOMER_ID` name the same column:
 * strip a BOM, trim, remove accents (NFD, drop combining marks), lowercase, turn every run of characters
 * other than a-z and 0-9 into `_`, and trim `_` at both ends. `"Preço (R$)"` -> `preco_r`.
 */
export function normalizeHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .trim()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * Normalised names for a whole header row, unique: a second column normalising to the same name gets
 * `_2` (then `_3`, ...), an empty header becomes `column_<position>`.
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
