import { mappedSourceColumns } from './source-row';

describe('mappedSourceColumns (the columns whose drift fails a sync)', () => {
  const columns = ['Id', 'name', 'email', 'E-Mail 2', 'tier', 'updated_at'];

  it('takes explicitly mapped columns and columns named like a canonical field, matched by normalised name', () => {
    expect(mappedSourceColumns('customers', { columns: { id: 'external_id', e_mail_2: 'custom.backup_email' } }, columns)).toEqual(['Id', 'name', 'email', 'E-Mail 2']);
  });

  it('leaves out a column mapped to null, even one named like a canonical field', () => {
    expect(mappedSourceColumns('customers', { columns: { id: 'external_id', EMAIL: null } }, columns)).toEqual(['Id', 'name']);
  });

  it('leaves out a canonical-named column whose field another column feeds (it goes to custom)', () => {
    expect(mappedSourceColumns('customers', { columns: { 'E-Mail 2': { field: 'email' } } }, columns)).toEqual(['name', 'E-Mail 2']);
  });

  it('without a mapping, only the canonical-named columns', () => {
    expect(mappedSourceColumns('customers', undefined, columns)).toEqual(['name', 'email']);
  });
});
