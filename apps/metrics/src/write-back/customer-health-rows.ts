import type { CompiledScorecard } from '@pulse/health-scoring';
import { assertKpiHeader, CUSTOMER_KPI_COLUMNS } from './kpi-output-columns';

/** Columns of the customer staging table, in the order customerHealthRows writes them. */
export const CUSTOMER_STAGE_COLUMNS = [...Object.keys(CUSTOMER_KPI_COLUMNS), 'health_score', 'health_band', 'contributions'];

export interface CustomerHealthCounts {
  rows: number;
  scored: number;
}

/** One CSV field for COPY ... (FORMAT csv): empty = NULL; quoted when it holds a delimiter, quote or newline. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const ROWS_PER_CHUNK = 2_000;

/**
 * Reads the parsed customer KPI CSV (arrays of cells, header first, possibly several parts each with
 * its header), scores each customer with the scorecard and yields COPY-ready CSV text in
 * CUSTOMER_STAGE_COLUMNS order: the KPI cells as they came, then the health score, band and
 * contributions (JSON). Constant memory: rows stream through in chunks.
 *
 * `customValues(externalId)` gives the customer's values of `scorecard.customFields`, in that order.
 */
export async function* customerHealthRows(
  records: AsyncIterable<string[]>,
  file: string,
  scorecard: CompiledScorecard,
  customValues: (externalId: string) => readonly unknown[] | undefined,
  counts: CustomerHealthCounts,
): AsyncGenerator<string> {
  const kpiColumns = Object.keys(CUSTOMER_KPI_COLUMNS);
  let positions: number[] | undefined;
  let header: string[] | undefined;
  let index = new Map<string, number>();
  let current: string[] = [];
  let custom: readonly unknown[] | undefined;
  const customIndex = new Map(scorecard.customFields.map((field, position) => [field, position]));
  const values = {
    kpi: (column: string) => {
      const at = index.get(column);
      return at === undefined ? undefined : current[at];
    },
    custom: (field: string) => custom?.[customIndex.get(field) ?? -1],
  };

  let chunk = '';
  let inChunk = 0;
  for await (const record of records) {
    if (!header || isRepeatedHeader(record, header)) {
      if (!header) {
        assertKpiHeader(file, record, CUSTOMER_KPI_COLUMNS);
        header = record;
        index = new Map(record.map((column, position) => [column, position]));
        positions = kpiColumns.map((column) => index.get(column) as number);
      }
      continue;
    }
    current = record;
    const externalId = record[index.get('customer_external_id') as number] ?? '';
    custom = scorecard.customFields.length > 0 ? customValues(externalId) : undefined;
    const health = scorecard.score(values);
    counts.rows += 1;
    if (health.score !== null) counts.scored += 1;
    const cells = (positions as number[]).map((position) => csvField(record[position] ?? ''));
    cells.push(health.score === null ? '' : String(health.score), health.band ?? '', csvField(JSON.stringify(health.contributions)));
    chunk += `${cells.join(',')}\n`;
    inChunk += 1;
    if (inChunk === ROWS_PER_CHUNK) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (!header) throw new Error(`KPI file ${file} is empty (no header line)`);
  if (chunk) yield chunk;
}

/** Sharded exports repeat the header at the top of every part. */
function isRepeatedHeader(record: string[], header: string[]): boolean {
  return record.length === header.length && record.every((cell, position) => cell === header[position]);
}
