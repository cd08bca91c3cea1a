export type CsvDelimiter = ',' | ';' | '\t' | '|';

/** In preference order, which breaks ties. */
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

const QUOTED = /"(?:[^"]|"")*"/g;
const SAMPLE_LINES = 50;

/**
 * Delimiter rule: in the first 50 complete lines of the sample, with quoted text removed (so delimiters
 * and line breaks inside quotes do not count), each candidate scores the number of lines that contain it
 * as many times as the header line does, provided the header contains it at least once (two or more
 * fields). The highest score wins; ties go to `,` then `;` then tab then `|`. No candidate in the header
 * means a single-column file, read with `,`.
 */
export function detectDelimiter(sample: string, complete: boolean): CsvDelimiter {
  return bestDelimiter(delimiterScores(sample, complete));
}

/** The score of each candidate the header contains (detectDelimiter's rule). */
export function delimiterScores(sample: string, complete: boolean): Map<CsvDelimiter, number> {
  const unquoted = sample.replace(QUOTED, '""');
  // A lone CR ends a record too (old Mac exports), as in the record reader.
  let lines = unquoted.split(/\r\n|\r|\n/);
  // The last line may be cut by the end of the sample.
  if (!complete && lines.length > 1) lines = lines.slice(0, -1);
  lines = lines.slice(0, SAMPLE_LINES).filter((line) => line.trim() !== '');
  const scores = new Map<CsvDelimiter, number>();
  const header = lines[0];
  if (header === undefined) return scores;
  for (const delimiter of CSV_DELIMITERS) {
    const expected = countOf(header, delimiter);
    if (expected > 0) scores.set(delimiter, lines.filter((line) => countOf(line, delimiter) === expected).length);
  }
  return scores;
}

/** The candidate with the highest score, the first in CSV_DELIMITERS' order among equals; `,` when none. */
export function bestDelimiter(scores: ReadonlyMap<CsvDelimiter, number>): CsvDelimiter {
  let best: CsvDelimiter = ',';
  let bestScore = 0;
  for (const delimiter of CSV_DELIMITERS) {
    const score = scores.get(delimiter) ?? 0;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

function countOf(line: string, delimiter: string): number {
  let count = 0;
  for (let index = line.indexOf(delimiter); index !== -1; index = line.indexOf(delimiter, index + 1)) count += 1;
  return count;
}
