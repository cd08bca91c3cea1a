import type { DiscoveredColumn, NormalisedType } from './connector';
import { ConnectorError } from './connector-errors';

export interface ExpectedColumn {
  name: string;
  type: NormalisedType;
}

export interface ColumnChange {
  column: string;
  before: NormalisedType | 'absent';
  after: NormalisedType | 'absent';
}

export interface SchemaDrift {
  /** New source columns: not breaking, they land in `custom` like any unmapped column. */
  added: DiscoveredColumn[];
  /** Mapped columns that disappeared or changed type: the sync must fail rather than load NULLs or garbage. */
  breaking: ColumnChange[];
  /** Unmapped columns that disappeared or changed type: reported, not fatal (they only fed `custom`). */
  unmappedChanges: ColumnChange[];
}

/**
 * Compares the columns a source has now with the ones recorded when it was set up (or last synced).
 * Only columns the mapping reads can break a sync; the rest flow into `custom` whatever they hold.
 */
export function compareSchemas(expected: readonly ExpectedColumn[], actual: readonly DiscoveredColumn[], mappedColumns: readonly string[]): SchemaDrift {
  const actualByName = new Map(actual.map((column) => [column.name, column]));
  const expectedNames = new Set(expected.map((column) => column.name));
  const mapped = new Set(mappedColumns);
  const drift: SchemaDrift = { added: actual.filter((column) => !expectedNames.has(column.name)), breaking: [], unmappedChanges: [] };
  for (const column of expected) {
    const now = actualByName.get(column.name);
    const after = now ? now.type : 'absent';
    if (after === column.type) continue;
    (mapped.has(column.name) ? drift.breaking : drift.unmappedChanges).push({ column: column.name, before: column.type, after });
  }
  return drift;
}

/**
 * Says what clears it: a column mapped to null is no longer read (so it cannot drift), and a PATCH of the
 * mapping re-records the columns at the next sync without dropping the sync position (docs/connectors.md,
 * "Schema drift"); PATCH replaces the whole mapping, hence "add".
 */
export class SchemaDriftError extends ConnectorError {
  constructor(readonly changes: readonly ColumnChange[]) {
    const asNull = changes.map((change) => `${JSON.stringify(change.column)}: null`).join(', ');
    super(
      'schema_drift',
      `The source schema changed under mapped columns: ${changes.map((change) => `${change.column}: ${change.before} -> ${change.after}`).join(', ')}; nothing was loaded. ` +
        `To go on without a column, add it to the source's mapping as null (mapping.columns: { ${asNull} }) and PATCH the source with that mapping. ` +
        'To keep loading a column whose type changed, PATCH the source with its mapping (the same one if it still fits). ' +
        "A PATCH of the mapping makes the next sync record the source's columns as they are then, and keeps the sync position. " +
        'Or restore the columns in the source. Then sync again.',
    );
  }
}

export function assertNoBreakingDrift(drift: SchemaDrift): void {
  if (drift.breaking.length > 0) throw new SchemaDriftError(drift.breaking);
}
