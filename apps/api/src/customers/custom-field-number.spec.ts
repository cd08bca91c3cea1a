import { shortestDecimalOf } from './custom-field-number';

describe('shortestDecimalOf', () => {
  it.each([
    ['50', '50'],
    ['50.0', '50'],
    ['50.00', '50'],
    ['5e1', '50'],
    ['5.0E+1', '50'],
    ['500e-1', '50'],
    ['050', '50'],
    ['0', '0'],
    ['-0', '0'],
    ['-0.0e5', '0'],
    ['1e-3', '0.001'],
    ['-1.2e3', '-1200'],
    ['0.10', '0.1'],
    ['123456789012345678901234567890.5', '123456789012345678901234567890.5'],
    ['1e29', `1${'0'.repeat(29)}`],
  ])('reads %s as %s', (value, decimal) => {
    expect(shortestDecimalOf(value)).toBe(decimal);
  });

  it.each(['', ' 5', '5 ', '+5', '.5', '5.', '0x14', '1e', 'e5', '5e1.5', '050e1', 'NaN', 'Infinity', '1,5', '1e30', '1e-31', '1e99999999999999999999'])(
    'does not take %j for a number',
    (value) => {
      expect(shortestDecimalOf(value)).toBeUndefined();
    },
  );
});
