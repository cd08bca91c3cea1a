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

export class SchemaDriftError extends ConnectorError {
  constructor(readonly changes: readonly ColumnChange[]) {
    super(
      'schema_drift',
      `The source schema changed under mapped columns: ${changes.map((change) => `${change.column}: ${change.before} -> ${change.after}`).join(', ')}. ` +
        'Update the source mapping (or restore the columns) and sync again; nothing was loaded.',
    );
  }
}

export function assertNoBreakingDrift(drift: SchemaDrift): void {
  if (drift.breaking.length > 0) throw new SchemaDriftError(drift.breaking);
}
