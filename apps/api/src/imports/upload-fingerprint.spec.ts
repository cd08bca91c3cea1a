import type { ImportMapping } from '@pulse/contracts';
import { uploadFingerprint, type UploadMeaning } from './upload-fingerprint';

const BASE: UploadMeaning = {
  entity: 'customers',
  format: 'csv',
  mode: 'upsert',
  options: { onUnknownReference: 'reject', maxRejectedShare: 0.1 },
  mapping: { columns: { Nome: 'name' } },
  contentSha256: 'a'.repeat(64),
};
const withMapping = (mapping: ImportMapping | undefined) => uploadFingerprint({ ...BASE, mapping });

describe('uploadFingerprint', () => {
  it('is the same for mappings the parser applies alike', () => {
    const base = uploadFingerprint(BASE);
    expect(withMapping({ columns: { nome: { field: 'name' } } })).toBe(base);
    expect(withMapping({ columns: { ' NOME ': { field: 'name', transforms: [] } }, constants: {}, locale: {} })).toBe(base);
    expect(withMapping({})).toBe(withMapping(undefined));
    expect(withMapping({ columns: {}, locale: {} })).toBe(withMapping(undefined));
  });

  it('is the same for the two names of the encoding the parser reads as Windows-1252', () => {
    expect(withMapping({ columns: { Nome: 'name' }, encoding: 'latin1' })).toBe(withMapping({ columns: { Nome: 'name' }, encoding: 'windows-1252' }));
    expect(withMapping({ encoding: 'latin1' })).not.toBe(withMapping({ encoding: 'utf-8' }));
    expect(withMapping({ encoding: 'latin1' })).not.toBe(withMapping(undefined));
  });

  it('differs for anything that changes how the file is read or loaded', () => {
    const base = uploadFingerprint(BASE);
    const variants: Array<Partial<UploadMeaning>> = [
      { entity: 'contacts' },
      { format: 'ndjson' },
      { mode: 'replace' },
      { options: { onUnknownReference: 'create_stub', maxRejectedShare: 0.1 } },
      { options: { onUnknownReference: 'reject', maxRejectedShare: 0.2 } },
      { contentSha256: 'b'.repeat(64) },
      { mapping: undefined },
      { mapping: { columns: { Nome: null } } },
      { mapping: { columns: { Nome: { field: 'name', transforms: ['trim'] } } } },
      { mapping: { columns: { Nome: 'name' }, encoding: 'utf-8' } },
      { mapping: { columns: { Nome: 'name' }, delimiter: ';' } },
      { mapping: { columns: { Nome: 'name' }, constants: { segment: 'smb' } } },
      { mapping: { columns: { Nome: 'name' }, locale: { dateFormat: 'dd/mm/yyyy' } } },
    ];
    const fingerprints = variants.map((variant) => uploadFingerprint({ ...BASE, ...variant }));
    expect(new Set([base, ...fingerprints]).size).toBe(variants.length + 1);
  });
});
