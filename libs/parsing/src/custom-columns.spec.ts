import { customConverter, inferCustomType, type CustomTypeContext } from './custom-columns';
import { ZonedTime } from './zoned-time';

const comma: CustomTypeContext = { decimalSeparator: ',', dates: { order: 'dmy', epoch: 'auto', isoOnly: false }, zone: new ZonedTime('UTC') };

describe('custom column types', () => {
  it('infers boolean, number, date or string from the sample values', () => {
    expect(inferCustomType(['sim', 'Não', '', 'TRUE'], comma)).toBe('boolean');
    expect(inferCustomType(['1.234,5', '0', '-3'], comma)).toBe('number');
    expect(inferCustomType(['0', '1', '1'], comma)).toBe('number');
    expect(inferCustomType(['31/01/2024', '2024-02-01T10:00:00Z'], comma)).toBe('date');
    expect(inferCustomType(['00123', '00456'], comma)).toBe('string');
    expect(inferCustomType(['', ' '], comma)).toBe('string');
  });

  it('converts to the type, keeping non-fitting values as text and empty as null', () => {
    expect(['1.234,5', 'n/a', ''].map(customConverter('number', comma))).toEqual([1234.5, 'n/a', null]);
    expect(['sim', 'não', 'talvez'].map(customConverter('boolean', comma))).toEqual([true, false, 'talvez']);
    expect(['31/01/2024', '2024-02-01 10:00', 'amanhã'].map(customConverter('date', comma))).toEqual(['2024-01-31', '2024-02-01T10:00:00.000Z', 'amanhã']);
  });
});
