import { Readable } from 'node:stream';
import { parseImportStream } from './parse-import-stream';
import { PARSING_CORPUS, readParsingCorpusFile } from './testing/corpus';
import { parseAll } from './testing/parse-all';
import { ParseError } from './parse-error';

// Every expected row and reject below was worked out by hand from the corpus files (see the README's
// "Test corpus" section), not captured from the parser's output.

async function parseErrorOf(promise: Promise<unknown>): Promise<ParseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

describe('parseImportStream: CSV corpus', () => {
  it('reads a UTF-8 comma file with a mapping: quoted comma, aliases, accents, typed custom columns', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.customersComma), {
      entity: 'customers',
      mapping: { columns: { 'Customer ID': 'external_id' } },
    });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        values: { external_id: 'C001', name: 'Acme, Inc.', segment: 'SMB', customer_since: '2024-03-15', aliases: 'legacy-1|shop-1' },
        custom: { region: 'São Paulo', employees: 120, active: true },
      },
      {
        line: 3,
        values: { external_id: 'C002', name: 'Órbita Serviços', segment: 'Enterprise', customer_since: '2023-12-01', aliases: null },
        custom: { region: 'Minas Gerais', employees: 4500, active: false },
      },
      {
        line: 4,
        values: { external_id: 'C003', name: 'Beta', segment: null, customer_since: '2022-07-09', aliases: null },
        custom: { region: 'Rio de Janeiro', employees: null, active: true },
      },
    ]);
  });

  it('fails the whole file when a required column is missing, naming it', async () => {
    const error = await parseErrorOf(parseAll(readParsingCorpusFile(PARSING_CORPUS.customersComma), { entity: 'customers' }));
    expect(error.code).toBe('missing_required_column');
    expect(error.message).toContain('external_id');
    const orders = await parseErrorOf(parseAll(readParsingCorpusFile(PARSING_CORPUS.ordersMissingColumn), { entity: 'orders' }));
    expect(orders.code).toBe('missing_required_column');
    expect(orders.message).toContain('required field ordered_at of orders');
  });

  it('names the delimiter the header was split at, and suggests setting it, when a required column is inside a column found', async () => {
    // `,` and `;` fit every line alike (one and two per line): the rule gives the tie to `,`.
    const tie = 'external_id;name;Receita (R$, bruto)\nC1;Ana;1.234,56\nC2;Bia;99,90\n';
    const detected = await parseErrorOf(parseAll(tie, { entity: 'customers' }));
    expect(detected.code).toBe('missing_required_column');
    expect(detected.message).toBe(
      'The file has no column for the required field external_id of customers (columns found: "external_id;name;Receita (R$", " bruto)"). ' +
        'The header was split at ",", detected from the first lines of the file (";" fits them as well, and "," comes first in the order , ; tab |), ' +
        'but the column "external_id;name;Receita (R$" has external_id in it: if the file is separated by ";", set the delimiter in the import mapping: {"delimiter":";"}.',
    );
    const tabs = await parseErrorOf(parseAll('id\tname\nexternal_id\tname\n', { entity: 'customers', mapping: { delimiter: '|' } }));
    expect(tabs.message).toBe(
      'The file has no column for the required field external_id of customers (columns found: id\tname). Rename the column or map it.',
    );
    const set = await parseErrorOf(parseAll('external_id\tname\nC1\tAna\n', { entity: 'customers', mapping: { delimiter: ';' } }));
    expect(set.message).toBe(
      'The file has no column for the required field external_id of customers (columns found: "external_id\tname"). ' +
        'The header was split at ";", set in the import mapping, but the column "external_id\tname" has external_id in it: ' +
        'if the file is separated by tab, set the delimiter in the import mapping: {"delimiter":"\\t"}.',
    );
    const unknown = await parseErrorOf(parseAll('external_id:name\nC1:Ana\n', { entity: 'customers' }));
    expect(unknown.message).toBe(
      'The file has no column for the required field external_id of customers (columns found: "external_id:name"). ' +
        'The header was split at ",", detected from the first lines of the file, but the column "external_id:name" has external_id in it: ' +
        'the file looks separated by another character; the import reads , ; tab or |, which the import mapping\'s "delimiter" sets.',
    );
    // A column the mapping names, inside a column found, says the same.
    const mapped = await parseErrorOf(parseAll('Cliente;Nome;Receita (R$, bruto)\nC1;Ana;1,5\n', { entity: 'customers', mapping: { columns: { Cliente: 'external_id' } } }));
    expect([mapped.code, mapped.message]).toEqual([
      'invalid_mapping',
      'The mapping names a column the file does not have: "Cliente" (columns found: "Cliente;Nome;Receita (R$", " bruto)"). ' +
        'The header was split at ",", detected from the first lines of the file (";" fits them as well, and "," comes first in the order , ; tab |), ' +
        'but the column "Cliente;Nome;Receita (R$" has Cliente in it: if the file is separated by ";", set the delimiter in the import mapping: {"delimiter":";"}.',
    ]);
  });

  it('detects Windows-1252, `;`, dd/mm/yyyy and decimal comma in a Brazilian export', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.customersLatin1Semicolon), { entity: 'customers' });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      { line: 2, values: { external_id: 'B01', name: 'Padaria São João', customer_since: '2024-01-31' }, custom: { regiao: 'São Paulo', receita_anual: 1234.56, ativo: true } },
      { line: 3, values: { external_id: 'B02', name: 'Açaí & Cia', customer_since: '2024-02-05' }, custom: { regiao: 'Paraná', receita_anual: 987.5, ativo: false } },
      { line: 4, values: { external_id: 'B03', name: 'Café \u201cBom\u201d', customer_since: '2023-11-12' }, custom: { regiao: 'Ceará', receita_anual: 12000, ativo: true } },
    ]);
  });

  it('reads a tab file with BOM and CRLF; timestamps without offset are read in the tenant timezone', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.ordersTabBomCrlf), { entity: 'orders', timezone: 'America/Sao_Paulo' });
    expect(rejects).toEqual([]);
    const order = (line: number, id: string, customer: string, at: string, status: string, total: string, currency: string) => ({
      line,
      values: { external_id: id, customer_external_id: customer, ordered_at: at, status, total, currency },
      custom: {},
    });
    expect(rows).toEqual([
      // 10:00 in São Paulo (UTC-3) is 13:00 UTC.
      order(2, 'O1', 'C001', '2024-03-01T13:00:00.000Z', 'paid', '1234.5000', 'BRL'),
      order(3, 'O2', 'C002', '2024-03-01T13:00:00.000Z', 'canceled', '-5.0000', 'BRL'),
      order(4, 'O3', 'C001', '2024-07-01T00:30:00.000Z', 'refunded', '0.9900', 'USD'),
      // Epoch seconds 1709287200 = 19783 days * 86400 + 10 h.
      order(5, 'O4', 'C003', '2024-03-01T10:00:00.000Z', 'paid', '10.0000', 'BRL'),
    ]);
  });

  it('reads `|` files, a quote inside an unquoted field and `1,299.00`', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.productsPipe), { entity: 'products' });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      { line: 2, values: { sku: 'SKU-1', name: 'Caneca "Térmica"', category: 'Casa', price: '29.9000' }, custom: { color: 'azul' } },
      { line: 3, values: { sku: 'SKU-2', name: 'Cabo', category: 'Informática', price: '1299.0000' }, custom: { color: null } },
    ]);
  });

  it('keeps physical line numbers across quoted line breaks and rejects bad rows while good ones continue', async () => {
    const { rows, rejects, batches } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.npsQuotedNewlines), { entity: 'nps_responses' });
    const nps = (line: number, id: string, customer: string, score: string, day: string, comment: string | null) => ({
      line,
      values: { external_id: id, customer_external_id: customer, score, responded_at: `${day}T00:00:00.000Z`, comment },
      custom: {},
    });
    expect(rows).toEqual([
      nps(2, 'N1', 'C001', '10', '2024-05-01', 'Ótimo,\nrecomendo'),
      nps(8, 'N6', 'C005', '9', '2024-05-06', 'linha 1\nlinha 2\nlinha 3'),
      nps(11, 'N7', 'C006', '8', '2024-05-07', 'ok'),
    ]);
    expect(rejects).toEqual([
      { line: 4, column: 'score', reasonCode: 'out_of_range', message: 'Column "score": "11" is not valid: expected a value between 0 and 10.', raw: 'N2,C002,11,2024-05-02,fora da escala', key: { external_id: 'N2' } },
      { line: 5, column: 'score', reasonCode: 'invalid_integer', message: 'Column "score": "abc" is not valid: expected a whole number.', raw: 'N3,C003,abc,2024-05-03,', key: { external_id: 'N3' } },
      { line: 6, column: 'customer_external_id', reasonCode: 'missing_required', message: 'Column "customer_external_id": customer_external_id is required but the value is empty.', raw: 'N4,,7,2024-05-04,sem cliente', key: { external_id: 'N4' } },
      expect.objectContaining({ line: 7, column: 'responded_at', reasonCode: 'invalid_timestamp', raw: 'N5,C004,0,2024-13-01,data inválida' }),
    ]);
    expect(batches.at(-1)).toMatchObject({ recordsRead: 7, lastLine: 11 });
  });

  it('reads Cyrillic headers: a mapping names them as written, unmapped ones land in custom spelt in ASCII', async () => {
    const file = 'Код;Имя;Город;Сотрудники\nK-1;Иван;Москва;120\nK-2;Ольга;Казань;\n';
    const { rows, rejects } = await parseAll(file, { entity: 'customers', mapping: { columns: { Код: 'external_id', Имя: 'name' } } });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      { line: 2, values: { external_id: 'K-1', name: 'Иван' }, custom: { gorod: 'Москва', sotrudniki: 120 } },
      { line: 3, values: { external_id: 'K-2', name: 'Ольга' }, custom: { gorod: 'Казань', sotrudniki: null } },
    ]);
  });

  it('reads `;` + Portuguese headers through a mapping, with dd/mm/yyyy HH:mm and decimal comma detected', async () => {
    const mapping = { columns: { Pedido: 'external_id', Cliente: 'customer_external_id', Data: 'ordered_at', Valor: 'total', Status: 'status' } };
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.ordersPtBr), { entity: 'orders', mapping, timezone: 'America/Sao_Paulo' });
    expect(rejects).toEqual([]);
    expect(rows.map((row) => row.values)).toEqual([
      { external_id: 'P1', customer_external_id: 'C001', ordered_at: '2024-01-01T02:30:00.000Z', total: '1234.5600', status: 'pago' },
      { external_id: 'P2', customer_external_id: 'C002', ordered_at: '2024-02-01T11:00:15.000Z', total: '0.5000', status: 'cancelado' },
      { external_id: 'P3', customer_external_id: 'C003', ordered_at: '2024-03-15T03:00:00.000Z', total: '-2000.0000', status: 'pago' },
    ]);
  });

  it('rejects wrong types and field counts, accepts trailing empty fields, keeps custom types consistent', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.ordersWrongTypes), { entity: 'orders' });
    expect(rows).toEqual([
      { line: 2, values: { external_id: 'O1', customer_external_id: 'C1', ordered_at: '2024-01-05T10:00:00.000Z', total: '10.5000' }, custom: { channel: 'web', coupon: null } },
      { line: 6, values: { external_id: 'O5', customer_external_id: 'C3', ordered_at: '2024-01-08T10:00:00.000Z', total: '8.0000' }, custom: { channel: 'app', coupon: null } },
      // `42` stays text: the channel column is text (web, app, ...), so every value of it is.
      { line: 8, values: { external_id: 'O7', customer_external_id: 'C4', ordered_at: '2024-01-10T10:00:00.000Z', total: '9.0000' }, custom: { channel: '42', coupon: 'Z' } },
    ]);
    expect(rejects.map(({ line, column, reasonCode, raw }) => ({ line, column, reasonCode, raw }))).toEqual([
      { line: 3, column: 'ordered_at', reasonCode: 'invalid_timestamp', raw: 'O2,C1,yesterday,3,web,X' },
      { line: 4, column: 'total', reasonCode: 'invalid_number', raw: 'O3,C2,2024-01-06T10:00:00Z,dez,app,' },
      { line: 5, column: null, reasonCode: 'wrong_field_count', raw: 'O4,C2,2024-01-07T10:00:00Z,7' },
      { line: 7, column: 'total', reasonCode: 'out_of_range', raw: 'O6,C3,2024-01-09T10:00:00Z,123456789012345,web,Y' },
    ]);
    expect(rejects[2]?.message).toBe('The record has 4 fields; the header has 6.');
  });

  it('rejects orders dated with a placeholder for no date (0001-01-01, 1900-01-01, 9999-12-31); a custom column keeps one as written', async () => {
    const { rows, rejects } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.ordersPlaceholderDates), { entity: 'orders' });
    // shipped_at is a date column (every sample value reads as one); its real dates become instants, the
    // placeholders outside 1901-2199 stay the text the file has.
    expect(rows).toEqual([
      { line: 2, values: { external_id: 'D1', customer_external_id: 'C001', ordered_at: '2024-05-02T10:00:00.000Z', total: '10.0000' }, custom: { shipped_at: '2024-05-03T14:00:00.000Z' } },
      { line: 6, values: { external_id: 'D5', customer_external_id: 'C002', ordered_at: '2024-05-03T09:30:00.000Z', total: '2.0000' }, custom: { shipped_at: '9999-12-31 00:00:00.000' } },
      { line: 7, values: { external_id: 'D6', customer_external_id: 'C003', ordered_at: '2024-05-04T16:45:00.000Z', total: '3.0000' }, custom: { shipped_at: '1753-01-01 00:00:00.000' } },
    ]);
    expect(rejects.map(({ line, column, reasonCode, message }) => ({ line, column, reasonCode, message }))).toEqual(
      [
        [3, '0001-01-01 00:00:00.000'],
        [4, '9999-12-31 23:59:59.997'],
        [5, '1900-01-01 00:00:00.000'],
      ].map(([line, value]) => ({
        line,
        column: 'ordered_at',
        reasonCode: 'out_of_range',
        message: `Column "ordered_at": "${value}" is not valid: expected a date-time between 1901-01-01T00:00:00Z and 2199-12-31T23:59:59.999Z (no date is an empty value, not a placeholder such as 0001-01-01 or 9999-12-31).`,
      })),
    );
  });

  it('fails an empty file, and gives one empty batch for a header-only file', async () => {
    expect((await parseErrorOf(parseAll(readParsingCorpusFile(PARSING_CORPUS.empty), { entity: 'customers' }))).code).toBe('empty_file');
    // Only spaces, tabs and line breaks (or Excel's rows of empty fields): empty too, not a header of blank column names.
    for (const blank of ['   ', '  \n \t \r\n\n', '\r\n   \r\n', ',,\r\n , \r\n']) {
      const error = await parseErrorOf(parseAll(blank, { entity: 'customers' }));
      expect([error.code, error.message]).toEqual(['empty_file', 'The file is empty (only blank lines, spaces or empty fields): a CSV import needs at least a header line.']);
    }
    // Such lines before the header are skipped like blank lines.
    const late = await parseAll('  \n,,\nexternal_id,name\nC1,Ana\n', { entity: 'customers' });
    expect([late.rows, late.rejects]).toEqual([[{ line: 4, values: { external_id: 'C1', name: 'Ana' }, custom: {} }], []]);
    const { batches } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.customersHeaderOnly), { entity: 'customers' });
    expect(batches).toEqual([{ rows: [], rejects: [], recordsRead: 0, lastLine: 1, fieldColumns: { external_id: 'external_id', name: 'name' } }]);
  });

  it('rejects day/month dates it cannot tell apart, and reads them with a locale setting', async () => {
    const file = readParsingCorpusFile(PARSING_CORPUS.customersAmbiguousDates);
    const detected = await parseAll(file, { entity: 'customers' });
    expect(detected.rows).toEqual([{ line: 3, values: { external_id: 'A2', customer_since: '2024-04-05' }, custom: {} }]);
    expect(detected.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([
      [2, 'customer_since', 'ambiguous_date'],
      [4, 'customer_since', 'ambiguous_date'],
    ]);
    const set = await parseAll(file, { entity: 'customers', mapping: { locale: { dateFormat: 'dd/mm/yyyy' } } });
    expect(set.rejects).toEqual([]);
    expect(set.rows.map((row) => row.values['customer_since'])).toEqual(['2024-04-03', '2024-04-05', '2024-06-05']);
    const us = await parseAll(file, { entity: 'customers', mapping: { locale: { dateFormat: 'mm/dd/yyyy' } } });
    expect(us.rows.map((row) => row.values['customer_since'])).toEqual(['2024-03-04', '2024-04-05', '2024-05-06']);
  });

  it('fails a file that mixes day-first and month-first dates', async () => {
    const error = await parseErrorOf(parseAll('external_id,customer_since\nA,13/01/2024\nB,01/13/2024\n', { entity: 'customers' }));
    expect(error.code).toBe('ambiguous_date_format');
  });
});

describe('parseImportStream: NDJSON corpus', () => {
  it('reads objects, skips blank lines, rejects invalid JSON with its line, keeps custom types consistent', async () => {
    const { rows, rejects, batches } = await parseAll(readParsingCorpusFile(PARSING_CORPUS.usageEventsNdjson), { entity: 'usage_events', format: 'ndjson' });
    expect(rows).toEqual([
      {
        line: 1,
        values: { external_id: 'E1', customer_external_id: 'C001', type: 'login', occurred_at: '2024-05-01T10:00:00.000Z', properties: '{"feature":"reports"}' },
        // duration_s is text: one of its sample values is "n/a", so all of them are kept as text.
        custom: { device: 'iPhone', duration_s: '12.5' },
      },
      {
        line: 3,
        values: { external_id: 'E2', customer_external_id: 'C002', type: 'export_created', occurred_at: '2024-05-01T10:00:00.000Z' },
        custom: { device: 'web', duration_s: '3' },
      },
      {
        line: 8,
        values: { external_id: 'E5', customer_external_id: 'C003', type: 'api_call', occurred_at: '2024-05-03T12:00:00.000Z', properties: '{"x":1}' },
        custom: { device: null, duration_s: 'n/a' },
      },
    ]);
    expect(rejects.map(({ line, column, reasonCode }) => [line, column, reasonCode])).toEqual([
      [4, null, 'invalid_json'],
      [5, null, 'invalid_json'],
      [6, null, 'invalid_json'],
      [7, 'customer_external_id', 'missing_required'],
    ]);
    expect(rejects[1]?.raw).toBe('not json');
    expect(batches.at(-1)).toMatchObject({ recordsRead: 7, lastLine: 8 });
  });

  it('maps NDJSON keys like CSV headers; a key named like a field the mapping feeds from elsewhere goes to custom', async () => {
    const line = JSON.stringify({ Cliente: 'C1', customer_external_id: 'old-id', Quando: '2024-01-02 10:00', Tipo: 'login', 'Versão App': '2.1' });
    const { rows, rejects } = await parseAll(`${line}\n`, {
      entity: 'usage_events',
      format: 'ndjson',
      timezone: 'America/Sao_Paulo',
      mapping: { columns: { Cliente: 'customer_external_id', Quando: 'occurred_at', Tipo: { field: 'type', transforms: ['uppercase'] } } },
    });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      {
        line: 1,
        values: { customer_external_id: 'C1', occurred_at: '2024-01-02T13:00:00.000Z', type: 'LOGIN' },
        custom: { customer_external_id: 'old-id', versao_app: 2.1 },
      },
    ]);
  });

  it('fails a file whose last line ends without a newline and is not complete JSON (an interrupted export), naming the line', async () => {
    const good = Array.from({ length: 3 }, (_, i) => JSON.stringify({ external_id: `T000${i}`, name: `Customer ${i}` })).join('\n');
    const truncated = await parseErrorOf(parseAll(`${good}\n{"external_id":"T0003","name":"tw`, { entity: 'customers', format: 'ndjson' }));
    expect(truncated.code).toBe('truncated_file');
    expect(truncated.message).toBe(
      'The last line (line 4) ends without a newline and is not complete JSON: the file looks truncated (an interrupted export or upload), so nothing was loaded. ' +
        'Export the whole file again; if that line is really written so, end it with a newline and it is rejected alone.',
    );
    // Past the sample window and batches already given, in Windows-1252 too, and cut inside a UTF-8 character.
    const many = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ external_id: `M${i}`, name: `Customer ${i}` })).join('\n');
    for (const [bytes, encoding] of [
      [Buffer.from(`${many}\n{"external_id":"M9","na`, 'utf8'), undefined],
      [Buffer.from(`${many}\n{"external_id":"M9","name":"Jo\u00e3`, 'latin1'), 'windows-1252'],
      [Buffer.concat([Buffer.from(`${many}\n{"external_id":"M9","name":"Jo`, 'utf8'), Buffer.from([0xc3])]), undefined],
    ] as const) {
      const error = await parseErrorOf(parseAll(bytes, { entity: 'customers', format: 'ndjson', batchSize: 100, ...(encoding ? { mapping: { encoding } } : {}) }, 4096));
      expect([error.code, error.message.split(':')[0]]).toEqual(['truncated_file', 'The last line (line 2501) ends without a newline and is not complete JSON']);
    }
    // A last line without a newline that is complete JSON loads; one that is JSON but no object, or that
    // ends with a newline, is rejected alone as before.
    const complete = await parseAll(`${good}\n{"external_id":"T0003","name":"three"}`, { entity: 'customers', format: 'ndjson' });
    expect(complete.rows.map((row) => row.values['external_id'])).toEqual(['T0000', 'T0001', 'T0002', 'T0003']);
    const notObject = await parseAll(`${good}\n[1,2]`, { entity: 'customers', format: 'ndjson' });
    expect(notObject.rejects.map(({ line, reasonCode }) => [line, reasonCode])).toEqual([[4, 'invalid_json']]);
    const terminated = await parseAll(`${good}\n{"external_id":"T0003","name":"tw\n`, { entity: 'customers', format: 'ndjson' });
    expect(terminated.rejects.map(({ line, reasonCode }) => [line, reasonCode])).toEqual([[4, 'invalid_json']]);
    const blank = await parseAll(`${good}\n  `, { entity: 'customers', format: 'ndjson' });
    expect([blank.rows.length, blank.rejects]).toEqual([3, []]);
  });

  it('gives zero rows for an empty NDJSON file', async () => {
    const { batches } = await parseAll('', { entity: 'usage_events', format: 'ndjson' });
    expect(batches).toEqual([{ rows: [], rejects: [], recordsRead: 0, lastLine: 0, fieldColumns: {} }]);
  });
});

describe('parseImportStream: the file\'s names for canonical fields', () => {
  it('gives each fed field its CSV header as written, or its NDJSON key as the mapping writes it', async () => {
    const csv = await parseAll('Pedido;Cliente;Data;Canal\nP1;C1;2024-01-01;web\n', { entity: 'orders', mapping: { columns: { Pedido: 'external_id', Cliente: 'customer_external_id', Data: 'ordered_at' } } });
    expect(csv.batches.map((batch) => batch.fieldColumns)).toEqual([{ external_id: 'Pedido', customer_external_id: 'Cliente', ordered_at: 'Data' }]);
    const ndjson = await parseAll('{"Pedido":"P1","customer_external_id":"C1","ordered_at":"2024-01-01"}', { entity: 'orders', format: 'ndjson', mapping: { columns: { Pedido: 'external_id', Canal: 'custom.channel' } } });
    expect(ndjson.batches.map((batch) => batch.fieldColumns)).toEqual([{ external_id: 'Pedido' }]);
  });
});

describe('parseImportStream: mapping', () => {
  const csv = 'Código,Nome,Plano,Desde\n c1 ,ACME,Pro,2024-01-02\n';

  it('applies transforms and constants, and can leave a column out or rename it into custom', async () => {
    const { rows } = await parseAll(csv, {
      entity: 'customers',
      mapping: {
        columns: { Código: { field: 'external_id', transforms: ['trim', 'uppercase'] }, Nome: { field: 'name', transforms: ['lowercase'] }, Plano: null, Desde: 'custom.since' },
        constants: { segment: 'SMB' },
      },
    });
    expect(rows).toEqual([{ line: 2, values: { external_id: 'C1', name: 'acme', segment: 'SMB' }, custom: { since: '2024-01-02' } }]);
  });

  it('refuses a mapping to an unknown canonical field, naming it', async () => {
    const error = await parseErrorOf(parseAll(csv, { entity: 'customers', mapping: { columns: { Código: 'customer_code' } } }));
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toContain('unknown canonical field "customer_code"');
  });

  it('splits aliases with the mapping separator', async () => {
    const { rows } = await parseAll('id,others\nC1,a; b ;;c\n', {
      entity: 'customers',
      mapping: { columns: { id: 'external_id', others: { field: 'aliases', split: ';' } } },
    });
    expect(rows[0]?.values).toEqual({ external_id: 'C1', aliases: 'a|b|c' });
  });
});

describe('parseImportStream: streaming', () => {
  it('cuts batches of batchSize and skips already-loaded records on resume', async () => {
    const file = readParsingCorpusFile(PARSING_CORPUS.npsQuotedNewlines);
    const { batches } = await parseAll(file, { entity: 'nps_responses', batchSize: 2 });
    expect(batches.map((b) => [b.rows.length + b.rejects.length, b.recordsRead, b.lastLine])).toEqual([
      [2, 2, 4],
      [2, 4, 6],
      [2, 6, 10],
      [1, 7, 11],
    ]);
    const resumed = await parseAll(file, { entity: 'nps_responses', skipRecords: 4 });
    expect(resumed.rows.map((row) => row.line)).toEqual([8, 11]);
    expect(resumed.rejects.map((r) => r.line)).toEqual([7]);
    expect(resumed.batches.at(-1)?.recordsRead).toBe(7);
  });

  it('gives the same rows whatever the chunk boundaries (multi-byte characters and CRLF split)', async () => {
    // Over 64 KiB, so the file goes past the sample and through the streaming decoders.
    const lines = ['external_id,name,customer_since'];
    for (let i = 1; i <= 2500; i += 1) lines.push(`C${i},"São João, ação ${i}",2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
    const utf8 = Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
    const latin1 = Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
    expect(utf8.length).toBeGreaterThan(64 * 1024);
    for (const [bytes, chunkSize] of [[utf8, 7], [utf8, 65_537], [latin1, 5], [latin1, 4096]] as const) {
      const { rows, rejects } = await parseAll(bytes, { entity: 'customers' }, chunkSize);
      expect(rejects).toEqual([]);
      expect(rows).toHaveLength(2500);
      expect(rows[1999]).toEqual({ line: 2001, values: { external_id: 'C2000', name: 'São João, ação 2000', customer_since: '2024-01-13' }, custom: {} });
    }
  });

  it('keeps a custom value that does not fit its column type (seen after the sample window) as text', async () => {
    const lines = ['external_id,score'];
    for (let i = 1; i <= 1001; i += 1) lines.push(`C${i},${i}`);
    lines.push('C1002,n/a');
    const { rows } = await parseAll(`${lines.join('\n')}\n`, { entity: 'customers' });
    expect(rows[0]?.custom).toEqual({ score: 1 });
    expect(rows[1001]?.custom).toEqual({ score: 'n/a' });
  });

  it('fails a UTF-8 file whose invalid bytes come after the sample instead of loading replacement characters', async () => {
    const head = Buffer.from(`external_id,name\n${'C1,ok\n'.repeat(12_000)}`, 'utf8');
    const bad = Buffer.concat([head, Buffer.from('C2,S', 'utf8'), Buffer.from([0xe3]), Buffer.from('o Paulo\n', 'utf8')]);
    // The byte's own offset and line (17 + 12000 * 6 + 4; header, 12000 records), whatever the chunks.
    for (const chunkSize of [64 * 1024, 1000, 7]) {
      const error = await parseErrorOf(parseAll(bad, { entity: 'customers' }, chunkSize));
      expect(error.code).toBe('invalid_encoding');
      expect(error.message).toBe(
        'The file is not valid UTF-8, though its first 64 KiB are: byte 0xE3 at byte offset 72021 (line 12002) is not part of a UTF-8 character. ' +
          'Save the whole file as UTF-8, or set the import encoding to windows-1252 if it was exported as Windows-1252 (Latin-1).',
      );
    }
    // With a byte-order mark, in the first 64 KiB: offsets count the mark.
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('external_id,name\r\nC1,S', 'utf8'), Buffer.from([0xe3]), Buffer.from('o\r\n', 'utf8')]);
    expect((await parseErrorOf(parseAll(marked, { entity: 'customers' }))).message).toContain(
      'though it starts with a UTF-8 byte-order mark: byte 0xE3 at byte offset 25 (line 2)',
    );
  });

  it('passes a failing input stream\'s own error through (not a parse error: the caller may retry)', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(`external_id\n${'C1\n'.repeat(30_000)}`);
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    }
    const stream = Readable.from(failing(), { objectMode: false });
    const consume = async () => {
      for await (const batch of parseImportStream(stream, { entity: 'customers', format: 'csv', timezone: 'UTC' })) void batch;
    };
    await expect(consume()).rejects.toMatchObject({ message: 'connection reset', code: 'ECONNRESET' });
  });

  it('fails an unknown timezone and an unclosed quote clearly; a stray quote inside a field is text', async () => {
    expect((await parseErrorOf(parseAll('external_id\nC1\n', { entity: 'customers', timezone: 'Mars/Olympus' }))).code).toBe('unknown_timezone');
    const stray = await parseAll('external_id,name\nC1,"a"b\n', { entity: 'customers' });
    expect(stray.rows[0]?.values).toEqual({ external_id: 'C1', name: '"a"b' });
    const malformed = await parseErrorOf(parseAll('external_id,name\nC1,"abc\n', { entity: 'customers' }));
    expect(malformed.code).toBe('malformed_csv');
    expect(malformed.message).toContain('line 2');
  });

  it('names the line of the record whose quote is never closed (not the end of the file), after quoted line breaks, blank lines and many rows', async () => {
    const third = await parseErrorOf(parseAll('external_id,name\nC1,ok\nC2,"abc\nC3,x\n', { entity: 'customers' }));
    expect(third.message).toBe(
      'The CSV text cannot be read: the record on line 3 opens a quote (its field 2) that is never closed, so the rest of the file would be one value. ' +
        'Close the quote (a quote inside a quoted value is written twice: "").',
    );
    const crlf = 'external_id,name\r\n\r\nC1,"two\r\nlines"\r\nC2,"abc\r\nC3,x\r\n';
    expect((await parseErrorOf(parseAll(crlf, { entity: 'customers' }))).message).toContain('the record on line 5 opens a quote (its field 2)');
    const long = `external_id,name\n${Array.from({ length: 5000 }, (_, i) => `C${i},Customer ${i}`).join('\n')}\nC9,"Unclosed\nC10,Ten\n`;
    for (const chunkSize of [64 * 1024, 999]) {
      expect((await parseErrorOf(parseAll(long, { entity: 'customers' }, chunkSize))).message).toContain('the record on line 5002 opens a quote (its field 2)');
    }
  });

  it('says what a date field takes under the import dateFormat in the message of a value it refuses', async () => {
    const withFormat = async (dateFormat: 'epoch_seconds' | 'epoch_millis' | 'yyyy-mm-dd' | 'mm/dd/yyyy', value: string) =>
      (await parseAll(`external_id,customer_external_id,ordered_at\nO1,C1,${value}\n`, { entity: 'orders', mapping: { locale: { dateFormat } } })).rejects[0]?.message;
    expect(await withFormat('epoch_seconds', '2024-03-31')).toBe(
      'Column "ordered_at": "2024-03-31" is not valid: expected an epoch in seconds like 1711843200 (the import dateFormat is epoch_seconds).',
    );
    expect(await withFormat('epoch_millis', 'soon')).toBe(
      'Column "ordered_at": "soon" is not valid: expected an epoch in milliseconds like 1711843200000 (the import dateFormat is epoch_millis).',
    );
    // Seconds under epoch_millis would be a day of January 1970.
    expect(await withFormat('epoch_millis', '1711843200')).toBe(
      'Column "ordered_at": "1711843200" is not valid: expected an epoch in milliseconds like 1711843200000 (the import dateFormat is epoch_millis).',
    );
    expect(await withFormat('yyyy-mm-dd', '31/03/2024')).toBe(
      'Column "ordered_at": "31/03/2024" is not valid: expected a date-time like 2024-03-31T14:05:00Z or 2024-03-31 14:05 (read in UTC; the import dateFormat is yyyy-mm-dd).',
    );
    expect(await withFormat('mm/dd/yyyy', '31/03/2024')).toBe(
      'Column "ordered_at": "31/03/2024" is not valid: expected a date-time like 2024-03-31T14:05:00Z, 2024-03-31 14:05, 03/31/2024 14:05 (read in UTC) or an epoch.',
    );
    const date = await parseAll('external_id,customer_since\nC1,tomorrow\n', { entity: 'customers', mapping: { locale: { dateFormat: 'epoch_seconds' } } });
    expect(date.rejects[0]?.message).toBe('Column "customer_since": "tomorrow" is not valid: expected an epoch in seconds like 1711843200 (the import dateFormat is epoch_seconds).');
  });
});

describe('parseImportStream: line endings mixed in one file', () => {
  it('ends data lines in CRLF under a header ending in LF without a CR left in their last field', async () => {
    const custom = await parseAll('external_id,name,plan_tier\nKA,Alpha,gold\r\nKB,Beta,silver\r\n', { entity: 'customers' });
    expect(custom.rejects).toEqual([]);
    expect(custom.rows).toEqual([
      { line: 2, values: { external_id: 'KA', name: 'Alpha' }, custom: { plan_tier: 'gold' } },
      { line: 3, values: { external_id: 'KB', name: 'Beta' }, custom: { plan_tier: 'silver' } },
    ]);
    const key = await parseAll('name,external_id\nAlpha,KEY1\r\n', { entity: 'customers' });
    expect(key.rows).toEqual([{ line: 2, values: { name: 'Alpha', external_id: 'KEY1' }, custom: {} }]);
    const skus = await parseAll('sku,name\nSKU-1,Mug\r\nSKU-2,Cable\r\n', { entity: 'products' });
    expect(skus.rows.map((row) => row.values['sku'])).toEqual(['SKU-1', 'SKU-2']);
    // Excel pads rows with empty fields: still empty, so still ignored.
    const padded = await parseAll('external_id,name,plan_tier\nW3,a,x\r\nW4,b,,,\r\n', { entity: 'customers' });
    expect(padded.rejects).toEqual([]);
    expect(padded.rows.map((row) => [row.line, row.values['external_id'], row.custom['plan_tier']])).toEqual([
      [2, 'W3', 'x'],
      [3, 'W4', null],
    ]);
  });

  it('ends every LF line under a header ending in CRLF (no record spanning lines, no quoting the file never had)', async () => {
    const one = await parseAll('external_id\r\nX1\nX2\nX3\r\nX4\r\n', { entity: 'customers' });
    expect(one.rejects).toEqual([]);
    expect(one.rows.map((row) => [row.line, row.values['external_id']])).toEqual([
      [2, 'X1'],
      [3, 'X2'],
      [4, 'X3'],
      [5, 'X4'],
    ]);
    expect(one.batches.at(-1)).toMatchObject({ recordsRead: 4, lastLine: 5 });
    const three = await parseAll('external_id,name,segment\r\nX1,a,s\nX2,b,s\nX3,c,s\r\n', { entity: 'customers' });
    expect(three.rejects).toEqual([]);
    expect(three.rows.map((row) => [row.line, row.values['external_id'], row.values['segment']])).toEqual([
      [2, 'X1', 's'],
      [3, 'X2', 's'],
      [4, 'X3', 's'],
    ]);
  });

  it('keeps line breaks inside quotes as written and counts lines right in a file mixing CRLF, LF and CR', async () => {
    const { rows, rejects, batches } = await parseAll('external_id,name\nC1,"Ana\r\nMaria"\r\nC2,x\rC3,"a\rb"\r\n\nC4,y\n', { entity: 'customers' });
    expect(rejects).toEqual([]);
    expect(rows.map((row) => [row.line, row.values['external_id'], row.values['name']])).toEqual([
      [2, 'C1', 'Ana\r\nMaria'],
      [4, 'C2', 'x'],
      [5, 'C3', 'a\rb'],
      [8, 'C4', 'y'],
    ]);
    expect(batches.at(-1)).toMatchObject({ recordsRead: 4, lastLine: 8 });
  });

  it('reads a file whose rows switch line endings past the first chunks like one written with a single ending', async () => {
    // A CRLF export with rows appended in LF: well past the 64 KiB sample and over several chunks.
    const rows = Array.from({ length: 6000 }, (_, i) => `C${i},"Name ${i}, Ltda"`);
    const text = `external_id,name\r\n${rows.slice(0, 3000).join('\r\n')}\r\n${rows.slice(3000).join('\n')}\n`;
    for (const chunkSize of [64 * 1024, 4093]) {
      const parsed = await parseAll(text, { entity: 'customers' }, chunkSize);
      expect(parsed.rejects).toEqual([]);
      expect(parsed.rows).toHaveLength(6000);
      expect(parsed.rows[4500]).toEqual({ line: 4502, values: { external_id: 'C4500', name: 'Name 4500, Ltda' }, custom: {} });
    }
  });
});

describe('parseImportStream: files that are not in one encoding', () => {
  it('fails a CSV file detected as Windows-1252 whose UTF-8 rows come after the sample, naming both, whatever the chunks', async () => {
    const latin1Line = (i: number) => Buffer.concat([Buffer.from(`C${i},Fran`), Buffer.from([0xe7]), Buffer.from('a\n')]);
    const head = Buffer.concat([Buffer.from('external_id,name\n'), ...Array.from({ length: 6000 }, (_, i) => latin1Line(i))]);
    expect(head.length).toBeGreaterThan(64 * 1024);
    const mixed = Buffer.concat([head, Buffer.from('C9999,São Paulo\n', 'utf8')]);
    // "C0,Fran" follows the 17-byte header; "ã" follows the 7 bytes "C9999,S" on line 6002 (header, 6000 lines).
    for (const chunkSize of [64 * 1024, 1000, 7]) {
      const error = await parseErrorOf(parseAll(mixed, { entity: 'customers' }, chunkSize));
      expect(error.code).toBe('invalid_encoding');
      expect(error.message).toBe(
        `The file mixes encodings: byte 0xE7 at byte offset 24 (line 2) is not UTF-8, while "ã" at byte offset ${head.length + 7} (line 6002) is UTF-8. ` +
          'Save the whole file in one encoding (UTF-8), or, if all of it is Windows-1252 (Latin-1), set the import encoding to windows-1252.',
      );
    }
    // Declared Windows-1252: read as declared.
    const asked = await parseAll(mixed, { entity: 'customers', mapping: { encoding: 'windows-1252' } });
    expect(asked.rows).toHaveLength(6001);
    expect(asked.rows[6000]?.values['name']).toBe('SÃ£o Paulo');
  });

  it('fails a CSV file whose rows are partly UTF-8, partly Latin-1, instead of loading either as mojibake', async () => {
    const mixed = Buffer.concat([Buffer.from('external_id,name\nM1,São Paulo\nM2,Fran', 'utf8'), Buffer.from([0xe7]), Buffer.from('a\n', 'utf8')]);
    const error = await parseErrorOf(parseAll(mixed, { entity: 'customers' }));
    expect(error.code).toBe('invalid_encoding');
    expect(error.message).toContain('byte 0xE7 at byte offset 38 (line 3) is not UTF-8');
    // The import's encoding says otherwise: taken as Windows-1252, as asked.
    const asked = await parseAll(mixed, { entity: 'customers', mapping: { encoding: 'windows-1252' } });
    expect(asked.rows.map((row) => row.values['name'])).toEqual(['SÃ£o Paulo', 'França']);
  });

  it('rejects the NDJSON lines that are not UTF-8 (NDJSON is UTF-8), with their line, and loads the others', async () => {
    const ndjson = Buffer.concat([
      Buffer.from('{"external_id":"NJ1","name":"Fran', 'utf8'),
      Buffer.from([0xe7]),
      Buffer.from('a"}\n{"external_id":"NJ2","name":"São"}\n', 'utf8'),
    ]);
    for (const chunkSize of [1, 7, 64 * 1024]) {
      const { rows, rejects } = await parseAll(ndjson, { entity: 'customers', format: 'ndjson' }, chunkSize);
      expect(rows).toEqual([{ line: 2, values: { external_id: 'NJ2', name: 'São' }, custom: {} }]);
      expect(rejects).toEqual([
        {
          line: 1,
          column: null,
          reasonCode: 'invalid_encoding',
          message:
            'The line is not valid UTF-8: byte 0xE7 at byte 34 of the line is not part of a UTF-8 character. NDJSON is UTF-8; set the import encoding to windows-1252 if the whole file is Windows-1252 (Latin-1).',
          raw: '{"external_id":"NJ1","name":"Fran\\xE7a"}',
        },
      ]);
    }
    // A whole Windows-1252 file loads when the import says so.
    const latin1 = Buffer.from('{"external_id":"NJ1","name":"França"}\n', 'latin1');
    expect((await parseAll(latin1, { entity: 'customers', format: 'ndjson', mapping: { encoding: 'windows-1252' } })).rows[0]?.values['name']).toBe('França');
  });

  it('rejects an NDJSON line that is not UTF-8 past the first 64 KiB alone, not the whole file', async () => {
    const head = '{"external_id":"C1","name":"Ana"}\n'.repeat(3000);
    const ndjson = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from('{"external_id":"C2","name":"', 'utf8'), Buffer.from([0xe7]), Buffer.from('"}\n{"external_id":"C3"}', 'utf8')]);
    const { rows, rejects } = await parseAll(ndjson, { entity: 'customers', format: 'ndjson' });
    expect(rows).toHaveLength(3001);
    expect(rejects.map((r) => [r.line, r.reasonCode, r.raw])).toEqual([[3001, 'invalid_encoding', '{"external_id":"C2","name":"\\xE7"}']]);
  });

  it('rejects an NDJSON line, or a json field, with a UTF-16 surrogate escape lacking its pair; an escaped pair is a character', async () => {
    const ndjson = ['{"external_id":"u1","name":"a\\ud800b"}', '{"external_id":"u2","note":{"\\udc00":1}}', '{"external_id":"u3","name":"\\ud83d\\ude00"}'].join('\n');
    const { rows, rejects } = await parseAll(ndjson, { entity: 'customers', format: 'ndjson' });
    expect(rows.map((row) => row.values['name'])).toEqual(['\u{1F600}']);
    expect(rejects.map((r) => [r.line, r.reasonCode, r.message])).toEqual([
      [1, 'invalid_encoding', expect.stringContaining('surrogate escape without its pair (such as \\ud800 alone)')],
      [2, 'invalid_encoding', expect.stringContaining('surrogate escape without its pair')],
    ]);
    const csv = await parseAll('customer_external_id,type,occurred_at,properties\nc1,login,2026-01-05T00:00:00Z,"{""a"":""\\ud800""}"\n', { entity: 'usage_events' });
    expect(csv.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[2, 'properties', 'invalid_json']]);
  });

  it('fails a Windows-1252 CSV file with a byte Windows-1252 does not define, naming its line', async () => {
    const bytes = Buffer.concat([Buffer.from('external_id;name\nW1;Fran', 'latin1'), Buffer.from([0xe7]), Buffer.from('ois\nW2;', 'latin1'), Buffer.from([0x81, 0x8d, 0x0a])]);
    const error = await parseErrorOf(parseAll(bytes, { entity: 'customers' }));
    expect(error.code).toBe('invalid_encoding');
    expect(error.message).toContain('byte 0x81 at byte offset 32 (line 3)');
  });
});

describe('parseImportStream: values the database would refuse', () => {
  it('rejects a json field holding a NUL character (jsonb cannot store one), as JSON escapes or CSV text, and keeps an escaped backslash-u0000 text', async () => {
    const ndjson = [
      '{"customer_external_id":"c1","type":"login","occurred_at":"2026-01-05T00:00:00Z","properties":{"ua":"x\\u0000y"}}',
      '{"customer_external_id":"c2","type":"login","occurred_at":"2026-01-05T00:00:00Z","properties":{"path":"C:\\\\u0000"}}',
    ].join('\n');
    const { rows, rejects } = await parseAll(ndjson, { entity: 'usage_events', format: 'ndjson' });
    expect(rejects.map((r) => [r.line, r.column, r.reasonCode, r.message])).toEqual([[1, 'properties', 'invalid_json', expect.stringContaining('without a NUL character')]]);
    // The text backslash-u0000 (an escaped backslash, then u0000) is no NUL: it loads.
    expect(rows.map((row) => row.values['properties'])).toEqual(['{"path":"C:\\\\u0000"}']);

    const csv = await parseAll('customer_external_id,type,occurred_at,properties\nc1,login,2026-01-05T00:00:00Z,"{""a"":""\\u0000""}"\n', { entity: 'usage_events' });
    expect(csv.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[2, 'properties', 'invalid_json']]);
  });

  it('rejects dates outside 1901-01-01..2199-12-31 (placeholders such as 0001-01-01 and 9999-12-31, also as epochs) instead of emitting them', async () => {
    const csv = [
      'external_id,customer_since',
      'A,0000-01-01', // PostgreSQL has no year 0
      'B,0001-01-01', // .NET DateTime.MinValue
      'C,9999-12-31', // .NET DateTime.MaxValue, SQL Server's last day
      'D,1900-01-01', // SQL Server datetime 0 (an empty string cast to datetime)
      'E,31/12/1900', // day/month fast path
      'F,01/01/1901', // first day taken
      'G,2199-12-31', // last day taken
      'H,2200-01-01',
      'I,1.1.1753', // general day/month reader: SQL Server datetime's first day
      'J,00/01/0000',
      '',
    ].join('\n');
    const { rows, rejects } = await parseAll(csv, { entity: 'customers', mapping: { locale: { dateFormat: 'dd/mm/yyyy' } } });
    expect(rows.map((row) => [row.values['external_id'], row.values['customer_since']])).toEqual([
      ['F', '1901-01-01'],
      ['G', '2199-12-31'],
    ]);
    expect(rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([
      [2, 'customer_since', 'out_of_range'],
      [3, 'customer_since', 'out_of_range'],
      [4, 'customer_since', 'out_of_range'],
      [5, 'customer_since', 'out_of_range'],
      [6, 'customer_since', 'out_of_range'],
      [9, 'customer_since', 'out_of_range'],
      [10, 'customer_since', 'out_of_range'],
      [11, 'customer_since', 'invalid_date'],
    ]);
    expect(rejects[1]?.message).toBe(
      'Column "customer_since": "0001-01-01" is not valid: expected a date between 1901-01-01 and 2199-12-31 (no date is an empty value, not a placeholder such as 0001-01-01 or 9999-12-31).',
    );
    // An epoch is the day it falls on in the tenant's timezone: 1901-01-01T01:00Z is still 1900 in São Paulo.
    // 8e12 seconds is year 255479; 9e12 seconds is past what Date can hold at all (it used to throw).
    const epochs = 'external_id,customer_since\nE,8000000000000\nF,9000000000000\nG,1709287200\nH,-2177449200\nI,7258118400\n';
    const mapping = { columns: { customer_since: { field: 'customer_since', dateFormat: 'epoch_seconds' } } } as const;
    const utc = await parseAll(epochs, { entity: 'customers', timezone: 'UTC', mapping });
    expect(utc.rows.map((row) => row.values['customer_since'])).toEqual(['2024-03-01', '1901-01-01']);
    expect(utc.rejects.map((r) => [r.line, r.reasonCode])).toEqual([
      [2, 'out_of_range'],
      [3, 'out_of_range'],
      [6, 'out_of_range'],
    ]);
    const saoPaulo = await parseAll(epochs, { entity: 'customers', timezone: 'America/Sao_Paulo', mapping });
    expect(saoPaulo.rows.map((row) => row.values['customer_since'])).toEqual(['2024-03-01', '2199-12-31']);
    expect(saoPaulo.rejects.map((r) => [r.line, r.reasonCode])).toEqual([
      [2, 'out_of_range'],
      [3, 'out_of_range'],
      [5, 'out_of_range'],
    ]);
  });

  it('rejects timestamps outside 1901-01-01T00:00Z..2199-12-31T23:59:59.999Z on every reading path, and never reads year 50 as 1950', async () => {
    const csv = [
      'external_id,customer_external_id,ordered_at',
      'O1,C1,0001-01-01T00:00:00Z', // ISO UTC fast path
      'O2,C1,0001-01-01 00:00:00.000', // general reader, tenant zone: a SQL Server / .NET export's "no date"
      'O3,C1,31/12/2199 23:00', // day/month fast path: 2200-01-01T02:00Z in São Paulo
      'O4,C1,9999-12-31 23:59:59.997', // SQL Server datetime's last instant
      'O5,C1,0050-01-01 00:00:00', // Date.UTC would read year 50 as 1950
      'O6,C1,1900-01-01 00:00:00.000', // SQL Server datetime 0
      'O7,C1,2199-12-31T23:59:59.999Z',
      'O8,C1,01/01/1901 00:00', // São Paulo's local mean time (UTC-3:06:28) makes it 03:06:28Z
      'O9,C1,31/12/2199 20:59:59', // 23:59:59Z
      '',
    ].join('\n');
    const { rows, rejects } = await parseAll(csv, { entity: 'orders', timezone: 'America/Sao_Paulo', mapping: { locale: { dateFormat: 'dd/mm/yyyy' } } });
    expect(rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([
      [2, 'ordered_at', 'out_of_range'],
      [3, 'ordered_at', 'out_of_range'],
      [4, 'ordered_at', 'out_of_range'],
      [5, 'ordered_at', 'out_of_range'],
      [6, 'ordered_at', 'out_of_range'],
      [7, 'ordered_at', 'out_of_range'],
    ]);
    expect(rejects[1]?.message).toBe(
      'Column "ordered_at": "0001-01-01 00:00:00.000" is not valid: expected a date-time between 1901-01-01T00:00:00Z and 2199-12-31T23:59:59.999Z (no date is an empty value, not a placeholder such as 0001-01-01 or 9999-12-31).',
    );
    expect(rows.map((row) => row.values['ordered_at'])).toEqual(['2199-12-31T23:59:59.999Z', '1901-01-01T03:06:28.000Z', '2199-12-31T23:59:59.000Z']);
    const epoch = await parseAll('external_id,customer_external_id,ordered_at\nO1,C1,8000000000000\nO2,C1,-2177452800\nO3,C1,-2177452801\n', {
      entity: 'orders',
      mapping: { locale: { dateFormat: 'epoch_seconds' } },
    });
    expect(epoch.rows.map((row) => row.values['ordered_at'])).toEqual(['1901-01-01T00:00:00.000Z']);
    expect(epoch.rejects.map((r) => [r.line, r.reasonCode])).toEqual([
      [2, 'out_of_range'],
      [4, 'out_of_range'],
    ]);
  });

  it('rejects an out-of-range date in NDJSON, and refuses one as a mapping constant', async () => {
    const ndjson =
      '{"external_id":"O1","customer_external_id":"C1","ordered_at":"0001-01-01T00:00:00"}\n{"external_id":"O2","customer_external_id":"C1","ordered_at":"2024-05-01T00:00:00Z"}\n';
    const { rows, rejects } = await parseAll(ndjson, { entity: 'orders', format: 'ndjson' });
    expect(rows.map((row) => row.values['external_id'])).toEqual(['O2']);
    expect(rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[1, 'ordered_at', 'out_of_range']]);
    expect(rejects[0]?.message).toMatch(/^Field "ordered_at": "0001-01-01T00:00:00" is not valid: expected a date-time between 1901-01-01T00:00:00Z and 2199-12-31T23:59:59\.999Z/);
    const error = await parseErrorOf(parseAll('external_id\nC1\n', { entity: 'customers', mapping: { constants: { customer_since: '9999-12-31' } } }));
    expect([error.code, error.message]).toEqual(['invalid_mapping', expect.stringContaining('The constant for customer_since ("9999-12-31") is not valid: expected a date between 1901-01-01 and 2199-12-31')]);
  });

  it('rejects a decimal that only exceeds NUMERIC(18,4) once rounded to 4 places', async () => {
    const csv = 'sku,price\nA,99999999999999.99995\nB,-99999999999999.99995\nC,99999999999999.99994\nD,99999999999999.9999\n';
    const { rows, rejects } = await parseAll(csv, { entity: 'products' });
    expect(rows.map((row) => row.values['price'])).toEqual(['99999999999999.99994', '99999999999999.9999']);
    expect(rejects.map((r) => [r.line, r.reasonCode])).toEqual([
      [2, 'out_of_range'],
      [3, 'out_of_range'],
    ]);
    expect(rejects[0]?.message).toContain('at most 14 digits before the decimal point once rounded to 4 decimal places');
  });
});

describe('parseImportStream: text too long for its index', () => {
  it('rejects a CSV row whose indexed text is over 2600 bytes of UTF-8, naming the column as written (alone, shared, per alias)', async () => {
    const csv = [
      'Código,Nome,segment,aliases',
      `C1,${'a'.repeat(2601)},,`,
      `C2,${'a'.repeat(2600)},,`,
      `C3,${'ç'.repeat(1301)},,`, // 2602 bytes
      `C4,${'ç'.repeat(1300)},,`,
      `C5,${'n'.repeat(1301)},${'s'.repeat(1300)},`,
      `C6,${'n'.repeat(1300)},${'s'.repeat(1300)},ok|${'x'.repeat(2600)}`,
      `C7,Ana,,ok|${'x'.repeat(2601)}`,
      `${'k'.repeat(2601)},Bea,,`,
    ].join('\n');
    const { rows, rejects } = await parseAll(csv, { entity: 'customers', mapping: { columns: { Código: 'external_id', Nome: 'name' } } });
    expect(rows.map((row) => row.values['external_id'])).toEqual(['C2', 'C4', 'C6']);
    expect(rejects.map((r) => ({ line: r.line, column: r.column, reasonCode: r.reasonCode, message: r.message }))).toEqual([
      { line: 2, column: 'Nome', reasonCode: 'too_long', message: 'Column "Nome": the value is 2601 bytes long (UTF-8); an indexed text field (name) holds at most 2600 bytes.' },
      { line: 4, column: 'Nome', reasonCode: 'too_long', message: 'Column "Nome": the value is 2602 bytes long (UTF-8); an indexed text field (name) holds at most 2600 bytes.' },
      {
        line: 6,
        column: 'Nome',
        reasonCode: 'too_long',
        message: 'Columns "segment" and "Nome": 2601 bytes together (UTF-8); segment and name share an index, which holds at most 2600 bytes of them.',
      },
      { line: 8, column: 'aliases', reasonCode: 'too_long', message: 'Column "aliases": an alias is 2601 bytes long (UTF-8); an indexed text field (aliases) holds at most 2600 bytes.' },
      { line: 9, column: 'Código', reasonCode: 'too_long', message: 'Column "Código": the value is 2601 bytes long (UTF-8); an indexed text field (external_id) holds at most 2600 bytes.' },
    ]);
    // The raw record and the readable key come with it, as for any reject.
    expect(rejects[0]).toMatchObject({ raw: `C1,${'a'.repeat(2601)},,`, key: { external_id: 'C1' } });
  });

  it('rejects references, SKUs and categories over the limit; other text of any length is kept (CSV and NDJSON)', async () => {
    const orders = await parseAll(`external_id,customer_external_id,ordered_at,status\nO1,${'c'.repeat(2601)},2024-01-01,paid\nO2,C1,2024-01-01,${'p'.repeat(5000)}\n`, { entity: 'orders' });
    expect(orders.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[2, 'customer_external_id', 'too_long']]);
    expect(orders.rows.map((row) => row.values['status']?.length)).toEqual([5000]);
    const items = await parseAll(`order_external_id,sku,quantity,unit_price\n${'o'.repeat(2601)},S,1,1\nO1,${'s'.repeat(2601)},1,1\n`, { entity: 'order_items' });
    expect(items.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([
      [2, 'order_external_id', 'too_long'],
      [3, 'sku', 'too_long'],
    ]);
    const products = await parseAll(`sku,name,category\nP1,${'n'.repeat(5000)},${'c'.repeat(2601)}\n`, { entity: 'products' });
    expect(products.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[2, 'category', 'too_long']]);
    const ndjson = [`{"ID":"E1","Cliente":"${'c'.repeat(2601)}","type":"login","occurred_at":"2024-01-01T00:00:00Z"}`, '{"ID":"E2","Cliente":"C1","type":"login","occurred_at":"2024-01-01T00:00:00Z"}'].join('\n');
    const events = await parseAll(ndjson, { entity: 'usage_events', format: 'ndjson', mapping: { columns: { ID: 'external_id', Cliente: 'customer_external_id' } } });
    expect(events.rows.map((row) => row.values['external_id'])).toEqual(['E2']);
    expect(events.rejects.map((r) => ({ line: r.line, column: r.column, reasonCode: r.reasonCode, message: r.message }))).toEqual([
      {
        line: 1,
        column: 'Cliente',
        reasonCode: 'too_long',
        message: 'Field "Cliente": the value is 2601 bytes long (UTF-8); an indexed text field (customer_external_id) holds at most 2600 bytes.',
      },
    ]);
  });
});

describe('parseImportStream: NDJSON numbers', () => {
  const ndjson = (...records: object[]): string => `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;

  it('reads JSON numbers in dot form whatever the column or file decimal separator', async () => {
    const file = ndjson({ sku: 'A', price: 1.234, name: 3.5, weight: 3.5 }, { sku: 'B', price: 12.5, name: 'Cabo', weight: 2 }, { sku: 'C', price: '1.234,5', weight: 1e-7 });
    const perColumn = await parseAll(file, { entity: 'products', format: 'ndjson', mapping: { columns: { price: { field: 'price', decimalSeparator: ',' } } } });
    const fileWide = await parseAll(file, { entity: 'products', format: 'ndjson', mapping: { locale: { decimalSeparator: ',' } } });
    for (const { rows, rejects } of [perColumn, fileWide]) {
      expect(rejects).toEqual([]);
      expect(rows.map((row) => row.values)).toEqual([
        { sku: 'A', price: '1.2340', name: '3.5' },
        { sku: 'B', price: '12.5000', name: 'Cabo' },
        // A string is text written in the tenant's notation: the comma setting applies to it.
        { sku: 'C', price: '1234.5000' },
      ]);
      expect(rows.map((row) => row.custom)).toEqual([{ weight: 3.5 }, { weight: 2 }, { weight: 1e-7 }]);
    }
  });

  it('keeps the exact digits of numbers a JavaScript number cannot hold (canonical and custom keys)', async () => {
    const raw = '{"external_id":12345678901234567890,"big":12345678901234567890,"small":42,"float":0.30000000000000004,"long":1.0000000000000001}\n';
    const { rows, rejects } = await parseAll(raw, { entity: 'customers', format: 'ndjson' });
    expect(rejects).toEqual([]);
    expect(rows).toEqual([
      {
        line: 1,
        values: { external_id: '12345678901234567890' },
        custom: { big: '12345678901234567890', small: 42, float: 0.30000000000000004, long: '1.0000000000000001' },
      },
    ]);
    const orders = await parseAll('{"external_id":"O1","customer_external_id":"C1","ordered_at":"2024-01-01T00:00:00Z","total":12345678901234.56789}\n', {
      entity: 'orders',
      format: 'ndjson',
    });
    expect(orders.rows[0]?.values['total']).toBe('12345678901234.56789');
    const tooLong = await parseAll('{"external_id":"O2","customer_external_id":"C1","ordered_at":"2024-01-01T00:00:00Z","total":123456789012345678901}\n', {
      entity: 'orders',
      format: 'ndjson',
    });
    expect(tooLong.rejects.map((r) => [r.reasonCode, r.message])).toEqual([
      ['out_of_range', 'Field "total": 123456789012345678901 is not valid: expected a number with at most 14 digits before the decimal point once rounded to 4 decimal places.'],
    ]);
  });

  it('keeps every digit of numbers nested in custom objects and arrays (as text when a JavaScript number would change them)', async () => {
    const file =
      '{"external_id":"c1","meta":{"big":12345678901234567890,"ok":1.5,"d":1.0000000000000001,"ids":[9007199254740993,2],"s":"x"},"list":[[-98765432109876543210.5]]}\n' +
      '{"external_id":"c2","meta":{"big":7},"list":[]}\n';
    const { rows, rejects } = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(rejects).toEqual([]);
    expect(rows.map((row) => row.custom)).toEqual([
      { meta: { big: '12345678901234567890', ok: 1.5, d: '1.0000000000000001', ids: ['9007199254740993', 2], s: 'x' }, list: [['-98765432109876543210.5']] },
      { meta: { big: 7 }, list: [] },
    ]);
  });

  it('keeps numbers in exponent form that a JavaScript number would change as written, at the top level and nested', async () => {
    const { rows } = await parseAll('{"external_id":"c1","huge":1e400,"tiny":1e-400,"fine":2.5e-3,"meta":{"tiny":[1e-400]}}\n', { entity: 'customers', format: 'ndjson' });
    expect(rows.map((row) => row.custom)).toEqual([{ huge: '1e400', tiny: '1e-400', fine: 0.0025, meta: { tiny: ['1e-400'] } }]);
  });

  it('keeps every digit of numbers inside a json, text or list field', async () => {
    const event = '{"customer_external_id":"C1","type":"t","occurred_at":"2024-01-01T00:00:00Z","properties":{"order":12345678901234567890,"n":1,"tags":["a"]}}\n';
    const ndjson = await parseAll(event, { entity: 'usage_events', format: 'ndjson' });
    expect(ndjson.rows[0]?.values['properties']).toBe('{"order":"12345678901234567890","n":1,"tags":["a"]}');
    const csv = await parseAll('customer_external_id,type,occurred_at,properties\nC1,t,2024-01-01T00:00:00Z,"{""order"": 12345678901234567890, ""n"": 1}"\n', { entity: 'usage_events' });
    expect(csv.rows[0]?.values['properties']).toBe('{"order":"12345678901234567890","n":1}');
    const customer = await parseAll('{"external_id":"c1","name":{"id":12345678901234567890},"aliases":[12345678901234567890,"b"]}\n', { entity: 'customers', format: 'ndjson' });
    expect(customer.rows[0]?.values).toEqual({ external_id: 'c1', name: '{"id":"12345678901234567890"}', aliases: '12345678901234567890|b' });
  });

  it('keeps custom numbers of CSV columns as text when a JavaScript number would change them', async () => {
    const { rows } = await parseAll('external_id,code,amount\nA,12345678901234567890,9007199254740993\nB,7,1.5\n', { entity: 'customers' });
    // One value of each column cannot be a number, so the column is text (the inference's rule).
    expect(rows.map((row) => row.custom)).toEqual([
      { code: '12345678901234567890', amount: '9007199254740993' },
      { code: '7', amount: '1.5' },
    ]);
  });
});

describe('parseImportStream: custom keys and mappings', () => {
  it('fails a CSV file whose mapping sends two columns to the same custom key, naming both', async () => {
    const error = await parseErrorOf(parseAll('external_id,Regiao,Region\nA,SP,Sudeste\n', { entity: 'customers', mapping: { columns: { Regiao: 'custom.region' } } }));
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toBe('Columns "Regiao" and "Region" both go to custom.region; map one of them to another custom key, or leave it out with null.');
    const twoMapped = await parseErrorOf(parseAll('external_id,a,b\nA,1,2\n', { entity: 'customers', mapping: { columns: { a: 'custom.x', b: 'custom.x' } } }));
    expect(twoMapped.message).toContain('Columns "a" and "b" both go to custom.x');
  });

  it('keeps both NDJSON keys that normalise alike (the later one gets _2, as CSV headers do, or the next suffix no key is called)', async () => {
    const file = '{"external_id":"A","Name":"Ana","name":"Bea","Nota":"x","nota":"y","nota_2":"z"}\n';
    const { rows } = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(rows).toEqual([{ line: 1, values: { external_id: 'A', name: 'Ana' }, custom: { name_2: 'Bea', nota: 'x', nota_3: 'y', nota_2: 'z' } }]);
  });

  it('rejects an NDJSON record with a key of no letters or digits, and refuses a mapping naming one', async () => {
    const file = '{"external_id":"A","#":"x"}\n{"external_id":"B","tier":"gold"}\n';
    const { rows, rejects } = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(rows).toEqual([{ line: 2, values: { external_id: 'B' }, custom: { tier: 'gold' } }]);
    expect(rejects.map((r) => [r.line, r.column, r.reasonCode, r.message])).toEqual([
      [1, '#', 'invalid_value', 'Key "#" has no letters or digits to name a custom field by; rename it in the export.'],
    ]);
    const error = await parseErrorOf(parseAll('external_id,#\nA,x\n', { entity: 'customers', mapping: { columns: { '#': null } } }));
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toBe(
      'The mapping names "#", which has no letters or digits to tell a column by: a CSV column without any is named column_<position> (map that name); an NDJSON key without any is rejected.',
    );
    const byPosition = await parseAll('external_id,#\nA,x\n', { entity: 'customers', mapping: { columns: { column_2: null } } });
    expect(byPosition.rows).toEqual([{ line: 2, values: { external_id: 'A' }, custom: {} }]);
  });

  it('a mapping naming a column whose name a duplicate header could take finds that column', async () => {
    const csv = 'external_id,Phone,Phone,Phone 2\nA,111,222,333\n';
    const mapped = await parseAll(csv, { entity: 'customers', mapping: { columns: { 'Phone 2': 'custom.backup' } } });
    expect(mapped.rows).toEqual([{ line: 2, values: { external_id: 'A' }, custom: { phone: 111, phone_3: 222, backup: 333 } }]);
    const ndjson = await parseAll('{"external_id":"A","Phone":"x1","phone":"x2","Phone 2":"x3"}\n', {
      entity: 'customers',
      format: 'ndjson',
      mapping: { columns: { 'Phone 2': 'custom.backup' } },
    });
    expect(ndjson.rows).toEqual([{ line: 1, values: { external_id: 'A' }, custom: { phone: 'x1', phone_3: 'x2', backup: 'x3' } }]);
  });

  it('rejects an NDJSON record whose keys the mapping sends to the same custom key', async () => {
    const file = '{"external_id":"A","Regiao":"SP","Region":"Sudeste"}\n{"external_id":"B","Regiao":"RJ"}\n';
    const { rows, rejects } = await parseAll(file, { entity: 'customers', format: 'ndjson', mapping: { columns: { Regiao: 'custom.region' } } });
    expect(rows).toEqual([{ line: 2, values: { external_id: 'B' }, custom: { region: 'RJ' } }]);
    expect(rejects).toEqual([
      {
        line: 1,
        column: 'Region',
        reasonCode: 'invalid_value',
        message: 'Keys "Regiao" and "Region" both go to custom.region; map one of them to another custom key, or leave it out with null.',
        raw: '{"external_id":"A","Regiao":"SP","Region":"Sudeste"}',
        key: { external_id: 'A' },
      },
    ]);
  });

  it("reads a custom.<key> column with its own separator, date format and transforms, as a field's", async () => {
    const file = 'external_id,customer_since,Peso,Renovacao,Plano\nC1,03/15/2024,"1,250",04/03/2024, GOLD \nC2,03/16/2024,"2,500",05/03/2024,Silver\n';
    const mapping = {
      columns: {
        Peso: { field: 'custom.peso', decimalSeparator: ',' as const },
        Renovacao: { field: 'custom.renovacao', dateFormat: 'dd/mm/yyyy' as const },
        Plano: { field: 'custom.plano', transforms: ['trim' as const, 'lowercase' as const] },
      },
    };
    const { rows, rejects } = await parseAll(file, { entity: 'customers', mapping });
    expect(rejects).toEqual([]);
    // Before: the file's locale (a dot, month first from customer_since) read 1250 and 2024-04-03, and " GOLD " stayed as written.
    expect(rows.map((row) => [row.values['customer_since'], row.custom])).toEqual([
      ['2024-03-15', { peso: 1.25, renovacao: '2024-03-04', plano: 'gold' }],
      ['2024-03-16', { peso: 2.5, renovacao: '2024-03-05', plano: 'silver' }],
    ]);
  });

  it("does not let a column with its own separator or date format decide the file's for the others", async () => {
    // unit_price's decimal commas voted the whole file to a comma, and quantity 1.500 became 1500.
    const items = 'order_external_id,sku,quantity,unit_price\nO1,A,1.500,"12,50"\nO2,B,2.250,"7,90"\n';
    const lines = await parseAll(items, { entity: 'order_items', mapping: { columns: { unit_price: { field: 'unit_price', decimalSeparator: ',' } } } });
    expect(lines.rejects).toEqual([]);
    expect(lines.rows.map((row) => [row.values['quantity'], row.values['unit_price']])).toEqual([
      ['1.5000', '12.5000'],
      ['2.2500', '7.9000'],
    ]);
    // started_at's month-first dates said nothing about ended_at, whose 03/04/2024 is then ambiguous.
    const subscriptions = 'external_id,customer_external_id,mrr,started_at,ended_at\nS1,C1,10,03/15/2024,03/04/2024\nS2,C1,10,03/16/2024,\n';
    const read = await parseAll(subscriptions, { entity: 'subscriptions', mapping: { columns: { started_at: { field: 'started_at', dateFormat: 'mm/dd/yyyy' } } } });
    expect(read.rejects.map((reject) => [reject.line, reject.column, reject.reasonCode])).toEqual([[2, 'ended_at', 'ambiguous_date']]);
    expect(read.rows.map((row) => row.values['started_at'])).toEqual(['2024-03-16T00:00:00.000Z']);
    // NDJSON alike (its decimals are a dot unless the mapping says otherwise; only dates vote).
    const ndjson = '{"external_id":"S1","customer_external_id":"C1","mrr":10,"started_at":"03/15/2024","ended_at":"03/04/2024"}\n';
    const records = await parseAll(ndjson, { entity: 'subscriptions', format: 'ndjson', mapping: { columns: { started_at: { field: 'started_at', dateFormat: 'mm/dd/yyyy' } } } });
    expect(records.rejects.map((reject) => [reject.line, reject.column, reject.reasonCode])).toEqual([[1, 'ended_at', 'ambiguous_date']]);
  });

  // 255 characters: the longest custom field name the API filters on and a scorecard scores.
  const longest = 'x'.repeat(255);
  const tooLong = `Q${'w'.repeat(255)}`;

  it('fails a CSV file with a column whose custom key would be longer than 255 characters, saying how to map it', async () => {
    const error = await parseErrorOf(parseAll(`external_id,${tooLong}\nA,1\n`, { entity: 'customers' }));
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toBe(
      `Column "${tooLong}" would be the custom field 256 characters long; a custom field name has at most 255. ` +
        `Map it to a shorter one ({"columns": {"${tooLong}": "custom.<name>"}}), or leave it out with null.`,
    );
    // Mapped to a shorter key, left out, or at the limit, the file loads.
    const mapped = await parseAll(`external_id,${tooLong},${longest}\nA,1,2\n`, { entity: 'customers', mapping: { columns: { [tooLong]: 'custom.q' } } });
    expect(mapped.rows).toEqual([{ line: 2, values: { external_id: 'A' }, custom: { q: 1, [longest]: 2 } }]);
    const left = await parseAll(`external_id,${tooLong}\nA,1\n`, { entity: 'customers', mapping: { columns: { [tooLong]: null } } });
    expect(left.rows).toEqual([{ line: 2, values: { external_id: 'A' }, custom: {} }]);
  });

  it('rejects an NDJSON record with a key whose custom key would be longer than 255 characters; the other records load', async () => {
    const file = `{"external_id":"A","${tooLong}":1}\n{"external_id":"B","${longest}":2}\n`;
    const { rows, rejects } = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(rows).toEqual([{ line: 2, values: { external_id: 'B' }, custom: { [longest]: 2 } }]);
    expect(rejects).toEqual([
      {
        line: 1,
        column: tooLong,
        reasonCode: 'too_long',
        message: `Key "${tooLong}" would be the custom field 256 characters long; a custom field name has at most 255. Map it to a shorter one ({"columns": {"${tooLong}": "custom.<name>"}}), or leave it out with null.`,
        raw: `{"external_id":"A","${tooLong}":1}`,
        key: { external_id: 'A' },
      },
    ]);
  });

  it('fails a CSV file whose mapping names a column the header does not have', async () => {
    const error = await parseErrorOf(parseAll('external_id,Email\nA,a@x.com\n', { entity: 'customers', mapping: { columns: { Emial: 'email', Telefone: 'custom.phone', Notas: null } } }));
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toBe('The mapping names columns the file does not have: "Emial", "Telefone" (columns found: external_id, Email).');
    const twice = await parseErrorOf(parseAll('external_id,Region\nA,SP\n', { entity: 'customers', mapping: { columns: { Region: 'custom.a', region: 'custom.b' } } }));
    expect(twice.message).toBe('The mapping names the column "Region" twice (also as "region").');
  });

  it('does not require NDJSON records to carry every mapped key (APIs leave empty keys out)', async () => {
    const { rows } = await parseAll('{"external_id":"A"}\n', { entity: 'customers', format: 'ndjson', mapping: { columns: { Plano: 'plan' } } });
    expect(rows).toEqual([{ line: 1, values: { external_id: 'A' }, custom: {} }]);
  });

  it('keeps NDJSON objects and arrays in custom as JSON values', async () => {
    const file = '{"external_id":"A","meta":{"tier":"gold","scores":[1,2]},"tags":["x","y"]}\n{"external_id":"B","meta":"none","tags":null}\n';
    const { rows } = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(rows.map((row) => row.custom)).toEqual([
      { meta: { tier: 'gold', scores: [1, 2] }, tags: ['x', 'y'] },
      { meta: 'none', tags: null },
    ]);
  });

  it('keeps single-letter and one-sided yes/no columns as text; true/false and yes-and-no columns are booleans', async () => {
    const csv = 'external_id,region,size,country,answer,flag\nA,N,S,NO,yes,true\nB,S,M,NO,no,false\nC,N,S,NO,,FALSE\n';
    const { rows } = await parseAll(csv, { entity: 'customers' });
    expect(rows.map((row) => row.custom)).toEqual([
      { region: 'N', size: 'S', country: 'NO', answer: true, flag: true },
      { region: 'S', size: 'M', country: 'NO', answer: false, flag: false },
      { region: 'N', size: 'S', country: 'NO', answer: null, flag: false },
    ]);
  });
});

describe('parseImportStream: required values', () => {
  it('rejects a required field that is only spaces as missing_required (CSV and NDJSON)', async () => {
    const csv = await parseAll('external_id,name\n   ,Ana\n\t,Bea\nC1,Cid\n', { entity: 'customers' });
    expect(csv.rows.map((row) => row.values['external_id'])).toEqual(['C1']);
    expect(csv.rejects.map((r) => [r.line, r.column, r.reasonCode, r.message])).toEqual([
      [2, 'external_id', 'missing_required', 'Column "external_id": external_id is required but the value is empty.'],
      [3, 'external_id', 'missing_required', 'Column "external_id": external_id is required but the value is empty.'],
    ]);
    const ndjson = await parseAll('{"external_id":"   ","name":"Ana"}\n{"external_id":" C2 "}\n', { entity: 'customers', format: 'ndjson' });
    expect(ndjson.rows.map((row) => row.values['external_id'])).toEqual([' C2 ']);
    expect(ndjson.rejects.map((r) => [r.line, r.column, r.reasonCode])).toEqual([[1, 'external_id', 'missing_required']]);
  });
});

describe('parseImportStream: optional keys and references', () => {
  it('takes an optional customer reference of only whitespace as empty, like an empty cell (CSV and NDJSON)', async () => {
    const csv = await parseAll('external_id,customer_external_id,name\nK1,   ,Ana\nK2,,Bea\nK3,\t,Cid\nK4, C9 ,Dan\n', { entity: 'contacts' });
    expect(csv.rejects).toEqual([]);
    expect(csv.rows.map((row) => row.values['customer_external_id'])).toEqual([null, null, null, ' C9 ']);
    const ndjson = await parseAll('{"external_id":"K1","customer_external_id":"  \\t "}\n{"external_id":"K2","customer_external_id":""}\n{"external_id":"K3","customer_external_id":null}\n', {
      entity: 'contacts',
      format: 'ndjson',
    });
    expect(ndjson.rows.map((row) => row.values)).toEqual([
      { external_id: 'K1', customer_external_id: null },
      { external_id: 'K2', customer_external_id: null },
      { external_id: 'K3', customer_external_id: null },
    ]);
  });

  it('takes an optional key of only whitespace as empty (no key: never a duplicate), through a mapping and as a constant', async () => {
    const events = await parseAll('Event ID,customer_external_id,type,occurred_at\n   ,C1,login,2024-01-01\n,C1,login,2024-01-02\n', {
      entity: 'usage_events',
      mapping: { columns: { 'Event ID': 'external_id' } },
    });
    expect(events.rows.map((row) => row.values['external_id'])).toEqual([null, null]);
    const nps = await parseAll('{"external_id":" ","customer_external_id":"C1","score":9,"responded_at":"2024-01-01"}\n', { entity: 'nps_responses', format: 'ndjson' });
    expect(nps.rows.map((row) => row.values['external_id'])).toEqual([null]);
    const constant = await parseAll('external_id,name\nK1,Ana\n', { entity: 'contacts', mapping: { constants: { customer_external_id: '   ' } } });
    expect(constant.rows.map((row) => row.values)).toEqual([{ external_id: 'K1', name: 'Ana', customer_external_id: null }]);
  });

  it('leaves other optional text as written, and aliases of only whitespace give none', async () => {
    const { rows } = await parseAll('external_id,name,aliases\nC1,   ,  |  \n', { entity: 'customers' });
    expect(rows.map((row) => row.values)).toEqual([{ external_id: 'C1', name: '   ', aliases: null }]);
  });
});

describe('parseImportStream: NDJSON resume', () => {
  it('gives keys first seen after the sample the same type whether their first record was skipped or not', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 1000; i += 1) lines.push(JSON.stringify({ external_id: `C${i}` }));
    // `late` first appears after the sample; its first value ("abc") makes it text, so "7" stays "7".
    lines.push(JSON.stringify({ external_id: 'C1001', late: 'abc' }));
    lines.push(JSON.stringify({ external_id: 'C1002', late: '7' }));
    // A rejected record still registers the keys it carries, in a full run as on resume.
    lines.push(JSON.stringify({ external_id: '', later: 'n/a' }));
    lines.push(JSON.stringify({ external_id: 'C1004', later: '5' }));
    const file = `${lines.join('\n')}\n`;
    const full = await parseAll(file, { entity: 'customers', format: 'ndjson' });
    expect(full.rows.slice(-2).map((row) => row.custom)).toEqual([{ late: '7' }, { later: '5' }]);
    const resumed = await parseAll(file, { entity: 'customers', format: 'ndjson', skipRecords: 1003 });
    expect(resumed.rows).toEqual(full.rows.slice(-1));
    const resumedEarlier = await parseAll(file, { entity: 'customers', format: 'ndjson', skipRecords: 1001 });
    expect(resumedEarlier.rows).toEqual(full.rows.slice(-2));
  });
});

describe('parseImportStream: the key of a rejected record', () => {
  it('gives the key fields a rejected CSV record has readably, and none when it has none', async () => {
    const file = 'external_id,name,customer_since\nc1,Ana,2024-13-45\n,Bruno,2024-01-01\n  c3 ,Carla,nope';
    const { rejects } = await parseAll(file, { entity: 'customers' });
    expect(rejects.map((reject) => [reject.line, reject.reasonCode, reject.key])).toEqual([
      [2, 'invalid_date', { external_id: 'c1' }],
      [3, 'missing_required', undefined],
      [4, 'invalid_date', { external_id: '  c3 ' }],
    ]);
  });

  it('gives an order line its order (and line number when it has one), from CSV and NDJSON', async () => {
    const csv = 'order_external_id,line_number,sku,quantity,unit_price\no1,,A,1,2\no1,,B,one,2\no2,7,C,x,2';
    expect((await parseAll(csv, { entity: 'order_items' })).rejects.map((reject) => reject.key)).toEqual([{ order_external_id: 'o1' }, { order_external_id: 'o2', line_number: '7' }]);
    const ndjson = '{"order_external_id":"o1","sku":"B","quantity":"one","unit_price":2}\n{"sku":"C","quantity":2,"unit_price":2}';
    expect((await parseAll(ndjson, { entity: 'order_items', format: 'ndjson' })).rejects.map((reject) => reject.key)).toEqual([{ order_external_id: 'o1' }, undefined]);
  });
});
