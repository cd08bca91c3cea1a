import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceConnector, SourceRecord, StreamState } from '../connector';
import { GoogleAccess } from '../google/google-access';
import { HttpClient } from '../http/http-client';
import { LocalFake, sendJson, testServiceAccount } from '../files/storage-fakes.int-kit';
import { SHEETS_READ_SCOPE, SheetsConnector } from './sheets-connector';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';

type Cell = string | number | boolean;

interface FakeTab {
  sheetId: number;
  title: string;
  rows: Cell[][];
  /** The grid's size, as the spreadsheet metadata reports it (gridProperties). */
  rowCount: number;
  columnCount: number;
}

/** Column letters to a 1-based number (A = 1, Z = 26, AA = 27), written independently of the connector. */
function columnNumber(letters: string): number {
  return [...letters].reduce((total, letter) => total * 26 + letter.charCodeAt(0) - 64, 0);
}

/**
 * A fake of the two Sheets API v4 calls the connector makes: spreadsheets.get (tab properties) and
 * spreadsheets.values.get. Like the real API, a range must name an existing tab and stay inside its
 * grid, and the answer leaves out trailing empty rows and cells (and `values` when there are none).
 */
function sheetsApi(fake: LocalFake, account: ReturnType<typeof testServiceAccount>, tabs: FakeTab[]) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const claims = account.verifyBearer(request.headers.authorization);
    if (claims['scope'] !== SHEETS_READ_SCOPE || claims['iss'] !== 'pulse-reader@tenant-project.iam.gserviceaccount.com') return sendJson(response, {}, 403);
    const url = new URL(request.url ?? '', fake.base);
    if (url.pathname === '/v4/spreadsheets/sheet-123') {
      return sendJson(response, { sheets: tabs.map(({ sheetId, title, rowCount, columnCount }) => ({ properties: { sheetId, title, gridProperties: { rowCount, columnCount } } })) });
    }
    const values = /^\/v4\/spreadsheets\/sheet-123\/values\/(.+)$/.exec(url.pathname);
    const range = decodeURIComponent(values?.[1] ?? '');
    const parsed = /^'((?:[^']|'')+)'(?:!A(\d+):([A-Z]+)(\d+))?$/.exec(range);
    const tab = tabs.find((candidate) => candidate.title === parsed?.[1]?.replace(/''/g, "'"));
    if (!parsed || !tab) return sendJson(response, { error: { code: 400, message: `Unable to parse range: ${range}` } }, 400);
    const [from, lastColumn, to] = parsed[2] === undefined ? [1, tab.columnCount, tab.rowCount] : [Number(parsed[2]), columnNumber(parsed[3] as string), Number(parsed[4])];
    if (to > tab.rowCount || lastColumn > tab.columnCount || from > to) {
      return sendJson(response, { error: { code: 400, message: `Range (${range}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}` } }, 400);
    }
    const rows = tab.rows.slice(from - 1, to).map((row) => {
      const cells = row.slice(0, lastColumn);
      while (cells.length > 0 && cells.at(-1) === '') cells.pop();
      return cells;
    });
    while (rows.length > 0 && rows.at(-1)?.length === 0) rows.pop();
    sendJson(response, { range, majorDimension: 'ROWS', ...(rows.length > 0 ? { values: rows } : {}) });
  };
}

interface ReadPages {
  records: SourceRecord[];
  pages: { records: number; state: StreamState; done: boolean }[];
}

/** One sync: pages from `from` (a new sync when null) until the connector is done. */
async function readAll(connector: SourceConnector, from: StreamState | null = null): Promise<ReadPages> {
  const read: ReadPages = { records: [], pages: [] };
  let state = from;
  for (let first = true; ; first = false) {
    const page = await connector.readPage(state, { syncStart: first && from === null });
    if (page.kind !== 'records') throw new Error(`expected records, got a ${page.kind} page`);
    read.records.push(...page.records);
    read.pages.push({ records: page.records.length, state: page.state, done: page.done });
    state = page.state;
    if (page.done) return read;
  }
}

const METADATA = '/v4/spreadsheets/sheet-123?fields=sheets.properties%28sheetId%2Ctitle%2CgridProperties%28rowCount%2CcolumnCount%29%29';
/** The request for one range, given as it appears in the path (percent-encoded, quotes doubled). */
const valuesOf = (range: string) => `/v4/spreadsheets/sheet-123/values/${range}?majorDimension=ROWS&valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING`;

/** `count` data rows under an id/name/mrr header: c-1, c-2, ... */
function customerRows(count: number): Cell[][] {
  return [['id', 'name', 'mrr'], ...Array.from({ length: count }, (_, index) => [`c-${index + 1}`, `Customer ${index + 1}`, (index + 1) * 10])];
}
const customer = (number: number): SourceRecord => ({ id: `c-${number}`, name: `Customer ${number}`, mrr: number * 10 });
const customers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => customer(from + index));

describe('Google Sheets against a local fake of the Sheets API v4', () => {
  const fake = new LocalFake();
  const account = testServiceAccount();
  // A typical hand-made sheet: a title, a blank line, the header, data with gaps and a spacer row.
  const handMade: Cell[][] = [
    ['Customer list — Q1'],
    [],
    ['external_id', 'name', 'mrr', 'signed_on', 'vip'],
    ['c-1', 'Ana Souza', 1234.5, '05/01/2026', true],
    ['c-2', 'Bruno', 99],
    ['', '', '', '', ''],
    ['c-3', "O'Brien Ltd", 0, '2026-02-01', false],
  ];
  const handMadeRecords = [
    { external_id: 'c-1', name: 'Ana Souza', mrr: 1234.5, signed_on: '05/01/2026', vip: true },
    { external_id: 'c-2', name: 'Bruno', mrr: 99, signed_on: null, vip: null },
    { external_id: 'c-3', name: "O'Brien Ltd", mrr: 0, signed_on: '2026-02-01', vip: false },
  ];
  const tabs: FakeTab[] = [
    { sheetId: 0, title: 'Notes', rows: [['note'], ['hello']], rowCount: 1000, columnCount: 26 },
    // A new tab's default grid: 1 000 rows of A:Z, most of them empty.
    { sheetId: 777, title: "Q1 'live'", rows: handMade, rowCount: 1000, columnCount: 26 },
    { sheetId: 8, title: 'Q1 copy', rows: handMade, rowCount: 8, columnCount: 5 },
    { sheetId: 1, title: "O'Brien's pipeline", rows: customerRows(10), rowCount: 11, columnCount: 3 },
    { sheetId: 2, title: 'Exact', rows: customerRows(7), rowCount: 8, columnCount: 3 },
    { sheetId: 3, title: 'Empty', rows: [], rowCount: 1000, columnCount: 26 },
    // Two customers, six blank rows, a third customer; the grid has two more blank rows.
    { sheetId: 4, title: 'Gaps', rows: [...customerRows(2), [], [], [], [], [], [], ['c-3', 'Customer 3', 30]], rowCount: 12, columnCount: 3 },
    { sheetId: 5, title: 'Wide', rows: customerRows(3), rowCount: 5000, columnCount: 100 },
    { sheetId: 6, title: 'Large', rows: customerRows(300), rowCount: 301, columnCount: 3 },
  ];

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.handler = sheetsApi(fake, account, tabs);
  });

  let opened: SheetsConnector[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((connector) => connector.close()));
    opened = [];
  });

  const connector = (tab: { title: string } | { sheetId: number }, options: { headerRow?: number; rowsPerPage?: number; maxResponseBytes?: number } = {}) => {
    const sheets = new SheetsConnector(
      { spreadsheetId: 'sheet-123', tab, headerRow: options.headerRow, rowsPerPage: options.rowsPerPage },
      new HttpClient(LOCAL_TEST_ADDRESSES, {}, { maxResponseBytes: options.maxResponseBytes }),
      new GoogleAccess(account.keyFile, [SHEETS_READ_SCOPE]),
      fake.base,
    );
    opened.push(sheets);
    return sheets;
  };
  const paths = () => fake.requests.map((request) => request.path);

  it('finds the tab by id, detects the header under a title row, and reads every data row within the grid, quoting the title', async () => {
    const { records, pages } = await readAll(connector({ sheetId: 777 }));
    expect(records).toEqual(handMadeRecords);
    expect(pages.map((page) => page.done)).toEqual([true]);
    // 200 000 cells a page at 26 columns is 7 692 rows, more than the grid's 1 000: one request.
    expect(paths()).toEqual([METADATA, valuesOf("'Q1%20''live'''!A1%3AZ1000")]);
  });

  it('reads a tab by title with an explicit header row, and discovers column types from the values', async () => {
    const [stream] = await connector({ title: "Q1 'live'" }, { headerRow: 3 }).discover();
    expect(stream?.name).toBe("Q1 'live'");
    expect(stream?.columns.map((column) => [column.name, column.type])).toEqual([
      ['external_id', 'text'], ['name', 'text'], ['mrr', 'float'], ['signed_on', 'text'], ['vip', 'boolean'],
    ]);
    expect(paths()).toEqual([METADATA, valuesOf("'Q1%20''live'''!A1%3AZ1000")]);
  });

  it('reads a tab spanning several pages in row ranges, the header read once and applied to every page', async () => {
    const { records, pages } = await readAll(connector({ title: "O'Brien's pipeline" }, { rowsPerPage: 4 }));
    expect(records).toEqual(customers(1, 10));
    expect(pages.map(({ records: count, done }) => [count, done])).toEqual([[3, false], [4, false], [3, true]]);
    expect(paths()).toEqual([
      METADATA,
      valuesOf("'O''Brien''s%20pipeline'!A1%3AC4"),
      valuesOf("'O''Brien''s%20pipeline'!A5%3AC8"),
      // The last range stops at the grid's last row (11), not at 12.
      valuesOf("'O''Brien''s%20pipeline'!A9%3AC11"),
      // After the last range the grid is measured again: rows inserted or deleted meanwhile shift the rows.
      METADATA,
    ]);
    expect(pages.at(-1)?.state).toEqual({ v: 2, rows: 10, next: null });
  });

  it('stops at the last row of the grid when it ends exactly on a page boundary, without asking for one more range', async () => {
    const { records, pages } = await readAll(connector({ sheetId: 2 }, { rowsPerPage: 4 }));
    expect(records).toEqual(customers(1, 7));
    expect(pages.map(({ records: count, done }) => [count, done])).toEqual([[3, false], [4, true]]);
    expect(paths()).toEqual([METADATA, valuesOf("'Exact'!A1%3AC4"), valuesOf("'Exact'!A5%3AC8"), METADATA]);
  });

  it('reads an empty tab as no rows, in one range', async () => {
    const { records, pages } = await readAll(connector({ title: 'Empty' }, { rowsPerPage: 100 }));
    expect(records).toEqual([]);
    expect(pages).toEqual([{ records: 0, state: { v: 2, rows: 0, next: null }, done: true }]);
    expect(paths()).toEqual([METADATA, valuesOf("'Empty'!A1%3AZ100")]);
  });

  it('keeps reading past blank ranges up to the grid\'s last row, so rows after a gap are not lost', async () => {
    const { records, pages } = await readAll(connector({ title: 'Gaps' }, { rowsPerPage: 3 }));
    expect(records).toEqual(customers(1, 3));
    expect(pages.map(({ records: count, done }) => [count, done])).toEqual([[2, false], [0, false], [0, false], [1, true]]);
    expect(paths().slice(1, -1)).toEqual([valuesOf("'Gaps'!A1%3AC3"), valuesOf("'Gaps'!A4%3AC6"), valuesOf("'Gaps'!A7%3AC9"), valuesOf("'Gaps'!A10%3AC12")]);
  });

  it('sizes pages by the grid width when rowsPerPage is not set: 2 000 rows of 100 columns', async () => {
    const { records } = await readAll(connector({ title: 'Wide' }));
    expect(records).toEqual(customers(1, 3));
    expect(paths().slice(1, -1)).toEqual([valuesOf("'Wide'!A1%3ACV2000"), valuesOf("'Wide'!A2001%3ACV4000"), valuesOf("'Wide'!A4001%3ACV5000")]);
  });

  it('reads a tab larger than one answer may be, page by page, where one whole-tab answer is refused', async () => {
    const { records, pages } = await readAll(connector({ title: 'Large' }, { rowsPerPage: 50, maxResponseBytes: 4096 }));
    expect(records).toEqual(customers(1, 300));
    expect(pages.map((page) => page.records)).toEqual([49, 50, 50, 50, 50, 50, 1]);
    expect(paths().slice(-2)).toEqual([valuesOf("'Large'!A301%3AC301"), METADATA]);
  });

  it('continues a sync from the saved page with the saved header, and starts over at the next sync', async () => {
    const first = await connector({ sheetId: 1 }, { rowsPerPage: 4 }).readPage(null, { syncStart: true });
    fake.requests.length = 0;
    // Another connector (another process after a checkpoint): no metadata, no header, just the next range.
    const resumed = connector({ sheetId: 1 }, { rowsPerPage: 4 });
    const second = await resumed.readPage(first.state, { syncStart: false });
    expect(second.kind === 'records' && second.records).toEqual(customers(4, 7));
    expect(second.done).toBe(false);
    expect(paths()).toEqual([valuesOf("'O''Brien''s%20pipeline'!A5%3AC8")]);
    const rest = await readAll(resumed, second.state);
    expect(rest.records).toEqual(customers(8, 10));
    expect(rest.pages.at(-1)?.state).toEqual({ v: 2, rows: 10, next: null });

    fake.requests.length = 0;
    const again = await resumed.readPage(second.state, { syncStart: true });
    expect(again.kind === 'records' && again.records).toEqual(customers(1, 3));
    expect(paths()).toEqual([METADATA, valuesOf("'O''Brien''s%20pipeline'!A1%3AC4")]);
  });

  describe('a tab edited while it is read', () => {
    let live: FakeTab;
    beforeEach(() => void tabs.push((live = { sheetId: 9, title: 'Live', rows: customerRows(6), rowCount: 7, columnCount: 3 })));
    afterEach(() => void tabs.splice(tabs.indexOf(live), 1));

    it('goes on to the new last row when rows were added meanwhile', async () => {
      const sheets = connector({ title: 'Live' }, { rowsPerPage: 4 });
      const first = await sheets.readPage(null, { syncStart: true });
      live.rows.push(['c-7', 'Customer 7', 70], ['c-8', 'Customer 8', 80]);
      live.rowCount = 9;
      const rest = await readAll(sheets, first.state);
      expect([...(first.kind === 'records' ? first.records : []), ...rest.records]).toEqual(customers(1, 8));
      expect(paths().slice(2)).toEqual([valuesOf("'Live'!A5%3AC7"), METADATA, valuesOf("'Live'!A8%3AC9"), METADATA]);
    });

    it('fails rather than hand on a read that may have skipped rows: rows deleted, or columns inserted', async () => {
      const sheets = connector({ title: 'Live' }, { rowsPerPage: 4 });
      const first = await sheets.readPage(null, { syncStart: true });
      live.rows.splice(1, 1); // c-1 deleted: c-4 moves up into the rows already read
      live.rowCount = 6;
      // The last range still ends at the old last row, past the grid's end now: the API refuses it.
      await expect(readAll(sheets, first.state)).rejects.toMatchObject({ code: 'source_request_failed', message: expect.stringContaining('exceeds grid limits') });
      live.rows = customerRows(6);
      live.rowCount = 7;
      const again = await sheets.readPage(null, { syncStart: true });
      live.columnCount = 4;
      await expect(readAll(sheets, again.state)).rejects.toMatchObject({
        code: 'source_request_failed',
        message: 'The tab "Live" changed while it was read in pages (7 rows of 3 columns, now 7 of 4): rows may have been skipped or misread, so this read is not used; the next sync reads the tab again',
      });
    });
  });

  it('extends the first range down to an explicit header row below the first page', async () => {
    const { records, pages } = await readAll(connector({ title: 'Q1 copy' }, { headerRow: 3, rowsPerPage: 2 }));
    expect(records).toEqual(handMadeRecords);
    expect(pages.map((page) => page.records)).toEqual([0, 2, 1, 0]);
    expect(paths()).toEqual([METADATA, valuesOf("'Q1%20copy'!A1%3AE3"), valuesOf("'Q1%20copy'!A4%3AE5"), valuesOf("'Q1%20copy'!A6%3AE7"), valuesOf("'Q1%20copy'!A8%3AE8"), METADATA]);
  });

  it('starts over from a state saved before reads were paged, and refuses a state it does not know mid-sync', async () => {
    const { records } = await readAll(connector({ sheetId: 777 }), null);
    const old = await connector({ sheetId: 777 }).readPage({ v: 1, rows: 3 }, { syncStart: true });
    expect(old.kind === 'records' && old.records).toEqual(records);
    await expect(connector({ sheetId: 777 }).readPage({ v: 9, next: 'x' }, { syncStart: false })).rejects.toMatchObject({ code: 'invalid_sync_state' });
  });

  it('takes a title written in another case when it names one tab only', async () => {
    const { records } = await readAll(connector({ title: 'EXACT' }, { rowsPerPage: 4 }));
    expect(records).toEqual(customers(1, 7));
    expect(paths()[1]).toBe(valuesOf("'Exact'!A1%3AC4"));
  });

  it('fails clearly when the tab id or title does not exist', async () => {
    await expect(connector({ sheetId: 5_000 }).readPage(null, { syncStart: true })).rejects.toThrow('The spreadsheet has no tab with sheet id 5000');
    await expect(connector({ title: 'Q2' }).readPage(null, { syncStart: true })).rejects.toThrow('The spreadsheet has no tab named "Q2"');
  });
});
