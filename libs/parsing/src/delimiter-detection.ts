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
  const unquoted = sample.replace(QUOTED, '""');
  let lines = unquoted.split('\n');
  // The last line may be cut by the end of the sample.
  if (!complete && lines.length > 1) lines = lines.slice(0, -1);
  lines = lines.slice(0, SAMPLE_LINES).filter((line) => line.trim() !== '');
  const header = lines[0];
  if (header === undefined) return ',';
  let best: CsvDelimiter = ',';
  let bestScore = 0;
  for (const delimiter of CSV_DELIMITERS) {
    const expected = countOf(header, delimiter);
    if (expected === 0) continue;
    const score = lines.filter((line) => countOf(line, delimiter) === expected).length;
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
