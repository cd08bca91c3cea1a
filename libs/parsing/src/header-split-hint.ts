import { CSV_DELIMITERS, type CsvDelimiter } from './delimiter-detection';
import { normalizeHeader } from './header-names';

/** The delimiter a CSV file is read with: the mapping's, or detected (with each candidate's score). */
export interface DelimiterChoice {
  readonly delimiter: CsvDelimiter;
  /** delimiterScores of the sample when detected; undefined when the mapping sets the delimiter. */
  readonly scores: ReadonlyMap<CsvDelimiter, number> | undefined;
}

const shown = (delimiter: CsvDelimiter): string => (delimiter === '\t' ? 'tab' : `"${delimiter}"`);

/**
 * When a column the file must have (a required field, a column the mapping names) is not in the header
 * but is inside one of the columns found (`external_id;name;Receita (R$` for external_id), the header was
 * most likely split at the wrong delimiter (`,` winning a tie with `;`, say). A message listing the columns
 * found then seems to contradict itself; this says which delimiter was used, why, and how to set another.
 * Undefined when no wanted name is inside a column.
 */
export function headerSplitHint(wanted: readonly string[], headers: readonly string[], choice: DelimiterChoice): string | undefined {
  for (const name of wanted) {
    const normalized = normalizeHeader(name);
    if (normalized === '') continue;
    const cell = headers.find((header) => {
      const columnName = normalizeHeader(header);
      return columnName !== normalized && `_${columnName}_`.includes(`_${normalized}_`);
    });
    if (cell === undefined) continue;
    const used = shown(choice.delimiter);
    const other = CSV_DELIMITERS.find((delimiter) => delimiter !== choice.delimiter && cell.includes(delimiter));
    let how = 'set in the import mapping';
    if (choice.scores !== undefined) {
      const tie = other !== undefined && choice.scores.get(other) === choice.scores.get(choice.delimiter);
      how = `detected from the first lines of the file${tie ? ` (${shown(other)} fits them as well, and ${used} comes first in the order , ; tab |)` : ''}`;
    }
    const advice =
      other === undefined
        ? 'the file looks separated by another character; the import reads , ; tab or |, which the import mapping\'s "delimiter" sets.'
        : `if the file is separated by ${shown(other)}, set the delimiter in the import mapping: ${JSON.stringify({ delimiter: other })}.`;
    return `The header was split at ${used}, ${how}, but the column "${cell}" has ${name} in it: ${advice}`;
  }
  return undefined;
}

/** The columns found, each in quotes, for a message with a headerSplitHint (where the split is the point). */
export const quotedColumns = (headers: readonly string[]): string => headers.map((header) => `"${header}"`).join(', ');
