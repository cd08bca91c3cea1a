import { importMappingSchemaFor, type CanonicalEntity, type ImportMapping } from '@pulse/contracts';
import { fieldErrorsForNulCharacters, ValidationError } from '@pulse/errors';

/**
 * The mapping of an upload, sent as JSON in the `mapping` query parameter or the `Import-Mapping`
 * header (a body is the file itself). Validated for the entity before a byte of the file is stored, so a
 * typo in a field name is a 400 naming it (`query.mapping.columns.Cliente.field`), not a failed import.
 */
export function parseImportMapping(entity: CanonicalEntity, fromQuery: string | undefined, fromHeader: string | undefined): ImportMapping | undefined {
  if (fromQuery !== undefined && fromHeader !== undefined) {
    throw new ValidationError([{ field: 'query.mapping', code: 'conflicting_mapping', message: 'Send the mapping in the query or in the Import-Mapping header, not both.' }]);
  }
  const raw = fromQuery ?? fromHeader;
  if (raw === undefined) return undefined;
  const field = fromQuery !== undefined ? 'query.mapping' : 'header.import-mapping';
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ValidationError([{ field, code: 'invalid_json', message: `The mapping is not JSON: ${(error as Error).message}` }]);
  }
  // JSON's \u0000 escape decodes to a NUL that the stored mapping (jsonb) cannot hold.
  const nulErrors = fieldErrorsForNulCharacters(json, field);
  if (nulErrors.length > 0) throw new ValidationError(nulErrors);
  const parsed = importMappingSchemaFor(entity).safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({ field: [field, ...issue.path.map(String)].join('.'), code: issue.code, message: issue.message })),
    );
  }
  return parsed.data;
}
