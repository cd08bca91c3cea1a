/**
 * The longest name of a custom field (`custom.<name>`). One limit for every place that names one:
 * ingestion (a column whose name would be longer is refused, not cut), import mappings, the API's
 * `custom.<name>` filters and scorecard measures, so that whatever loads can be filtered and scored.
 */
export const CUSTOM_FIELD_NAME_MAX_LENGTH = 255;

/**
 * A custom field name as a regular expression source, for embedding: what header normalisation makes of
 * a source column (a-z, 0-9 and `_`) or a mapping writes; never starting with `_`, so never `__proto__`.
 */
export const CUSTOM_FIELD_NAME_PATTERN = `[A-Za-z0-9][A-Za-z0-9_]{0,${CUSTOM_FIELD_NAME_MAX_LENGTH - 1}}`;

const CUSTOM_FIELD_NAME = new RegExp(`^${CUSTOM_FIELD_NAME_PATTERN}$`);

export function isCustomFieldName(name: string): boolean {
  return CUSTOM_FIELD_NAME.test(name);
}
