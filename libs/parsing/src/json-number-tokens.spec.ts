import { exactJsonValue, longNumberTokens, topLevelNumberTokens } from './json-number-tokens';

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
    expect(longNumberTokens('{"x":[1.0000000000000001]}')?.get('x')).toBe('[1.0000000000000001]');
  });

  it('scans lines with a number in exponent form (JSON.parse may overflow, underflow or round it)', () => {
    expect(longNumberTokens('{"id":"C1e5","x":1e400}')?.get('x')).toBe('1e400');
    expect(longNumberTokens('{"x":[2.5E-400]}')?.get('x')).toBe('[2.5E-400]');
    expect(longNumberTokens('{"id":"550e8400-e29b","n":12.5}')).toBeUndefined();
  });

  it('gives the text of the objects and arrays that hold a long number, and not of the others', () => {
    const line = '{"a":{"n":1,"s":"ref:12345678901234567890"},"b":{"m":{"big": 12345678901234567890}},"c":[1,[2,12345678901234567.5]],"d":[1,2],"e":{"s":"12345678901234567890"}}';
    expect(Object.fromEntries(topLevelNumberTokens(line))).toEqual({
      // "a" only holds the digits in a string: its text is given (the test is cheap, not exact), harmlessly.
      a: '{"n":1,"s":"ref:12345678901234567890"}',
      b: '{"m":{"big": 12345678901234567890}}',
      c: '[1,[2,12345678901234567.5]]',
    });
  });
});

describe('exactJsonValue', () => {
  it('reads numbers a JavaScript number would change as their digits, at any depth', () => {
    const text = '{"big":12345678901234567890,"neg":-9007199254740993,"long":1.0000000000000001,"huge":1e400,"tiny":1e-400,"e20":1E20,"safe":[1.5,-2,1e3,0.30000000000000004],"in":{"deep":[[98765432109876543210]]}}';
    expect(exactJsonValue(text)).toEqual({
      big: '12345678901234567890',
      neg: '-9007199254740993',
      long: '1.0000000000000001',
      huge: '1e400',
      tiny: '1e-400',
      e20: '1E20',
      safe: [1.5, -2, 1000, 0.30000000000000004],
      in: { deep: [['98765432109876543210']] },
    });
  });

  it('reads everything else as JSON.parse does: escapes, spaces, literals, empty objects, repeated keys, __proto__', () => {
    const text = ' { "a\\"b" : [ "x\\\\\\"}:1" , true,false ,null, {}, [ ] ] , "é\\u00e9" : {"k":1,"k":2}, "10":"n", "__proto__": {"p": 1}, "s": "" } ';
    const exact = exactJsonValue(text);
    expect(exact).toEqual(JSON.parse(text));
    expect(Object.keys(exact as object)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
    expect(JSON.stringify(exact)).toBe(JSON.stringify(JSON.parse(text)));
    expect(exactJsonValue('[]')).toEqual([]);
    expect(exactJsonValue('"a"')).toBe('a');
    expect(exactJsonValue('-0.5')).toBe(-0.5);
  });
});
