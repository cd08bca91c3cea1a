import { z } from 'zod';
import type { CanonicalEntity } from '../entities/canonical-entity.schema';
import { CANONICAL_ENTITY_SPECS } from '../entities/canonical-fields';
import { CUSTOM_FIELD_NAME_MAX_LENGTH, isCustomFieldName } from './custom-field-name';

/**
 * How a tenant's file maps onto an entity's canonical fields (issue 6): sent with an upload, carried in
 * ingestion.requested.v1 and applied by @pulse/parsing. Every part is optional: without a mapping, columns
 * whose normalised header equals a canonical field map to it and every other column lands in `custom`.
 *
 * Source column names are compared after the parser's header normalisation (trim, lowercase, accents
 * removed, other scripts spelt in ASCII, spaces and punctuation -> `_`), so `"Customer ID"`, `"customer id"` and `"customer_id"` are the
 * same column.
 */

/** Order of day, month and year in a date; `/`, `-` and `.` are all accepted as separators. */
export const IMPORT_DATE_FORMATS = ['yyyy-mm-dd', 'dd/mm/yyyy', 'mm/dd/yyyy', 'epoch_seconds', 'epoch_millis'] as const;
export const importDateFormatSchema = z.enum(IMPORT_DATE_FORMATS);
export type ImportDateFormat = z.infer<typeof importDateFormatSchema>;

export const importDecimalSeparatorSchema = z.enum(['.', ',']);

/** Text transforms applied, in order, before the value is parsed as its field's type. */
export const importTransformSchema = z.enum(['trim', 'lowercase', 'uppercase']);

export const importColumnMappingSchema = z.strictObject({
  /** A canonical field of the entity, or `custom.<key>` to keep the column in `custom` under another key. */
  field: z.string().min(1),
  transforms: z.array(importTransformSchema).max(5).optional(),
  /** Overrides the import's locale for this column. */
  dateFormat: importDateFormatSchema.optional(),
  decimalSeparator: importDecimalSeparatorSchema.optional(),
  /** For `list` fields (customer aliases): the separator used in the source; values are re-joined with `|`. */
  split: z.string().min(1).max(5).optional(),
});

export const importMappingSchema = z.strictObject({
  /** Source column -> canonical field name, a column mapping, or `null` to leave the column out on purpose. */
  columns: z.record(z.string().min(1), z.union([z.string().min(1), importColumnMappingSchema, z.null()])).optional(),
  /**
   * Canonical field -> a value for the rows the file gives none (e.g. `{ "currency": "BRL" }`): in CSV,
   * every row when no column feeds the field (a column feeds it in every row: an upload's mapping may not
   * have a constant for a field a column is mapped to); in NDJSON, the records that leave its key out.
   */
  constants: z.record(z.string().min(1), z.string()).optional(),
  /** How numbers and dates are written in the whole file; detected when absent (see libs/parsing/README.md). */
  locale: z
    .strictObject({
      decimalSeparator: importDecimalSeparatorSchema.optional(),
      dateFormat: importDateFormatSchema.optional(),
    })
    .optional(),
  /** CSV only: detected from the first bytes when absent. */
  delimiter: z.enum([',', ';', '\t', '|']).optional(),
  /** Detected when absent: UTF-8 (BOM stripped) unless the bytes are not valid UTF-8, then Windows-1252. */
  encoding: z.enum(['utf-8', 'windows-1252', 'latin1']).optional(),
});

export type ImportMapping = z.infer<typeof importMappingSchema>;
export type ImportColumnMapping = z.infer<typeof importColumnMappingSchema>;

const CUSTOM_PREFIX = 'custom.';

/**
 * The mapping schema for one entity: the shape above, plus every target and constant must name one of
 * the entity's canonical fields (or `custom.<key>`), and no field may be fed by two columns. The API
 * validates uploads with it, the parser re-validates what it receives.
 */
export function importMappingSchemaFor(entity: CanonicalEntity) {
  const fields = new Set(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name));
  const known = `known fields of ${entity}: ${[...fields].join(', ')}`;
  return importMappingSchema.superRefine((mapping, ctx) => {
    const targetedBy = new Map<string, string>();
    for (const [source, target] of Object.entries(mapping.columns ?? {})) {
      if (target === null) continue;
      const field = typeof target === 'string' ? target : target.field;
      const path = typeof target === 'string' ? ['columns', source] : ['columns', source, 'field'];
      if (field.startsWith(CUSTOM_PREFIX)) {
        if (!isCustomFieldName(field.slice(CUSTOM_PREFIX.length))) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `"${field}" needs a key of letters, digits and _ after "custom." (not starting with _, at most ${CUSTOM_FIELD_NAME_MAX_LENGTH} characters)`,
          });
        }
        continue;
      }
      if (!fields.has(field)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown canonical field "${field}" (${known})` });
        continue;
      }
      const earlier = targetedBy.get(field);
      if (earlier !== undefined) {
        ctx.addIssue({ code: 'custom', path, message: `field "${field}" is already mapped from column "${earlier}"` });
      }
      targetedBy.set(field, source);
    }
    for (const field of Object.keys(mapping.constants ?? {})) {
      if (!fields.has(field)) {
        ctx.addIssue({ code: 'custom', path: ['constants', field], message: `unknown canonical field "${field}" (${known})` });
      }
    }
  });
}
