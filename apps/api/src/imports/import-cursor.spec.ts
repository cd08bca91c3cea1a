import { decodeImportErrorsCursor, decodeImportsCursor, encodeImportErrorsCursor, encodeImportsCursor } from './import-cursor';
import { fieldErrorsOf, forgedCursor } from '../testing/cursor-testing';

const ID = '0b9f8a7e-3c2d-4e5f-8a9b-0c1d2e3f4a5b';

const INVALID_CURSOR = [expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })];

describe('import list cursors', () => {
  it('read back what they wrote', () => {
    const imports = { createdAt: '2024-02-29T23:59:59.999999Z', id: ID };
    expect(decodeImportsCursor(encodeImportsCursor(imports))).toEqual(imports);
    const errors = { line: 7, id: '9223372036854775807' };
    expect(decodeImportErrorsCursor(encodeImportErrorsCursor(errors))).toEqual(errors);
  });

  it.each(['2026-13-01T00:00:00.000000Z', '2026-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2026-01-01T24:00:00.000000Z'])(
    'refuses an imports cursor at %s as invalid_cursor',
    (createdAt) => {
      expect(fieldErrorsOf(() => decodeImportsCursor(forgedCursor({ createdAt, id: ID })))).toEqual(INVALID_CURSOR);
    },
  );

  it('refuses an import errors cursor whose id is beyond int8 as invalid_cursor', () => {
    expect(fieldErrorsOf(() => decodeImportErrorsCursor(forgedCursor({ line: 1, id: '9999999999999999999' })))).toEqual(INVALID_CURSOR);
  });
});
