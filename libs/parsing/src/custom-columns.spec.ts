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

  it('infers boolean only from unambiguous words: true/false, or yes/no (sim/não) with both answers present', () => {
    expect(inferCustomType(['true', 'TRUE'], comma)).toBe('boolean');
    expect(inferCustomType(['falso', 'verdadeiro'], comma)).toBe('boolean');
    expect(inferCustomType(['Yes', 'NO', 'yes'], comma)).toBe('boolean');
    expect(inferCustomType(['no', 'true'], comma)).toBe('boolean');
    // Region codes, sizes and country codes are not answers.
    expect(inferCustomType(['N', 'S', 'N'], comma)).toBe('string');
    expect(inferCustomType(['Y', 'N'], comma)).toBe('string');
    expect(inferCustomType(['NO', 'NO'], comma)).toBe('string');
    expect(inferCustomType(['sim', 'sim'], comma)).toBe('string');
    // JSON booleans (NDJSON) are booleans.
    expect(inferCustomType([true, false, 'no'], comma)).toBe('boolean');
  });

  it('infers number from JSON numbers whatever the decimal separator, and not from numbers a JavaScript number would change', () => {
    expect(inferCustomType([3.5, '1.234,5'], comma)).toBe('number');
    expect(inferCustomType(['12345678901234567890', '7'], comma)).toBe('string');
  });

  it('converts to the type, keeping non-fitting values as text and empty as null', () => {
    expect(['1.234,5', 'n/a', ''].map(customConverter('number', comma))).toEqual([1234.5, 'n/a', null]);
    expect(['sim', 'não', 'talvez', 'N'].map(customConverter('boolean', comma))).toEqual([true, false, 'talvez', 'N']);
    expect(['31/01/2024', '2024-02-01 10:00', 'amanhã'].map(customConverter('date', comma))).toEqual(['2024-01-31', '2024-02-01T10:00:00.000Z', 'amanhã']);
  });

  it('types a date column by what its values read as, and keeps a date outside 1901-2199 (a placeholder for no date) as written', () => {
    // A placeholder in the sample does not turn a column of real dates into text.
    expect(inferCustomType(['0001-01-01', '31/01/2024', '9999-12-31 23:59:59.997'], comma)).toBe('date');
    expect(
      ['0001-01-01', '01/01/0001', '1900-01-01 00:00:00.000', '31/12/2199 23:59:59', '9999-12-31T23:00:00-05:00', '01/01/1901', '31/12/2199', '2200-01-01'].map(customConverter('date', comma)),
    ).toEqual(['0001-01-01', '01/01/0001', '1900-01-01 00:00:00.000', '2199-12-31T23:59:59.000Z', '9999-12-31T23:00:00-05:00', '1901-01-01', '2199-12-31', '2200-01-01']);
  });
});
