import { z } from 'zod';
import type { DiscoveredStream, JsonValue, ReadOptions, SourceConnector, SourcePage, SourceRecord, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import type { GoogleAccess } from '../google/google-access';
import type { HttpClient } from '../http/http-client';
import { inferColumns } from '../http/infer-columns';

export const SHEETS_READ_SCOPE = 'https://www.googleapis.com/auth/spreadsheets.readonly';

export interface SheetsStreamConfig {
  spreadsheetId: string;
  /** The tab: its title, or its numeric sheet id (stable when the tab is renamed). */
  tab: { title: string } | { sheetId: number };
  /** 1-based row of the header; detected when omitted (see detectHeaderRow). */
  headerRow?: number;
}

const metadataSchema = z.object({ sheets: z.array(z.object({ properties: z.object({ sheetId: z.number(), title: z.string() }) })) });
const valuesSchema = z.object({ values: z.array(z.array(z.union([z.string(), z.number(), z.boolean()]))).optional() });

type Cell = string | number | boolean;

/** How many leading rows are searched for the header. */
const HEADER_SEARCH_ROWS = 10;

/**
 * The header is the first row (within the first ten) whose cells are all non-empty text, distinct, and
 * at least as wide as every row after it: title rows and notes above a table are narrower, and a data
 * row usually holds a number or a date. Returns a 0-based index.
 */
export function detectHeaderRow(rows: Cell[][]): number {
  const width = (row: Cell[]) => {
    let last = row.length;
    while (last > 0 && (row[last - 1] === '' || row[last - 1] === undefined)) last--;
    return last;
  };
  for (let index = 0; index < Math.min(rows.length, HEADER_SEARCH_ROWS); index++) {
    const row = rows[index] as Cell[];
    const cells = row.slice(0, width(row));
    if (cells.length === 0) continue;
    const allText = cells.every((cell) => typeof cell === 'string' && cell.trim() !== '');
    const distinct = new Set(cells.map((cell) => String(cell).trim())).size === cells.length;
    const widest = rows.slice(index + 1).every((other) => width(other) <= cells.length);
    if (allText && distinct && widest) return index;
  }
  throw new ConnectorError('source_request_failed', `No header row found in the first ${HEADER_SEARCH_ROWS} rows: set headerRow explicitly`);
}

/** A1 notation needs quotes around tab titles (with '' for a quote inside). */
function quotedTitle(title: string): string {
  return `'${title.replace(/'/g, "''")}'`;
}

/**
 * One tab of a Google Sheet, read whole at each sync (values.get; a sheet has no change cursor). Cells
 * come unformatted (numbers as numbers) except dates, which come as the sheet displays them, so the
 * parser's locale rules apply as they would to a CSV export of the same sheet.
 */
export class SheetsConnector implements SourceConnector {
  readonly kind = 'google_sheets';

  constructor(
    private readonly config: SheetsStreamConfig,
    private readonly http: HttpClient,
    private readonly access: GoogleAccess,
    private readonly endpoint = 'https://sheets.googleapis.com',
  ) {}

  async discover(): Promise<DiscoveredStream[]> {
    const title = await this.tabTitle();
    const records = await this.readRecords(title);
    return [{ name: title, columns: inferColumns(records), primaryKey: [] }];
  }

  async readPage(_state: StreamState | null, _options: ReadOptions): Promise<SourcePage> {
    const records = await this.readRecords(await this.tabTitle());
    return { kind: 'records', records, state: { v: 1, rows: records.length }, done: true };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async get(url: URL): Promise<unknown> {
    return (await this.http.getJson(url.toString(), await this.access.headers(url.toString()))).json;
  }

  private async tabTitle(): Promise<string> {
    if ('title' in this.config.tab) return this.config.tab.title;
    const url = new URL(`${this.endpoint}/v4/spreadsheets/${encodeURIComponent(this.config.spreadsheetId)}`);
    url.searchParams.set('fields', 'sheets.properties(sheetId,title)');
    const wanted = this.config.tab.sheetId;
    const sheet = metadataSchema.parse(await this.get(url)).sheets.find((candidate) => candidate.properties.sheetId === wanted);
    if (!sheet) throw new ConnectorError('source_request_failed', `The spreadsheet has no tab with sheet id ${wanted}`);
    return sheet.properties.title;
  }

  private async readRecords(title: string): Promise<SourceRecord[]> {
    const url = new URL(`${this.endpoint}/v4/spreadsheets/${encodeURIComponent(this.config.spreadsheetId)}/values/${encodeURIComponent(quotedTitle(title))}`);
    url.searchParams.set('majorDimension', 'ROWS');
    url.searchParams.set('valueRenderOption', 'UNFORMATTED_VALUE');
    url.searchParams.set('dateTimeRenderOption', 'FORMATTED_STRING');
    const rows = (valuesSchema.parse(await this.get(url)).values ?? []) as Cell[][];
    if (rows.length === 0) return [];
    const headerIndex = this.config.headerRow !== undefined ? this.config.headerRow - 1 : detectHeaderRow(rows);
    const header = (rows[headerIndex] ?? []).map((cell) => String(cell).trim());
    const records: SourceRecord[] = [];
    for (const row of rows.slice(headerIndex + 1)) {
      // The API trims trailing empty cells; missing cells are empty, and wholly empty rows are spacing.
      if (row.every((cell) => cell === '')) continue;
      const record: SourceRecord = {};
      header.forEach((name, column) => {
        if (name === '') return;
        const cell = row[column];
        record[name] = cell === undefined || cell === '' ? null : (cell as JsonValue);
      });
      records.push(record);
    }
    return records;
  }
}
