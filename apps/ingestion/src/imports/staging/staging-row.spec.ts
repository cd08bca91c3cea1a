import { stagingLine } from './staging-row';

describe('stagingLine', () => {
  it('writes line, fields in order and custom JSON as one COPY text line; \\N for NULL, an empty string empty', () => {
    const line = stagingLine(
      { line: 7, values: { external_id: 'c1', name: 'Silva, "Zé"', email: null, segment: '' }, custom: { region: 'São Paulo', seats: 3 } },
      ['external_id', 'name', 'email', 'segment', 'plan'],
    );
    expect(line).toBe('7\tc1\tSilva, "Zé"\t\\N\t\t\\N\t{"region":"São Paulo","seats":3}\t\\N\n');
  });

  it('lists the fields an NDJSON record leaves out (not those it gives as null) when asked', () => {
    const row = { line: 3, values: { external_id: 'c1', email: null }, custom: {} };
    expect(stagingLine(row, ['external_id', 'name', 'email', 'segment'], { recordAbsent: true })).toBe('3\tc1\t\\N\t\\N\t\\N\t{}\t{name,segment}\n');
    expect(stagingLine({ line: 4, values: { external_id: 'c2' }, custom: {} }, ['external_id'], { recordAbsent: true })).toBe('4\tc2\t{}\t\\N\n');
  });

  it('escapes tabs, line breaks and backslashes in values and in custom', () => {
    expect(stagingLine({ line: 2, values: { comment: 'a\r\nb\tc\\d' }, custom: { note: 'say "hi"\\' } }, ['comment'])).toBe(
      '2\ta\\r\\nb\\tc\\\\d\t{"note":"say \\\\"hi\\\\"\\\\\\\\"}\t\\N\n',
    );
  });

  it('rejects a row carrying a NUL character, in a field or in custom', () => {
    expect(stagingLine({ line: 3, values: { name: 'a\u0000b' }, custom: {} }, ['name'])).toMatchObject({ line: 3, column: 'name', reasonCode: 'invalid_value' });
    expect(stagingLine({ line: 4, values: { name: 'ok' }, custom: { x: '\u0000' } }, ['name'])).toMatchObject({ line: 4, column: 'custom', reasonCode: 'invalid_value' });
  });

  it('keeps the text \\u0000 (a backslash, then u0000) in custom: no NUL there', () => {
    expect(stagingLine({ line: 5, values: {}, custom: { path: 'C:\\u0000' } }, [])).toBe('5\t{"path":"C:\\\\\\\\u0000"}\t\\N\n');
  });

  it("names the row a NUL rejection was meant for by the key fields it gives readably, as a parser's rejection does", () => {
    const keyFields = ['order_external_id', 'line_number'];
    const rejected = stagingLine({ line: 6, values: { order_external_id: 'o1', line_number: null, sku: 'A\u0000' }, custom: {} }, ['order_external_id', 'line_number', 'sku'], { keyFields });
    expect(rejected).toMatchObject({ line: 6, column: 'sku', key: { order_external_id: 'o1' } });
    const keyWithNul = stagingLine({ line: 7, values: { external_id: 'c\u00001' }, custom: {} }, ['external_id'], { keyFields: ['external_id'] });
    expect(keyWithNul).not.toHaveProperty('key');
  });
});
