import { withVary } from './private-response.hook';

describe('withVary', () => {
  it.each([
    [undefined, 'Authorization'],
    ['', 'Authorization'],
    ['accept-encoding', 'accept-encoding, Authorization'],
    [['accept-encoding', 'Origin'], 'accept-encoding, Origin, Authorization'],
    ['Accept-Encoding,authorization', 'Accept-Encoding, authorization'],
    ['*', '*'],
  ])('adds Authorization to %j once: %j', (current, expected) => {
    expect(withVary(current, 'Authorization')).toBe(expected);
  });
});
