import { ValidationError } from '@pulse/errors';
import { parseImportMapping } from './import-mapping-input';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.fieldErrors.map((e) => `${e.field}:${e.code}`);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseImportMapping', () => {
  it('accepts a mapping for the entity, from the query or the header', () => {
    const mapping = { columns: { Cliente: 'external_id', Nome: { field: 'name', transforms: ['trim'] } }, constants: { segment: 'smb' } };
    expect(parseImportMapping('customers', 'csv', JSON.stringify(mapping), undefined)).toEqual(mapping);
    expect(parseImportMapping('customers', 'csv', undefined, JSON.stringify(mapping))).toEqual(mapping);
    expect(parseImportMapping('customers', 'csv', undefined, undefined)).toBeUndefined();
  });

  it('names the field at fault', () => {
    expect(fieldsOf(() => parseImportMapping('orders', 'csv', JSON.stringify({ columns: { Total: { field: 'amount' } } }), undefined))).toEqual([
      'query.mapping.columns.Total.field:custom',
    ]);
    expect(fieldsOf(() => parseImportMapping('orders', 'csv', undefined, JSON.stringify({ delimiter: ':' })))).toEqual(['header.import-mapping.delimiter:invalid_value']);
    expect(fieldsOf(() => parseImportMapping('orders', 'csv', '{not json', undefined))).toEqual(['query.mapping:invalid_json']);
    expect(fieldsOf(() => parseImportMapping('orders', 'csv', '{}', '{}'))).toEqual(['query.mapping:conflicting_mapping']);
  });

  it('names the option at fault in a column given as an object, with the values it takes, not the whole column', () => {
    const refused = (mapping: unknown) => {
      try {
        parseImportMapping('customers', 'csv', undefined, JSON.stringify(mapping));
      } catch (error) {
        if (error instanceof ValidationError) return error.fieldErrors.map(({ field, code, message }) => ({ field, code, message }));
        throw error;
      }
      throw new Error('expected a ValidationError');
    };
    expect(refused({ columns: { a: { field: 'customer_since', dateFormat: 'yyyy/dd/mm' } } })).toEqual([
      { field: 'header.import-mapping.columns.a.dateFormat', code: 'invalid_value', message: expect.stringContaining('"dd/mm/yyyy"') },
    ]);
    expect(refused({ columns: { a: { field: 'aliases', transforms: ['reverse'] } } })).toEqual([
      { field: 'header.import-mapping.columns.a.transforms.0', code: 'invalid_value', message: expect.stringContaining('"trim"|"lowercase"|"uppercase"') },
    ]);
    // An unknown option is named as an unknown field is anywhere in the API.
    expect(refused({ columns: { a: { field: 'name', dateformat: 'dd/mm/yyyy' } }, colums: {} })).toEqual([
      { field: 'header.import-mapping.columns.a.dateformat', code: 'unrecognized_keys', message: 'Unknown field "dateformat".' },
      { field: 'header.import-mapping.colums', code: 'unrecognized_keys', message: 'Unknown field "colums".' },
    ]);
    // A column that is none of a field name, an object or null says what it may be.
    expect(refused({ columns: { a: 12 } })).toEqual([
      { field: 'header.import-mapping.columns.a', code: 'invalid_union', message: 'Invalid input: expected string, object or null' },
    ]);
  });

  it('names a source column given twice (compared normalised, like the parser) and an option its target field cannot use', () => {
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', undefined, JSON.stringify({ columns: { Region: 'custom.r', region: 'custom.s', 'REGIÃO': null } })))).toEqual([
      'header.import-mapping.columns.region:duplicate_column',
    ]);
    // A source with nothing to spell can name no column (the parser calls such a CSV column column_<n>).
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', JSON.stringify({ columns: { '#': null, column_2: null } }), undefined))).toEqual([
      'query.mapping.columns.#:unnamed_column',
    ]);
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', JSON.stringify({ columns: { Nome: { field: 'name', split: ';', dateFormat: 'dd/mm/yyyy', decimalSeparator: ',' } } }), undefined))).toEqual([
      'query.mapping.columns.Nome.split:inapplicable_option',
      'query.mapping.columns.Nome.dateFormat:inapplicable_option',
      'query.mapping.columns.Nome.decimalSeparator:inapplicable_option',
    ]);
    const fitting = { columns: { Outros: { field: 'aliases', split: ';', transforms: ['trim'] }, Desde: { field: 'customer_since', dateFormat: 'dd/mm/yyyy' }, Nome: { field: 'name', transforms: ['trim'] } } };
    expect(parseImportMapping('customers', 'csv', JSON.stringify(fitting), undefined)).toEqual(fitting);
  });

  it('refuses a constant for a field a column is mapped to in a CSV file (the column always wins), not in NDJSON (it fills records without the key)', () => {
    const mapping = JSON.stringify({ columns: { Email: 'email', Nome: { field: 'name' }, Zona: null }, constants: { email: 'x@y', name: 'Ana', segment: 'smb' } });
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', undefined, mapping))).toEqual([
      'header.import-mapping.constants.email:duplicate_target',
      'header.import-mapping.constants.name:duplicate_target',
    ]);
    expect(parseImportMapping('customers', 'ndjson', undefined, mapping)).toEqual(JSON.parse(mapping));
    // A column mapped to null or into custom feeds no canonical field.
    const apart = { columns: { Email: null, Mail: 'custom.email' }, constants: { email: 'x@y' } };
    expect(parseImportMapping('customers', 'csv', JSON.stringify(apart), undefined)).toEqual(apart);
  });

  it('refuses a NUL character escaped in the JSON (jsonb cannot hold it), naming where it is', () => {
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', '{"columns":{"Nome\\u0000":"name"}}', undefined))).toEqual(['query.mapping.columns.Nome\u0000:nul_character']);
    expect(fieldsOf(() => parseImportMapping('customers', 'csv', undefined, '{"constants":{"segment":"\\u0000"}}'))).toEqual(['header.import-mapping.constants.segment:nul_character']);
  });
});
