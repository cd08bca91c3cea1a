import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Messy tenant files used by the parser's unit tests and reusable end-to-end (ingestion). Each name's
 * content and the rows/rejects it must give are described in libs/parsing/README.md ("Test corpus").
 * The files live in the source tree (they are not copied into dist).
 */
export const PARSING_CORPUS = {
  /** UTF-8, `,`, export-style headers (`Customer ID` needs a mapping), quoted comma, aliases, custom columns. */
  customersComma: 'customers-comma.csv',
  /** Windows-1252 bytes, `;`, CRLF, dd/mm/yyyy, `1.234,56`, sim/não, “curly quotes”. */
  customersLatin1Semicolon: 'customers-latin1-semicolon.csv',
  /** UTF-8 with BOM, tab, CRLF, timestamps without offset / with offset / epoch seconds. */
  ordersTabBomCrlf: 'orders-tab-bom-crlf.tsv',
  /** `|`, a quote inside an unquoted field, `1,299.00`. */
  productsPipe: 'products-pipe.csv',
  /** Quoted fields with line breaks, out-of-range / non-integer scores, missing customer, invalid date. */
  npsQuotedNewlines: 'nps-quoted-newlines.csv',
  /** `;`, Portuguese headers (needs a mapping), dd/mm/yyyy HH:mm, decimal comma. */
  ordersPtBr: 'orders-pt-br.csv',
  /** No ordered_at column: the whole file fails (missing_required_column). */
  ordersMissingColumn: 'orders-missing-column.csv',
  /** Bad timestamp, bad number, short and long records, out-of-range total, extra columns. */
  ordersWrongTypes: 'orders-wrong-types.csv',
  /** A SQL Server / .NET export: "no date" written as 0001-01-01, 1900-01-01 or 9999-12-31, also in a custom column. */
  ordersPlaceholderDates: 'orders-placeholder-dates.csv',
  /** Zero bytes: the whole file fails (empty_file). */
  empty: 'empty.csv',
  /** Header only: zero rows, no error. */
  customersHeaderOnly: 'customers-header-only.csv',
  /** NDJSON: blank line, truncated JSON, non-JSON, an array, missing required field, typed custom keys. */
  usageEventsNdjson: 'usage-events.ndjson',
  /** Day/month dates that cannot be told apart without a locale setting. */
  customersAmbiguousDates: 'customers-ambiguous-dates.csv',
} as const;

export type ParsingCorpusFile = (typeof PARSING_CORPUS)[keyof typeof PARSING_CORPUS];

export function parsingCorpusPath(name: ParsingCorpusFile): string {
  return path.join(__dirname, 'corpus', name);
}

export function readParsingCorpusFile(name: ParsingCorpusFile): Buffer {
  return readFileSync(parsingCorpusPath(name));
}
