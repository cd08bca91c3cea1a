import { correlationIdFrom } from './correlation-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlationIdFrom', () => {
  it('keeps an acceptable caller id', () => {
    expect(correlationIdFrom('req-42.abc:7')).toBe('req-42.abc:7');
    expect(correlationIdFrom(['first', 'second'])).toBe('first');
  });

  it.each([undefined, '', '   ', 'has space', 'line\nbreak', '{"json":1}', 'x'.repeat(129)])(
    'generates a new uuid instead of %j',
    (value) => {
      expect(correlationIdFrom(value)).toMatch(UUID);
    },
  );
});
