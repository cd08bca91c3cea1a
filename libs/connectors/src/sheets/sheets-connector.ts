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
  /** Rows asked for per request (one page); default DEFAULT_CELLS_PER_PAGE cells' worth of the tab's grid width. */
  rowsPerPage?: number;
}

/**
 * Cells one request asks for by default. At the ~33 bytes of JSON a typical cell takes (16 MiB is about
 * 500 000 cells), that is ~6.5 MiB: well under the HTTP client's 16 MiB answer limit, with room for
 * longer text. A default A:Z grid gives 7 692 rows a page; 100 columns, 2 000.
 */
export const DEFAULT_CELLS_PER_PAGE = 200_000;

const metadataSchema = z.object({
  sheets: z.array(
    z.object({
      properties: z.object({
        sheetId: z.number(),
        title: z.string(),
        // Absent on chart (object) sheets; zero counts may be left out of the JSON.
        gridProperties: z.object({ rowCount: z.number().int().nonnegative().default(0), columnCount: z.number().int().nonnegative().default(0) }).optional(),
      }),
    }),
  ),
});
const valuesSchema = z.object({ values: z.array(z.array(z.union([z.string(), z.number(), z.boolean()]))).optional() });

/** Where a sync's next page starts, with what every page needs: the header read on the first one, and the grid's size as last measured. */
const positionSchema = z.object({
  title: z.string(),
  header: z.array(z.string()),
  rowCount: z.number().int().positive(),
  columnCount: z.number().int().positive(),
  /** 1-based first row of the next range. */
  row: z.number().int().positive(),
});
type Position = z.infer<typeof positionSchema>;

const stateSchema = z.discriminatedUnion('v', [
  // Saved before tabs were read in pages: by a whole-tab read, so always complete.
  z.object({ v: z.literal(1), rows: z.number() }),
  // `rows`: data rows this sync has delivered so far; `next` is null once it has read the grid's last row.
  z.object({ v: z.literal(2), rows: z.number().int().nonnegative(), next: positionSchema.nullable() }),
]);

interface Tab {
  title: string;
  rowCount: number;
  columnCount: number;
}

type Cell = string | number | boolean;

type RecordsPage = Extract<SourcePage, { kind: 'records' }>;

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

/** 1 -> A, 26 -> Z, 27 -> AA, 18 278 -> ZZZ (the widest grid Sheets allows). */
function columnLetters(column: number): string {
  let letters = '';
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/** Rows `fromRow`..`toRow` (1-based, inclusive) of a tab's first `columns` columns in A1 notation: `'Q1 ''live'''!A1:E500`. */
export function a1Range(title: string, fromRow: number, toRow: number, columns: number): string {
  return `${quotedTitle(title)}!A${fromRow}:${columnLetters(columns)}${toRow}`;
}

/** Rows as records under `header`. The API trims trailing empty cells: missing cells are empty, and wholly empty rows are spacing. */
function toRecords(rows: Cell[][], header: string[]): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (const row of rows) {
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

/**
 * One tab of a Google Sheet, read in full at each sync (a sheet has no change cursor) in row ranges —
 * values.get of `'tab'!A<from>:<last column><to>`, one page each — so no answer nears the HTTP client's
 * size limit and a sync holds one page at a time. The first page holds the header (detected there, or at
 * `headerRow`); the state hands it, the next row and the grid's size to the following pages, which go on
 * to the grid's last row as the spreadsheet's metadata gives it (see rowCountUnchangedOrGrown). Cells come
 * unformatted (numbers as numbers) except dates, which come as the sheet displays them, so the parser's
 * locale rules apply as they would to a CSV export of the same sheet.
 */
export class SheetsConnector implements SourceConnector {
  readonly kind = 'google_sheets';

  constructor(
    private readonly config: SheetsStreamConfig,
    private readonly http: HttpClient,
    private readonly access: GoogleAccess,
    private readonly endpoint = 'https://sheets.googleapis.com',
  ) {
    const rows = config.rowsPerPage;
    if (rows !== undefined && (!Number.isInteger(rows) || rows < 1)) throw new ConnectorError('invalid_source_config', 'rowsPerPage must be a positive whole number');
  }

  /** The tab's columns, typed from the rows of its first page. */
  async discover(): Promise<DiscoveredStream[]> {
    const tab = await this.findTab();
    const first = await this.readFirstPage(tab);
    return [{ name: tab.title, columns: inferColumns(first.records), primaryKey: [] }];
  }

  /** A new sync starts at the top of the tab; a page within a sync goes on from the position saved by the one before. */
  async readPage(state: StreamState | null, options: ReadOptions): Promise<SourcePage> {
    const saved = options.syncStart ? null : savedPosition(state);
    if (saved?.next) return this.readNextPage(saved.next, saved.rows);
    return this.readFirstPage(await this.findTab());
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async get(url: URL): Promise<unknown> {
    return (await this.http.getJson(url.toString(), await this.access.headers(url.toString()))).json;
  }

  private async findTab(): Promise<Tab> {
    const url = new URL(`${this.endpoint}/v4/spreadsheets/${encodeURIComponent(this.config.spreadsheetId)}`);
    url.searchParams.set('fields', 'sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))');
    const sheets = metadataSchema.parse(await this.get(url)).sheets.map((sheet) => sheet.properties);
    const wanted = this.config.tab;
    let sheet: (typeof sheets)[number] | undefined;
    if ('sheetId' in wanted) {
      sheet = sheets.find((candidate) => candidate.sheetId === wanted.sheetId);
      if (!sheet) throw new ConnectorError('source_request_failed', `The spreadsheet has no tab with sheet id ${wanted.sheetId}`);
    } else {
      // Sheets matches tab names regardless of case in formulas (and, it seems, in the API's ranges, where the
      // configured title used to go unchecked): a title in another case is taken when it names one tab only.
      const anyCase = sheets.filter((candidate) => candidate.title.toLowerCase() === wanted.title.toLowerCase());
      sheet = sheets.find((candidate) => candidate.title === wanted.title) ?? (anyCase.length === 1 ? anyCase[0] : undefined);
      if (!sheet) throw new ConnectorError('source_request_failed', `The spreadsheet has no tab named ${JSON.stringify(wanted.title)}`);
    }
    if (!sheet.gridProperties) throw new ConnectorError('source_request_failed', `The tab ${JSON.stringify(sheet.title)} is a chart, not a grid of cells`);
    return { title: sheet.title, rowCount: sheet.gridProperties.rowCount, columnCount: sheet.gridProperties.columnCount };
  }

  private rowsPerPage(columns: number): number {
    return this.config.rowsPerPage ?? Math.max(1, Math.floor(DEFAULT_CELLS_PER_PAGE / columns));
  }

  /**
   * The first range, reaching down to `headerRow` when that is further. A blank first page is an empty tab
   * (a cleared tab keeps its grid): there is no header to read the rows below by.
   */
  private async readFirstPage(tab: Tab): Promise<RecordsPage> {
    if (tab.rowCount === 0 || tab.columnCount === 0) return recordsPage([], 0, null);
    const last = Math.min(tab.rowCount, Math.max(this.rowsPerPage(tab.columnCount), this.config.headerRow ?? 0));
    const rows = await this.readRows(tab.title, 1, last, tab.columnCount);
    if (rows.length === 0) return recordsPage([], 0, null);
    const headerIndex = this.config.headerRow !== undefined ? this.config.headerRow - 1 : detectHeaderRow(rows);
    const header = (rows[headerIndex] ?? []).map((cell) => String(cell).trim());
    const records = toRecords(rows.slice(headerIndex + 1), header);
    return recordsPage(records, records.length, { title: tab.title, header, rowCount: tab.rowCount, columnCount: tab.columnCount, row: last + 1 });
  }

  /** A blank range does not end the read (rows may follow a gap); the grid's last row does. */
  private async readNextPage(position: Position, rowsBefore: number): Promise<RecordsPage> {
    if (position.row > position.rowCount) return recordsPage([], rowsBefore, null);
    const last = Math.min(position.rowCount, position.row + this.rowsPerPage(position.columnCount) - 1);
    const records = toRecords(await this.readRows(position.title, position.row, last, position.columnCount), position.header);
    const next = { ...position, row: last + 1 };
    if (next.row > next.rowCount) next.rowCount = await this.rowCountUnchangedOrGrown(position);
    return recordsPage(records, rowsBefore + records.length, next);
  }

  /**
   * Pages are separate reads, not one snapshot: rows inserted or deleted above the read position shift the
   * rows below it. So after the last range of a read in several pages the grid is measured again. Grown
   * (rows appended, or inserted and pushing the last ones down): the read goes on to the new last row,
   * rows read twice being upserted. Shrunk, or columns added or removed (later pages' cells no longer under
   * the header read first): rows may have been skipped or misread, and a full read with a primaryKey would
   * delete what it skipped, so the read fails before its last page is handed on (when rows were deleted, the
   * API may already refuse that last range, now past the grid's end); the next sync reads the tab again.
   */
  private async rowCountUnchangedOrGrown(position: Position): Promise<number> {
    const now = await this.findTab();
    if (now.rowCount < position.rowCount || now.columnCount !== position.columnCount) {
      throw new ConnectorError(
        'source_request_failed',
        `The tab ${JSON.stringify(position.title)} changed while it was read in pages (${position.rowCount} rows of ${position.columnCount} columns, now ${now.rowCount} of ${now.columnCount}): rows may have been skipped or misread, so this read is not used; the next sync reads the tab again`,
      );
    }
    return now.rowCount;
  }

  private async readRows(title: string, fromRow: number, toRow: number, columns: number): Promise<Cell[][]> {
    const range = a1Range(title, fromRow, toRow, columns);
    const url = new URL(`${this.endpoint}/v4/spreadsheets/${encodeURIComponent(this.config.spreadsheetId)}/values/${encodeURIComponent(range)}`);
    url.searchParams.set('majorDimension', 'ROWS');
    url.searchParams.set('valueRenderOption', 'UNFORMATTED_VALUE');
    url.searchParams.set('dateTimeRenderOption', 'FORMATTED_STRING');
    return (valuesSchema.parse(await this.get(url)).values ?? []) as Cell[][];
  }
}

/** Where a sync goes on from; null starts at the top (no state, or one saved by a complete whole-tab read). */
function savedPosition(state: StreamState | null): { rows: number; next: Position | null } | null {
  if (state === null) return null;
  const parsed = stateSchema.safeParse(state);
  if (!parsed.success) throw new ConnectorError('invalid_sync_state', 'The saved sync state is not a Google Sheets row position');
  return parsed.data.v === 1 ? null : parsed.data;
}

/** A page whose next range starts at `next.row`; past the grid's last row the sync is done. */
function recordsPage(records: SourceRecord[], rows: number, next: Position | null): RecordsPage {
  const more = next !== null && next.row <= next.rowCount;
  return { kind: 'records', records, state: { v: 2, rows, next: more ? next : null }, done: !more };
}
