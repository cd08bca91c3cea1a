import { GoogleAccess } from '../google/google-access';
import { HttpClient } from '../http/http-client';
import { LocalFake, sendJson, testServiceAccount } from '../files/storage-fakes.int-kit';
import { SHEETS_READ_SCOPE, SheetsConnector } from './sheets-connector';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';

describe('Google Sheets against a local fake of the Sheets API v4', () => {
  const fake = new LocalFake();
  const account = testServiceAccount();
  // A typical hand-made sheet: a title, a blank line, the header, data with gaps and a spacer row.
  const values = [
    ['Customer list — Q1'],
    [],
    ['external_id', 'name', 'mrr', 'signed_on', 'vip'],
    ['c-1', 'Ana Souza', 1234.5, '05/01/2026', true],
    ['c-2', 'Bruno', 99],
    ['', '', '', '', ''],
    ['c-3', "O'Brien Ltd", 0, '2026-02-01', false],
  ];

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.handler = (request, response) => {
      const claims = account.verifyBearer(request.headers.authorization);
      if (claims['scope'] !== SHEETS_READ_SCOPE || claims['iss'] !== 'pulse-reader@tenant-project.iam.gserviceaccount.com') return sendJson(response, {}, 403);
      const url = new URL(request.url ?? '', fake.base);
      if (url.pathname === '/v4/spreadsheets/sheet-123') return sendJson(response, { sheets: [{ properties: { sheetId: 0, title: 'Notes' } }, { properties: { sheetId: 777, title: "Q1 'live'" } }] });
      sendJson(response, { range: "'Q1 ''live'''!A1:Z1000", majorDimension: 'ROWS', values });
    };
  });

  const connector = (tab: { title: string } | { sheetId: number }, headerRow?: number) =>
    new SheetsConnector({ spreadsheetId: 'sheet-123', tab, headerRow }, new HttpClient(LOCAL_TEST_ADDRESSES), new GoogleAccess(account.keyFile, [SHEETS_READ_SCOPE]), fake.base);

  it('finds the tab by id, detects the header under a title row, and reads every data row', async () => {
    const sheets = connector({ sheetId: 777 });
    const page = await sheets.readPage(null, { syncStart: true });
    expect(page.kind === 'records' && page.records).toEqual([
      { external_id: 'c-1', name: 'Ana Souza', mrr: 1234.5, signed_on: '05/01/2026', vip: true },
      { external_id: 'c-2', name: 'Bruno', mrr: 99, signed_on: null, vip: null },
      { external_id: 'c-3', name: "O'Brien Ltd", mrr: 0, signed_on: '2026-02-01', vip: false },
    ]);
    expect(page.done).toBe(true);
    expect(fake.requests.map((request) => request.path)).toEqual([
      '/v4/spreadsheets/sheet-123?fields=sheets.properties%28sheetId%2Ctitle%29',
      "/v4/spreadsheets/sheet-123/values/'Q1%20''live'''?majorDimension=ROWS&valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING",
    ]);
    await sheets.close();
  });

  it('reads a tab by title with an explicit header row, and discovers column types from the values', async () => {
    const sheets = connector({ title: "Q1 'live'" }, 3);
    const [stream] = await sheets.discover();
    expect(stream?.columns.map((column) => [column.name, column.type])).toEqual([
      ['external_id', 'text'], ['name', 'text'], ['mrr', 'float'], ['signed_on', 'text'], ['vip', 'boolean'],
    ]);
    expect(fake.requests).toHaveLength(1);
    await sheets.close();
  });

  it('fails clearly when the tab id does not exist', async () => {
    const sheets = connector({ sheetId: 5 });
    await expect(sheets.readPage(null, { syncStart: true })).rejects.toThrow('The spreadsheet has no tab with sheet id 5');
    await sheets.close();
  });
});
