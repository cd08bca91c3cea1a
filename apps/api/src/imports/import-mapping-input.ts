import {
  CANONICAL_ENTITY_SPECS,
  importMappingSchemaFor,
  narrowUnionIssues,
  type CanonicalEntity,
  type CanonicalFieldType,
  type FieldError,
  type ImportColumnMapping,
  type ImportFormat,
  type ImportMapping,
} from '@pulse/contracts';
import { fieldErrorsForNulCharacters, fieldErrorsFromZod, ValidationError } from '@pulse/errors';
import { normalizeHeader } from '@pulse/parsing';
import { z } from 'zod';

/**
 * The field types each column option applies to, as the parser applies them (libs/parsing
 * value-converters): `split` cuts a list, `dateFormat` reads dates and instants, `decimalSeparator`
 * decimals (integers take digits only); `transforms` run before any canonical field's parsing. A
 * `custom.<key>` target takes none: the parser infers a custom column's type and applies no option.
 */
const OPTION_TYPES: Readonly<Record<Exclude<keyof ImportColumnMapping, 'field'>, readonly CanonicalFieldType[]>> = {
  split: ['list'],
  dateFormat: ['date', 'timestamp'],
  decimalSeparator: ['decimal'],
  transforms: ['text', 'decimal', 'integer', 'date', 'timestamp', 'json', 'list'],
};
const OPTIONS = Object.keys(OPTION_TYPES) as Array<keyof typeof OPTION_TYPES>;

/**
 * What the schema cannot see but the loader would refuse, or silently not apply, whatever the file:
 * two entries for one source column (`Region` and `region`: the parser compares header names
 * normalised, and fails the import), two columns into one custom key, a column option its target
 * field has no use for (`split` on `name`), and in a CSV file a constant for a field a column is mapped
 * to: the parser requires every mapped column in the header, and a column feeds its field in every row
 * (an empty cell is an empty value), so such a constant would never be applied. In NDJSON it is: a
 * record may leave the key out, and the constant fills the field of those records.
 */
function mappingConsistencyErrors(entity: CanonicalEntity, format: ImportFormat, mapping: ImportMapping, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const types = new Map(CANONICAL_ENTITY_SPECS[entity].fields.map((canonical) => [canonical.name, canonical.type]));
  const sources = new Map<string, string>();
  const customTargets = new Map<string, string>();
  const fedBy = new Map<string, string>();
  for (const [source, target] of Object.entries(mapping.columns ?? {})) {
    const at = `${field}.columns.${source}`;
    const name = normalizeHeader(source);
    if (name === '') {
      errors.push({ field: at, code: 'unnamed_column', message: 'has no letters or digits to tell a column by: a CSV column without any is named column_<position> (map that name)' });
      continue;
    }
    const earlier = sources.get(name);
    if (earlier !== undefined) {
      errors.push({ field: at, code: 'duplicate_column', message: `names the same column as "${earlier}": column names are compared normalised (both are "${name}")` });
      continue;
    }
    sources.set(name, source);
    if (target === null) continue;
    const column: ImportColumnMapping = typeof target === 'string' ? { field: target } : target;
    if (column.field.startsWith('custom.')) {
      const earlierColumn = customTargets.get(column.field);
      if (earlierColumn !== undefined) {
        errors.push({ field: typeof target === 'string' ? at : `${at}.field`, code: 'duplicate_target', message: `${column.field} is already fed by column "${earlierColumn}"` });
      }
      customTargets.set(column.field, source);
    } else if (!fedBy.has(column.field)) {
      fedBy.set(column.field, source);
    }
    const type = types.get(column.field);
    for (const option of OPTIONS) {
      if (column[option] === undefined || (type !== undefined && OPTION_TYPES[option].includes(type))) continue;
      const message =
        type === undefined
          ? `a custom field keeps the type inferred from its values: ${option} is not applied to it`
          : `${option} applies to ${OPTION_TYPES[option].join(' and ')} fields; ${column.field} is ${type}`;
      errors.push({ field: `${at}.${option}`, code: 'inapplicable_option', message });
    }
  }
  if (format === 'csv') {
    for (const constant of Object.keys(mapping.constants ?? {})) {
      const column = fedBy.get(constant);
      if (column === undefined) continue;
      errors.push({
        field: `${field}.constants.${constant}`,
        code: 'duplicate_target',
        message: `${constant} is fed by column "${column}", which every row of a CSV file has: the constant would never be applied (leave it out, or map the column to null)`,
      });
    }
  }
  return errors;
}

/**
 * The mapping of an upload, sent as JSON in the `mapping` query parameter or the `Import-Mapping`
 * header (a body is the file itself). Validated for the entity before a byte of the file is stored, so a
 * typo in a field name is a 400 naming it (`query.mapping.columns.Cliente.field`), not a failed import.
 */
export function parseImportMapping(entity: CanonicalEntity, format: ImportFormat, fromQuery: string | undefined, fromHeader: string | undefined): ImportMapping | undefined {
  if (fromQuery !== undefined && fromHeader !== undefined) {
    throw new ValidationError([{ field: 'query.mapping', code: 'conflicting_mapping', message: 'Send the mapping in the query or in the Import-Mapping header, not both.' }]);
  }
  const raw = fromQuery ?? fromHeader;
  if (raw === undefined) return undefined;
  const [location, name] = fromQuery !== undefined ? (['query', 'mapping'] as const) : (['header', 'import-mapping'] as const);
  const field = `${location}.${name}` as const;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ValidationError([{ field, code: 'invalid_json', message: `The mapping is not JSON: ${(error as Error).message}` }]);
  }
  // JSON's \u0000 escape decodes to a NUL that the stored mapping (jsonb) cannot hold.
  const nulErrors = fieldErrorsForNulCharacters(json, field);
  if (nulErrors.length > 0) throw new ValidationError(nulErrors);
  return checkImportMapping(entity, format, json, location, name);
}

/**
 * A mapping checked as the loader will check it for the entity and the file format (uploads, and a
 * source's mapping, which its every sync applies): a 400 naming each bad entry (`<location>.<name>.columns.x`).
 */
export function checkImportMapping(entity: CanonicalEntity, format: ImportFormat, json: unknown, location: 'query' | 'header' | 'body', name: string): ImportMapping {
  const parsed = importMappingSchemaFor(entity).safeParse(json);
  if (!parsed.success) {
    // A column given as an object is told what is wrong in it (`columns.a.dateFormat`, with the values it
    // takes), not "Invalid input" for the whole column; unknown keys are named one by one, as in any body.
    const issues = narrowUnionIssues(parsed.error.issues).map((issue) => ({ ...issue, path: [name, ...issue.path] }));
    throw new ValidationError(fieldErrorsFromZod(new z.ZodError(issues), location));
  }
  const errors = mappingConsistencyErrors(entity, format, parsed.data, `${location}.${name}`);
  if (errors.length > 0) throw new ValidationError(errors);
  return parsed.data;
}
