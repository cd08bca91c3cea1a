import { longNumberTokens, topLevelNumberTokens } from './json-number-tokens';

describe('NDJSON number tokens', () => {
  it('gives the top-level numbers as written, past strings, escapes, nesting and spaces', () => {
    const line = '{ "a\\"b" : -1.50e3 , "s":"x\\\\\\"}:1", "o":{"n":[1,{"m":2}],"t":"]}"},"n" :12345678901234567890,"t":true,"z":null,"e":1E-7}';
    expect(Object.fromEntries(topLevelNumberTokens(line))).toEqual({ 'a"b': '-1.50e3', n: '12345678901234567890', e: '1E-7' });
  });

  it('lets the last of a repeated key count, as JSON.parse does', () => {
    expect(Object.fromEntries(topLevelNumberTokens('{"a":12345678901234567890,"a":"x","b":1,"b":2}'))).toEqual({ b: '2' });
  });

  it('scans only lines with a number of 16 digits or more', () => {
    expect(longNumberTokens('{"id":"C1","total":12345678901234.5}')).toBeUndefined();
    expect(longNumberTokens('{"id":"C1","total":1234567890123456}')?.get('total')).toBe('1234567890123456');
    expect(longNumberTokens('{"id":"C1","total": -1234567890.123456}')?.get('total')).toBe('-1234567890.123456');
    expect(longNumberTokens('{"x":[1.0000000000000001]}')?.size).toBe(0);
  });
});
