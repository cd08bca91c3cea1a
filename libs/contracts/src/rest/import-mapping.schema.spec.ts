import { importMappingSchema, importMappingSchemaFor } from './import-mapping.schema';

describe('importMappingSchemaFor', () => {
  it('accepts columns, column options, ignored columns, custom renames, constants and locale', () => {
    const mapping = {
      columns: {
        'Customer ID': 'external_id',
        'Cliente desde': { field: 'customer_since', dateFormat: 'dd/mm/yyyy' },
        'Outros IDs': { field: 'aliases', split: ';', transforms: ['trim', 'lowercase'] },
        Notas: null,
        Região: 'custom.region',
      },
      constants: { segment: 'SMB' },
      locale: { decimalSeparator: ',', dateFormat: 'dd/mm/yyyy' },
      delimiter: ';',
      encoding: 'windows-1252',
    };
    expect(importMappingSchemaFor('customers').parse(mapping)).toEqual(mapping);
  });

  it('names an unknown canonical field in a column target or a constant', () => {
    const result = importMappingSchemaFor('orders').safeParse({ columns: { Pedido: 'order_id' }, constants: { moeda: 'BRL' } });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual([
      ['columns.Pedido', expect.stringContaining('unknown canonical field "order_id"')],
      ['constants.moeda', expect.stringContaining('unknown canonical field "moeda"')],
    ]);
  });

  it('refuses two columns feeding one field, and empty or unsafe custom keys', () => {
    const result = importMappingSchemaFor('customers').safeParse({
      columns: { id: 'external_id', code: { field: 'external_id' }, x: 'custom.', y: 'custom.__proto__', z: `custom.${'z'.repeat(256)}`, ok: `custom.${'k'.repeat(255)}` },
    });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'field "external_id" is already mapped from column "id"',
      '"custom." needs a key of letters, digits and _ after "custom." (not starting with _, at most 255 characters)',
      '"custom.__proto__" needs a key of letters, digits and _ after "custom." (not starting with _, at most 255 characters)',
      `"custom.${'z'.repeat(256)}" needs a key of letters, digits and _ after "custom." (not starting with _, at most 255 characters)`,
    ]);
  });

  it('refuses unknown options, delimiters and date formats (strict shape)', () => {
    expect(importMappingSchema.safeParse({ colums: {} }).success).toBe(false);
    expect(importMappingSchema.safeParse({ delimiter: ':' }).success).toBe(false);
    expect(importMappingSchema.safeParse({ locale: { dateFormat: 'yyyy/dd/mm' } }).success).toBe(false);
  });
});
