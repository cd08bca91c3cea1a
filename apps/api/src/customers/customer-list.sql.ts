import { CUSTOMER_COLUMNS } from './customer-row';
import { shortestDecimalOf } from './custom-field-number';
import { CUSTOMER_KPI_FIELDS, RANGE_OPERATORS } from './customer-list-fields';
import { isLocalDayRange, type CustomerListSpec, type CustomFieldFilter, type RangeFilter } from './customer-list.query';
import { cursorValueSql, keysetSegmentSql, segmentOf, SqlParams, type Segment } from './keyset-pagination';
import { limitClause, type ListStatement } from './list-statement';

/**
 * The JSON values `custom.<name>=<value>` matches, each a JSONB document for containment: the value as a
 * JSON string always; when it is a number (custom-field-number), every JSON number equal to it (JSONB
 * compares numbers numerically, `50` = `50.00`, and the GIN index hashes them alike) and the string of its
 * shortest form (`5e1` and `50.0` also match "50"); `true`/`false` also as that JSON boolean (what the
 * parser stores for a column of true/false or sim/não). Numeric strings written otherwise ("50.00",
 * "050") are not found: no index holds them by value, and a scan of every row would cost the filter its
 * index (ranges, which scan anyway, compare every numeric string).
 */
function equalityCandidates(name: string, value: string): string[] {
  const candidates = [JSON.stringify({ [name]: value })];
  const decimal = shortestDecimalOf(value);
  if (decimal !== undefined) {
    // Digits checked by shortestDecimalOf, written as they are: a JavaScript number could drop some.
    candidates.push(`{${JSON.stringify(name)}:${decimal}}`);
    if (decimal !== value) candidates.push(JSON.stringify({ [name]: decimal }));
  }
  if (value === 'true' || value === 'false') candidates.push(JSON.stringify({ [name]: value === 'true' }));
  return candidates;
}

/**
 * A custom-field predicate. The key and the value are always parameters: equality is JSONB containment
 * of any candidate value, one array parameter (`@> ANY`: one bitmap scan of the jsonb_path_ops GIN index
 * per candidate; written as ORs of containments, PostgreSQL 18 estimated three candidates as unselective
 * and walked the name index or read the table, with exact statistics);
 * ranges compare numerically only where the stored value is a number (or a numeric string). CASE, unlike
 * AND, guarantees the cast runs only on numeric values.
 */
function customPredicate(filter: CustomFieldFilter, params: SqlParams): string {
  if (filter.op === 'eq') {
    const candidates = equalityCandidates(filter.name, filter.value);
    if (candidates.length === 1) return `c.custom @> ${params.add(candidates[0], 'jsonb')}`;
    return `c.custom @> ANY(${params.add(candidates, 'jsonb[]')})`;
  }
  const key = params.add(filter.name, 'text');
  const value = params.add(filter.value, 'numeric');
  return `CASE WHEN jsonb_typeof(c.custom -> ${key}) = 'number' THEN (c.custom ->> ${key})::numeric ${RANGE_OPERATORS[filter.op]} ${value}
    WHEN jsonb_typeof(c.custom -> ${key}) = 'string' AND (c.custom ->> ${key}) ~ '^-?[0-9]{1,30}(\\.[0-9]{1,30})?$'
      THEN (c.custom ->> ${key})::numeric ${RANGE_OPERATORS[filter.op]} ${value}
    ELSE false END`;
}

/**
 * The value a range compares with. A date alone on an instant field (`lastOrderAt[gte]=2026-06-18`) is
 * the start of that day in the tenant's timezone, where every KPI cuts days (docs/metrics.md, "Common
 * rules"): local midnight, or the first instant of the day where a DST change skips midnight (PostgreSQL
 * places a time in a gap with the offset before the change). Where clocks fall back across midnight
 * (Atlantic/Azores on 2024-10-27), midnight comes twice and PostgreSQL takes the second; the day starts at
 * the first, an hour after 23:00 the day before. Cast to timestamptz as it is, the date would be midnight
 * in the session's TimeZone (the server's, UTC). Day and zone are both parameters.
 */
function rangeValueSql(range: RangeFilter, timezone: string, params: SqlParams): string {
  if (isLocalDayRange(range)) {
    const midnight = `${params.add(range.value, 'date')}::timestamp`;
    const zone = params.add(timezone, 'text');
    return `least(${midnight} AT TIME ZONE ${zone}, (${midnight} - interval '1 hour') AT TIME ZONE ${zone} + interval '1 hour')`;
  }
  return params.add(range.value, CUSTOMER_KPI_FIELDS[range.field].type);
}

function filterConditions(spec: CustomerListSpec, params: SqlParams): string[] {
  const conditions: string[] = [];
  if (spec.healthBands?.length === 1) conditions.push(`k.health_band = ${params.add(spec.healthBands[0], 'health_band')}`);
  else if (spec.healthBands) conditions.push(`k.health_band = ANY(${params.add(spec.healthBands, 'health_band[]')})`);
  if (spec.segment !== undefined) conditions.push(`c.segment = ${params.add(spec.segment, 'text')}`);
  for (const range of spec.ranges) {
    conditions.push(`${CUSTOMER_KPI_FIELDS[range.field].sql} ${RANGE_OPERATORS[range.op]} ${rangeValueSql(range, spec.timezone, params)}`);
  }
  for (const filter of spec.custom) conditions.push(customPredicate(filter, params));
  return conditions;
}

/**
 * The SQL of one segment of a page (see keyset-pagination): `limit` rows at most, each with its sort
 * values as cursor_0..n. Exposed so tests can EXPLAIN exactly what the route runs.
 */
export function buildCustomerListSql(spec: CustomerListSpec, segment: Segment, limit: number): ListStatement {
  const params = new SqlParams();
  const cursor = spec.cursor && segmentOf(spec.cursor) === segment ? spec.cursor : undefined;
  const keyset = keysetSegmentSql(spec.sort, { sql: 'c.id', type: 'bigint' }, segment, cursor, params);
  const conditions = [...filterConditions(spec, params), ...keyset.conditions];
  const cursorColumns = spec.sort.map((key, i) => `${cursorValueSql(key.column)} AS cursor_${i}`).join(', ');
  const text = `SELECT ${CUSTOMER_COLUMNS}, ${cursorColumns}
  FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
  ${conditions.length > 0 ? `WHERE ${conditions.join('\n    AND ')}` : ''}
  ORDER BY ${keyset.orderBy}
  ${limitClause(limit)}`;
  // Band equality, sort and cursor: the same plan whatever the values (see ListStatement).
  const reusablePlan = spec.segment === undefined && spec.ranges.length === 0 && spec.custom.length === 0;
  return { text, values: params.values, reusablePlan };
}
