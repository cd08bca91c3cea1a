import type { DiscoveredColumn, NormalisedType, SourceRecord } from '../connector';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function typeOf(value: unknown): NormalisedType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'object') return 'json';
  if (ISO_DATE.test(String(value))) return 'date';
  if (ISO_INSTANT.test(String(value))) return 'timestamptz';
  return 'text';
}

/**
 * Column types of schemaless records (JSON APIs): the one type every non-null sample agrees on; integer
 * and float samples widen to float, and any other disagreement falls back to text.
 */
export function inferColumns(records: readonly SourceRecord[]): DiscoveredColumn[] {
  const seen = new Map<string, { type: NormalisedType | null; nullable: boolean }>();
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      const type = typeOf(value);
      const known = seen.get(name) ?? { type: null, nullable: false };
      if (type === null) known.nullable = true;
      else if (known.type === null) known.type = type;
      else if (known.type !== type) known.type = [known.type, type].every((t) => t === 'integer' || t === 'float') ? 'float' : 'text';
      seen.set(name, known);
    }
  }
  return [...seen].map(([name, { type, nullable }]) => ({
    name,
    type: type ?? 'unknown',
    sourceType: 'json',
    nullable: nullable || records.some((record) => !(name in record)),
  }));
}
