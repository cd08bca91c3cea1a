import { decodeCursor, encodeCursor } from './source-cursor';
import { fieldErrorsOf, forgedCursor } from '../testing/cursor-testing';

const ID = '0b9f8a7e-3c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('source list cursors', () => {
  it('read back what they wrote', () => {
    const cursor = { at: '2024-02-29T23:59:59.999Z', id: ID };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each(['2026-13-01T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '0000-01-01T00:00:00.000Z'])('refuses a cursor at %s as invalid_cursor', (at) => {
    expect(fieldErrorsOf(() => decodeCursor(forgedCursor({ at, id: ID })))).toEqual([expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })]);
  });
});
