/**
 * Keyset (cursor) pagination SQL shared by the list routes: ORDER BY the requested keys then a unique
 * tiebreaker, and a "strictly after the cursor row" predicate. NULLs sort last in both directions.
 *
 * A btree scanned backwards yields DESC NULLS FIRST, so "DESC NULLS LAST" on the first key could never
 * use an index. The list is therefore read in two segments: rows whose first key is present (ordered by
 * the bare key: an index scan in either direction), then rows where it is NULL (ordered by the other
 * keys). The cursor's first value says which segment it is in.
 */

export type SortValueType = 'text' | 'numeric' | 'integer' | 'timestamptz' | 'bigint';

export interface SortColumn {
  /** SQL expression of the value (a column of a table alias, never user input). */
  sql: string;
  type: SortValueType;
  nullable: boolean;
  /** The tiebreaker to use when this column leads the order (the id column of its own table, so a
   * (column, id) index serves both ORDER BY and the cursor row comparison). */
  tiebreakerSql?: string;
}

export interface SortKey {
  field: string;
  column: SortColumn;
  descending: boolean;
}

export interface Tiebreaker {
  sql: string;
  type: 'bigint' | 'text';
}

export type Segment = 'present' | 'missing';

export interface CursorPosition {
  /** One value per sort key (text form, as selected by cursorValueSql); null = SQL NULL. */
  values: Array<string | null>;
  id: string;
}

/** Collects positional parameters: values always travel as parameters, never as SQL text. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

/** Text form of a sort value, exact and round-trippable through the cursor. */
export function cursorValueSql(column: SortColumn): string {
  if (column.type === 'timestamptz') return `to_char(${column.sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  return column.type === 'text' ? column.sql : `(${column.sql})::text`;
}

interface SegmentPlan {
  keys: Array<SortKey & { nullableHere: boolean }>;
  tiebreaker: string;
  tiebreakerDescending: boolean;
  condition: string | undefined;
}

function planSegment(keys: SortKey[], tiebreaker: Tiebreaker, segment: Segment): SegmentPlan {
  const [first, ...rest] = keys;
  if (!first) throw new Error('at least one sort key is required');
  const tiebreakerDescending = (keys[keys.length - 1] as SortKey).descending;
  const others = rest.map((key) => ({ ...key, nullableHere: key.column.nullable }));
  if (segment === 'present') {
    return {
      keys: [{ ...first, nullableHere: false }, ...others],
      tiebreaker: first.column.tiebreakerSql ?? tiebreaker.sql,
      tiebreakerDescending,
      condition: first.column.nullable ? `${first.column.sql} IS NOT NULL` : undefined,
    };
  }
  return { keys: others, tiebreaker: tiebreaker.sql, tiebreakerDescending, condition: `${first.column.sql} IS NULL` };
}

function afterCursor(plan: SegmentPlan, values: Array<string | null>, id: string, idType: string, params: SqlParams): string {
  const idOp = plan.tiebreakerDescending ? '<' : '>';
  const uniform = plan.keys.every((key) => !key.nullableHere && key.descending === plan.tiebreakerDescending) && values.every((v) => v !== null);
  if (uniform) {
    // A row comparison is an index condition on a (key..., id) index.
    const left = [...plan.keys.map((key) => key.column.sql), plan.tiebreaker].join(', ');
    const right = [...plan.keys.map((key, i) => params.add(values[i], key.column.type)), params.add(id, idType)].join(', ');
    return `(${left}) ${idOp} (${right})`;
  }
  const after = (i: number): string => {
    const key = plan.keys[i];
    if (!key) return `${plan.tiebreaker} ${idOp} ${params.add(id, idType)}`;
    const value = values[i] ?? null;
    const sql = key.column.sql;
    if (value === null) return `(${sql} IS NULL AND ${after(i + 1)})`;
    const param = params.add(value, key.column.type);
    const nullsAfter = key.nullableHere ? ` OR ${sql} IS NULL` : '';
    return `(${sql} ${key.descending ? '<' : '>'} ${param}${nullsAfter} OR (${sql} = ${param} AND ${after(i + 1)}))`;
  };
  return after(0);
}

export interface KeysetSegmentSql {
  /** Conditions to AND into the WHERE clause (segment membership and "after the cursor"). */
  conditions: string[];
  orderBy: string;
}

/**
 * The WHERE conditions and ORDER BY of one segment. `cursor` is the last row of the previous page if
 * it was in this segment (a cursor in the present segment means the missing segment starts unfiltered).
 */
export function keysetSegmentSql(keys: SortKey[], tiebreaker: Tiebreaker, segment: Segment, cursor: CursorPosition | undefined, params: SqlParams): KeysetSegmentSql {
  const plan = planSegment(keys, tiebreaker, segment);
  const conditions = plan.condition ? [plan.condition] : [];
  if (cursor) {
    const values = segment === 'present' ? cursor.values : cursor.values.slice(1);
    conditions.push(afterCursor(plan, values, cursor.id, tiebreaker.type, params));
  }
  const orderBy = [
    ...plan.keys.map((key) => `${key.column.sql} ${key.descending ? 'DESC' : 'ASC'}${key.nullableHere ? ' NULLS LAST' : ''}`),
    `${plan.tiebreaker} ${plan.tiebreakerDescending ? 'DESC' : 'ASC'}`,
  ].join(', ');
  return { conditions, orderBy };
}

/** Which segments a page starting after `cursor` still has to read, in order. */
export function segmentsAfter(keys: SortKey[], cursor: CursorPosition | undefined): Segment[] {
  const firstNullable = keys[0]?.column.nullable ?? false;
  if (!cursor) return firstNullable ? ['present', 'missing'] : ['present'];
  if (cursor.values[0] === null) return ['missing'];
  return firstNullable ? ['present', 'missing'] : ['present'];
}

/** The segment a cursor row belongs to. */
export function segmentOf(cursor: CursorPosition): Segment {
  return cursor.values[0] === null ? 'missing' : 'present';
}
