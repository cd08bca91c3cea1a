import type { CanonicalEntity, ImportMode, UnknownReferencePolicy } from '@pulse/contracts';
import { withIndexesRebuilt, type TenantDatabaseClient } from '@pulse/tenancy';
import { escapeIdentifier } from 'pg';
import { stagingFields, stagingTableName } from '../staging/staging-table';
import { withForeignKeysAddedBack } from './bulk-load-foreign-keys';
import { ENTITY_LOAD_PLANS, loadedExpression, type EntityLoadPlan } from './entity-load-plan';

export interface ApplyInput {
  importId: string;
  entity: CanonicalEntity;
  mode: ImportMode;
  onUnknownReference: UnknownReferencePolicy;
  maxRejectedShare: number;
  rowsReceived: number;
  /** Rows the parser rejected (already in import_errors). */
  parseRejected: number;
  /** The source that wrote the rows (source syncs); NULL for uploads. */
  sourceId: string | null;
  /**
   * Delete detection of a source's full read: after the load, the rows of `sourceId` that the file does
   * not have are deleted (with what cascades from them), as a replace does for the whole table.
   */
  deleteUnseenOfSource?: boolean;
  /**
   * Delete detection: the largest share of the source's rows one import may delete (0..1). More fails the
   * import with `delete_share_exceeded`, nothing applied. A read with no loadable row that would delete
   * any fails with `empty_full_read` whatever the share (as `empty_replace` does for uploads).
   */
  maxDeleteShare?: number;
  /** Canonical fields the file has; existing rows keep their values of the others. */
  fieldsPresent: readonly string[];
  /** Fields some (NDJSON) records leave out: those records' rows keep their stored values of them. */
  fieldsAbsentFromSomeRecords: readonly string[];
  /** The file's name for a field (its CSV header as written), for the `column` of a reject; else the field's own. */
  fieldColumns: Readonly<Record<string, string>>;
  /**
   * From this many loadable rows on, a load into an empty table inserts without its secondary indexes
   * and foreign keys and rebuilds them afterwards: one sorted build per index and one validating join
   * per foreign key instead of maintaining each of them row by row (a tenant's first load; measured in
   * docs/benchmarks.md). Below it the difference is too small to be worth locking the table.
   */
  bulkLoadMinRows: number;
}

export type ApplyDecision = 'applied' | 'rejected_share_exceeded' | 'empty_replace' | 'empty_full_read' | 'delete_share_exceeded';

export interface ApplyResult {
  decision: ApplyDecision;
  /** Milliseconds per step, for the log of the import. */
  timings: Record<string, number>;
  rowsLoaded: number;
  /** Parse rejects plus the rows rejected here (duplicate keys, unknown references, out of range). */
  rowsRejected: number;
  /** Parents created as stubs (create_stub), by entity; their keys are in import_stubs. */
  stubsCreated: Partial<Record<'customers' | 'products', number>>;
  /** The rows went into an empty table: the table holds exactly the loaded rows. */
  loadedIntoEmptyTable: boolean;
  /** Rows of the entity a replace or a source's delete detection deleted. */
  rowsDeleted: number;
  /** Those deletes took rows of these entities too (their parents were deleted: ON DELETE CASCADE). */
  cascadedTo: CanonicalEntity[];
  /** Delete detection refused: the source's rows and how many of them the read did not have. */
  unseenOfSource?: { rows: number; unseen: number; maxShare: number };
}

/** Entities whose rows go when a row of the key entity is deleted (the tenant schema's ON DELETE CASCADE). */
const CASCADES: Partial<Record<CanonicalEntity, ReadonlyArray<{ entity: CanonicalEntity; rowsOfDeleted: string }>>> = {
  customers: [
    ...(['contacts', 'orders', 'subscriptions', 'usage_events', 'nps_responses', 'support_tickets'] as const).map((entity) => ({
      entity,
      rowsOfDeleted: `SELECT 1 FROM ${entity} x JOIN import_replaced d ON d.id = x.customer_id`,
    })),
    { entity: 'order_items', rowsOfDeleted: 'SELECT 1 FROM order_items x JOIN orders o ON o.id = x.order_id JOIN import_replaced d ON d.id = o.customer_id' },
  ],
  orders: [{ entity: 'order_items', rowsOfDeleted: 'SELECT 1 FROM order_items x JOIN import_replaced d ON d.id = x.order_id' }],
};

interface RejectRule {
  when: string;
  reason: string;
  column: string;
  message: string;
}

/**
 * Why a staged row cannot be loaded, in order of precedence (the first that applies is recorded). A rule's
 * `column` is the file's name for the field (`columnOf`).
 */
function rejectRules(
  plan: EntityLoadPlan,
  policy: UnknownReferencePolicy,
  columnOf: (field: string) => string = (field) => field,
  options: { lineNumbersRequired?: boolean } = {},
): RejectRule[] {
  const key = plan.fileKey;
  const keyText = key.length === 1 ? `r.${key[0]}` : `concat_ws(' / ', ${key.map((k) => `r.${k}`).join(', ')})`;
  const rules: RejectRule[] = [];
  if (plan.orderAndProduct && options.lineNumbersRequired) {
    // First: without a number, lines of one order would also rank as duplicates of each other.
    rules.push({
      when: 'r.line_number IS NULL',
      reason: 'missing_required',
      column: columnOf('line_number'),
      message: `'An order line read from a source needs its line number: map a column of the source to line_number (a position within one read says nothing of the lines stored before it).'`,
    });
  }
  rules.push(
    {
      when: `r.key_rank > 1${plan.keyOptional ? ` AND r.${key[0]} IS NOT NULL` : ''}`,
      reason: 'duplicate_key',
      column: columnOf(key[0] as string),
      // `w`: the winning row, joined where the messages are written (recordRejects).
      message: `format('The key %s appears again on line %s; %s', ${keyText}, r.winner_line, CASE WHEN w.reject_reason IS NULL THEN 'the last occurrence is loaded.' ELSE 'that last occurrence is rejected too, so no line with this key is loaded.' END)`,
    },
    {
      // The last staged line of a key, when a later line with that key was rejected by the parser (a bad
      // cell): the file's last word on the key is that line, so the older one must not load in its place.
      when: 'r.superseded_by_line IS NOT NULL',
      reason: 'duplicate_key',
      column: columnOf(key[0] as string),
      message: `format('The key %s appears again on line %s, which was rejected (see its error); no line with this key is loaded.', ${keyText}, r.superseded_by_line)`,
    },
  );
  if (plan.customerReference && policy === 'reject') {
    const field = plan.customerReference.field;
    rules.push({
      when: `r.${field} IS NOT NULL AND r.customer_id IS NULL`,
      reason: 'unknown_reference',
      column: columnOf(field),
      message: `format('No customer has the external id or alias "%s".', r.${field})`,
    });
  }
  if (plan.orderAndProduct) {
    // An order cannot be a stub: it needs a customer and a date the line does not have.
    rules.push({
      when: 'r.order_id IS NULL',
      reason: 'unknown_reference',
      column: columnOf('order_external_id'),
      message: `format('No order has the external id "%s".', r.order_external_id)`,
    });
    rules.push({
      when: 'r.line_number > 2147483647',
      reason: 'out_of_range',
      column: columnOf('line_number'),
      message: `format('The line number %s is too large.', r.line_number)`,
    });
  }
  for (const field of plan.decimalFields) {
    // NUMERIC(18,4) holds 14 integer digits.
    rules.push({
      when: `abs(r.${field}::numeric) >= 1e14`,
      reason: 'out_of_range',
      column: columnOf(field),
      message: `format('The value %s has more than 14 integer digits.', r.${field})`,
    });
  }
  return rules;
}

function caseOf(rules: RejectRule[], pick: (rule: RejectRule) => string): string {
  return `CASE ${rules.map((rule) => `WHEN ${rule.when} THEN ${pick(rule)}`).join(' ')} END`;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Turns the staged rows into the entity's rows, set-based, in the caller's (final) transaction:
 * defaults order line numbers, ranks duplicate keys (last occurrence wins), resolves references in one
 * join per kind, records every row that cannot load in import_errors, and then — unless too many rows
 * were rejected, or a replace would leave the table empty — creates stub parents when asked, upserts,
 * and for a replace deletes what the file does not have. Leaves `import_rows` and `import_stubs` (temp,
 * dropped at commit) for the staged warehouse files.
 */
export async function applyStagedRows(db: TenantDatabaseClient, input: ApplyInput): Promise<ApplyResult> {
  const timings: Record<string, number> = {};
  let last = Date.now();
  const lap = (step: string) => {
    const now = Date.now();
    timings[step] = now - last;
    last = now;
  };
  const plan = ENTITY_LOAD_PLANS[input.entity];
  const staging = escapeIdentifier(stagingTableName(input.importId));
  const reference = plan.customerReference?.field;
  // Window functions and hash joins over millions of rows: let them sort and hash in memory.
  await db.query(`SET LOCAL work_mem = '256MB'`);
  // Index rebuilds after a bulk load into an empty table (see bulkLoadMinRows) sort in memory too.
  await db.query(`SET LOCAL maintenance_work_mem = '512MB'`);
  // Fresh statistics first: the staging table has none, and a table loaded by the previous import may
  // still look empty to the planner, which then picks nested loops (minutes instead of a second over
  // 300k rows, measured). ANALYZE samples a fixed number of rows, so it stays cheap on big tables.
  const referenced = [...(reference ? ['customers', 'customer_aliases'] : []), ...(plan.orderAndProduct ? ['orders', 'products'] : [])];
  await db.query(`ANALYZE ${[staging, ...referenced].join(', ')}`);
  // A line the parser rejected still names the row it was meant for (its readable key fields): a replace
  // keeps that row, and an order line without a number counts in its order's positions.
  await db.query(
    `CREATE TEMP TABLE import_rejected_keys ON COMMIT DROP AS
     SELECT line_number AS line, ${plan.fileKey.map((field) => `key->>${literal(field)} AS ${field}`).join(', ')}
       FROM import_errors WHERE import_id = $1 AND key IS NOT NULL`,
    [input.importId],
  );

  // Customers and orders are joined straight from staging (validateAndLoad): a table of their distinct
  // references first would only add a pass over every staged row (4 s of 8 for 6M order lines, measured).
  // A customer is named by its external id, else by an alias that names exactly one customer.
  if (reference) {
    await db.query(
      `CREATE TEMP TABLE import_unique_aliases ON COMMIT DROP AS
       SELECT source_id, min(customer_id) AS customer_id FROM customer_aliases GROUP BY source_id HAVING count(DISTINCT customer_id) = 1`,
    );
    await db.query('ANALYZE import_unique_aliases');
  }
  if (plan.orderAndProduct) {
    // Products keep a table of distinct SKUs: few, joined to every row in building import_rows.
    await db.query(
      `CREATE TEMP TABLE import_product_refs ON COMMIT DROP AS
       SELECT d.ref, p.id AS product_id FROM (SELECT DISTINCT sku AS ref FROM ${staging}) d LEFT JOIN products p ON p.sku = d.ref`,
    );
    await db.query('ANALYZE import_product_refs');
  }

  lap('resolveReferences');

  // Most files have no duplicate keys, and ranking them (a sort of every staged row by key) costs more
  // than the load itself at millions of rows. So the rows are first loaded as if the keys were unique:
  // if one is not, the load fails on it (the unique index rebuilt after a bulk insert; an upsert, which
  // skips unchanged rows and so may never reach a row twice, checks first), everything since the
  // savepoint is undone, and the load runs again with the duplicates ranked. An import that would not
  // load (too many rejects, empty replace) also runs again ranked, so that its errors list every
  // duplicate too.
  await db.query('SAVEPOINT import_unranked');
  try {
    const result = await validateAndLoad(db, input, { rankDuplicates: false }, lap);
    if (result.decision === 'applied') {
      await db.query('RELEASE SAVEPOINT import_unranked');
      return { ...result, timings };
    }
  } catch (error) {
    if (!isDuplicateKeyError(error) && !(error instanceof RankingNeeded)) throw error;
  }
  await db.query('ROLLBACK TO SAVEPOINT import_unranked');
  lap('unrankedAttemptUndone');
  return { ...(await validateAndLoad(db, input, { rankDuplicates: true }, lap)), timings };
}

/** Rows share a key and the unranked load would not fail on it: only ranking tells which of them is the duplicate. */
class RankingNeeded extends Error {}

/** unique_violation (a unique index rebuilt over duplicates) or cardinality_violation (ON CONFLICT DO UPDATE reaching a row twice). */
function isDuplicateKeyError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === '21000';
}

/**
 * Builds `import_rows` (staged rows with resolved references, their key rank and reject reason),
 * records the rejects, decides, and loads. `rankDuplicates: false` trusts the file's keys to be unique.
 */
async function validateAndLoad(
  db: TenantDatabaseClient,
  input: ApplyInput,
  options: { rankDuplicates: boolean },
  lap: (step: string) => void,
): Promise<Omit<ApplyResult, 'timings'>> {
  const plan = ENTITY_LOAD_PLANS[input.entity];
  const staging = escapeIdentifier(stagingTableName(input.importId));
  const reference = plan.customerReference?.field;
  // Order lines of an upload without a line number get their position within the order in the file: a
  // second sort of every row, so only when some line lacks one. A source's read is not the whole of its
  // orders (an incremental read has the changed lines only, a large read is cut into several imports),
  // so positions there would overwrite other stored lines: its lines must carry their number.
  const lineNumbersRequired = input.sourceId !== null;
  const numberLines = plan.orderAndProduct && !lineNumbersRequired && (await db.query(`SELECT 1 FROM ${staging} WHERE line_number IS NULL LIMIT 1`)).rows.length > 0;
  const countRejectedLines = numberLines && (await numberRejectedOrderLines(db, staging));
  const stagedColumns = stagingFields(input.entity).map((field) => {
    if (!plan.orderAndProduct || field !== 'line_number') return `s.${escapeIdentifier(field)}`;
    if (countRejectedLines) return 'COALESCE(s.line_number::bigint, p.position) AS line_number';
    return numberLines ? `COALESCE(s.line_number::bigint, row_number() OVER (PARTITION BY s.order_external_id ORDER BY s.line)) AS line_number` : 's.line_number::bigint AS line_number';
  });
  const stagedFrom = countRejectedLines ? `${staging} s LEFT JOIN import_line_positions p ON p.line = s.line` : `${staging} s`;
  const joins = [
    reference ? `LEFT JOIN customers c ON c.external_id = st.${reference} LEFT JOIN import_unique_aliases ua ON ua.source_id = st.${reference}` : '',
    plan.orderAndProduct ? 'LEFT JOIN orders o ON o.external_id = st.order_external_id LEFT JOIN import_product_refs prf ON prf.ref = st.sku' : '',
  ].join(' ');
  const refColumns = [reference ? 'COALESCE(c.id, ua.customer_id) AS customer_id' : '', plan.orderAndProduct ? 'o.id AS order_id, prf.product_id' : ''].filter(Boolean).join(', ');
  // Ranked: the last line of each key the parser rejected (one hash join), which supersedes the staged
  // lines of that key before it.
  const fileKey = plan.fileKey.join(', ');
  const ranking = options.rankDuplicates
    ? `row_number() OVER w AS key_rank, first_value(st.line) OVER w AS winner_line, CASE WHEN k.last_line > st.line THEN k.last_line END AS superseded_by_line
         FROM staged st ${joins}
         LEFT JOIN (SELECT ${fileKey}, max(line) AS last_line FROM import_rejected_keys GROUP BY ${fileKey}) k ON ${rejectedKeyMatch(plan, 'st')}
       WINDOW w AS (PARTITION BY ${plan.fileKey.map((k) => `st.${k}`).join(', ')} ORDER BY st.line DESC)`
    : `1::bigint AS key_rank, st.line AS winner_line, NULL::bigint AS superseded_by_line FROM staged st ${joins}`;
  const rules = rejectRules(plan, input.onUnknownReference, (field) => input.fieldColumns[field] ?? field, { lineNumbersRequired });
  await db.query(
    `CREATE TEMP TABLE import_rows ON COMMIT DROP AS
     WITH staged AS (SELECT s.line, ${stagedColumns.join(', ')}, s.custom, s.absent FROM ${stagedFrom}),
     ranked AS (SELECT st.*${refColumns ? `, ${refColumns}` : ''}, ${ranking})
     SELECT r.*, ${caseOf(rules, (rule) => literal(rule.reason))} AS reject_reason FROM ranked r`,
  );
  // Without statistics the planner takes this table of millions of rows for a small one and joins it
  // by nested loops (the staged warehouse file: 22 s instead of 2 over 3M orders, measured).
  await db.query('ANALYZE import_rows');
  const aliasesChecked = input.entity === 'customers' && input.fieldsPresent.includes('aliases');
  if (aliasesChecked) await rejectAliasConflicts(db);
  lap(options.rankDuplicates ? 'rankAndValidate' : 'validate');

  const counts = await db.query<{ loadable: string; rejected: string }>(
    `SELECT count(*) FILTER (WHERE reject_reason IS NULL) AS loadable, count(*) FILTER (WHERE reject_reason IS NOT NULL) AS rejected FROM import_rows`,
  );
  const loadable = Number(counts.rows[0]?.loadable ?? 0);
  const rejectedHere = Number(counts.rows[0]?.rejected ?? 0);
  // The column and message of a reject are worked out here, for the rejected rows only, by the same
  // rules in the same order: as columns of import_rows, their CASEs ran over every staged row (2 s of
  // 7.6 over 6M order lines, measured). The raw row comes from staging: the row as staged, as JSON (the
  // fields the record has, normalised, and `custom`). The line's own text is not kept past parsing:
  // staging it with every row would double what staging writes, for the few rows rejected here. The
  // join is skipped when nothing was rejected, as it would read all of staging for nothing.
  if (rejectedHere > 0) {
    const notInFile = stagingFields(input.entity).filter((field) => !input.fieldsPresent.includes(field));
    const recorded = aliasesChecked ? [aliasConflictRule(input.fieldColumns['aliases'] ?? 'aliases'), ...rules] : rules;
    await db.query(
      `INSERT INTO import_errors (import_id, line_number, "column", reason_code, message, raw_row)
       SELECT $1, r.line, ${caseOf(recorded, (rule) => literal(rule.column))}, r.reject_reason, ${caseOf(recorded, (rule) => rule.message)},
              (to_jsonb(s) - 'line' - 'absent' - $2::text[] - COALESCE(s.absent, '{}'))::text
         FROM import_rows r JOIN ${staging} s ON s.line = r.line LEFT JOIN import_rows w ON w.line = r.winner_line AND w.line <> r.line
              ${aliasesChecked ? 'LEFT JOIN import_alias_conflicts ac ON ac.line = r.line' : ''}
        WHERE r.reject_reason IS NOT NULL`,
      [input.importId, notInFile],
    );
  }
  if (!options.rankDuplicates && rejectedHere > 0 && (await rejectedRowSharesKey(db, plan))) throw new RankingNeeded();
  if (!options.rankDuplicates && (await laterLineRejectedByParser(db, plan))) throw new RankingNeeded();
  lap('recordRejects');
  const rowsRejected = input.parseRejected + rejectedHere;

  // Divided, not multiplied: 63 of 90 is exactly a share of 0.7 (both round to the same double), where
  // 0.7 * 90 is 62.99999999999999 and failed an import at the limit.
  if (input.rowsReceived > 0 && rowsRejected / input.rowsReceived > input.maxRejectedShare) {
    return { decision: 'rejected_share_exceeded', rowsLoaded: 0, rowsRejected, ...NOTHING_APPLIED };
  }
  if (input.mode === 'replace' && loadable === 0) return { decision: 'empty_replace', rowsLoaded: 0, rowsRejected, ...NOTHING_APPLIED };
  if (input.deleteUnseenOfSource && input.sourceId) {
    const refusal = await refuseSourceDeletes(db, plan, input.sourceId, loadable, input.maxDeleteShare ?? 1);
    if (refusal) return { decision: refusal.decision, rowsLoaded: 0, rowsRejected, ...NOTHING_APPLIED, unseenOfSource: refusal.counts };
    lap('checkDeletes');
  }

  let stubsCreated: ApplyResult['stubsCreated'] = {};
  if (input.onUnknownReference === 'create_stub') {
    stubsCreated = await createStubs(db, plan);
    lap('createStubs');
  }
  // Rows without a key (usage events, NPS responses) match no line of a file, so a replace, or a source's
  // full read, replaces them all: the stored ones go before the file's are added, as the delete after the
  // load could not tell the two apart.
  const deletesUnseen = input.mode === 'replace' || Boolean(input.deleteUnseenOfSource && input.sourceId);
  const keylessDeleted = deletesUnseen && plan.keyOptional ? await deleteKeylessRows(db, plan, input.mode === 'replace' ? null : input.sourceId) : 0;
  const loadedIntoEmptyTable = loadable >= input.bulkLoadMinRows && (await lockIfEmpty(db, plan.table));
  if (loadedIntoEmptyTable) {
    await withIndexesRebuilt(db, plan.table, () => insertAll(db, plan, input.sourceId));
    lap('insertIntoEmptyTable');
  } else {
    // The upsert cannot be trusted to trip over a repeated key: a line equal to the stored row is skipped
    // (nothing changes), so a later line with its key updates the row as if it were the only one.
    if (!options.rankDuplicates && (await loadableKeyRepeats(db, plan))) throw new RankingNeeded();
    await upsert(db, plan, input.sourceId, input.fieldsPresent, input.fieldsAbsentFromSomeRecords);
    lap('upsert');
  }
  if (input.entity === 'customers') {
    await upsertAliases(db, input.bulkLoadMinRows, loadedIntoEmptyTable);
    lap('aliases');
  }
  let deleted: { rowsDeleted: number; cascadedTo: CanonicalEntity[] } = { rowsDeleted: 0, cascadedTo: [] };
  if (input.mode === 'replace') {
    deleted = await deleteWhatTheFileDoesNotHave(db, plan, null);
    lap('replaceDelete');
  } else if (input.deleteUnseenOfSource && input.sourceId) {
    deleted = await deleteWhatTheFileDoesNotHave(db, plan, input.sourceId);
    lap('deleteUnseen');
  }
  return { decision: 'applied', rowsLoaded: loadable, rowsRejected, stubsCreated, loadedIntoEmptyTable, ...deleted, rowsDeleted: keylessDeleted + deleted.rowsDeleted };
}

const NOTHING_APPLIED = { stubsCreated: {}, loadedIntoEmptyTable: false, rowsDeleted: 0, cascadedTo: [] };

/**
 * When lines the parser rejected name an order, positions within each order count them too: a rejected
 * second line leaves the third line number 3 (not 2, which would overwrite the stored second line).
 * Builds import_line_positions (line -> position) and numbers the rejected lines that lack a number.
 */
async function numberRejectedOrderLines(db: TenantDatabaseClient, staging: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM import_rejected_keys WHERE order_external_id IS NOT NULL LIMIT 1`);
  if (rows.length === 0) return false;
  await db.query(
    `CREATE TEMP TABLE import_line_positions ON COMMIT DROP AS
     SELECT line, row_number() OVER (PARTITION BY order_external_id ORDER BY line) AS position
       FROM (SELECT line, order_external_id FROM ${staging}
             UNION ALL SELECT line, order_external_id FROM import_rejected_keys WHERE order_external_id IS NOT NULL) lines`,
  );
  await db.query(`UPDATE import_rejected_keys k SET line_number = p.position::text FROM import_line_positions p WHERE p.line = k.line AND k.line_number IS NULL`);
  return true;
}

/**
 * A subquery that finds a row of the table (`t`) that a line the parser rejected names: a bad cell is no
 * reason to delete (and cascade) the row it was meant for, in a replace or a source's delete detection.
 * Valid in the final transaction of an import (import_rejected_keys).
 */
export function namedByRejectedLineSql(plan: EntityLoadPlan): string {
  return plan.orderAndProduct
    ? `SELECT 1 FROM import_rejected_keys k JOIN orders o ON o.external_id = k.order_external_id WHERE t.order_id = o.id AND t.line_number::text = k.line_number`
    : `SELECT 1 FROM import_rejected_keys k WHERE ${plan.fileKey.map((field) => `k.${field} = t.${field}`).join(' AND ')}`;
}

/**
 * The condition on a row of the table (`t`) that the file does not have: neither a staged row nor a
 * rejected line names it. What a replace deletes and a source's full read counts, then deletes, as unseen.
 */
function unseenRowSql(plan: EntityLoadPlan): string {
  return `NOT EXISTS (SELECT 1 FROM import_rows r WHERE ${plan.keepMatch}) AND NOT EXISTS (${namedByRejectedLineSql(plan)})`;
}

/**
 * Replace (`sourceId` null): deletes the table's rows that neither a staged row nor a rejected line names.
 * Delete detection of a source's full read (`sourceId`): the same among the rows that source wrote.
 * Returns how many rows went and the entities that lose rows with them (ON DELETE CASCADE), found
 * before the delete: their warehouse copies must follow.
 */
async function deleteWhatTheFileDoesNotHave(
  db: TenantDatabaseClient,
  plan: EntityLoadPlan,
  sourceId: string | null,
): Promise<{ rowsDeleted: number; cascadedTo: CanonicalEntity[] }> {
  // Keyless rows are the file's own by now (deleteKeylessRows took the stored ones).
  await db.query(
    `CREATE TEMP TABLE import_replaced ON COMMIT DROP AS
    SELECT t.id FROM ${plan.table} t
     WHERE ${sourceId ? 't.source_id = $1 AND ' : ''}${plan.keyOptional ? `t.${plan.fileKey[0]} IS NOT NULL AND ` : ''}${unseenRowSql(plan)}`,
    sourceId ? [sourceId] : [],
  );
  const cascadedTo: CanonicalEntity[] = [];
  for (const cascade of CASCADES[plan.entity] ?? []) {
    const { rows } = await db.query<{ loses: boolean }>(`SELECT EXISTS (${cascade.rowsOfDeleted}) AS loses`);
    if (rows[0]?.loses) cascadedTo.push(cascade.entity);
  }
  const deleted = await db.query(`DELETE FROM ${plan.table} t USING import_replaced d WHERE t.id = d.id`);
  return { rowsDeleted: deleted.rowCount ?? 0, cascadedTo };
}

/**
 * Replace (`sourceId` null), or delete detection of a source's full read (`sourceId`): deletes the stored
 * rows without a key, before the file's are loaded. Such rows have no children (no cascade).
 */
async function deleteKeylessRows(db: TenantDatabaseClient, plan: EntityLoadPlan, sourceId: string | null): Promise<number> {
  const deleted = await db.query(`DELETE FROM ${plan.table} WHERE ${plan.fileKey[0]} IS NULL${sourceId ? ' AND source_id = $1' : ''}`, sourceId ? [sourceId] : []);
  return deleted.rowCount ?? 0;
}

/**
 * Delete detection's guard, before anything is written: counts the source's rows and those the read does
 * not have (what deleteWhatTheFileDoesNotHave would delete; the upsert only touches rows the read has, so
 * counting first gives the same rows). A read without a loadable row must not empty the source (an API
 * or a query answering nothing by mistake), and more than `maxShare` of its rows may not go at once.
 */
async function refuseSourceDeletes(
  db: TenantDatabaseClient,
  plan: EntityLoadPlan,
  sourceId: string,
  loadable: number,
  maxShare: number,
): Promise<{ decision: 'empty_full_read' | 'delete_share_exceeded'; counts: { rows: number; unseen: number; maxShare: number } } | null> {
  if (loadable > 0 && maxShare >= 1) return null;
  // Rows without a key are replaced by the read's own (deleteKeylessRows), not looked up: those the
  // read brings back are not lost, only the stored ones beyond their number.
  const key = plan.keyOptional ? `t.${plan.fileKey[0]}` : undefined;
  const { rows } = await db.query<{ rows: string; unseen: string; keyless: string; read_keyless: string }>(
    `SELECT count(*) AS rows,
            count(*) FILTER (WHERE ${key ? `${key} IS NOT NULL AND ` : ''}${unseenRowSql(plan)}) AS unseen,
            ${key ? `count(*) FILTER (WHERE ${key} IS NULL)` : '0'} AS keyless,
            ${key ? `(SELECT count(*) FROM import_rows r WHERE r.reject_reason IS NULL AND r.${plan.fileKey[0]} IS NULL)` : '0'} AS read_keyless
       FROM ${plan.table} t WHERE t.source_id = $1`,
    [sourceId],
  );
  const keylessGone = Math.max(0, Number(rows[0]?.keyless ?? 0) - Number(rows[0]?.read_keyless ?? 0));
  const counts = { rows: Number(rows[0]?.rows ?? 0), unseen: Number(rows[0]?.unseen ?? 0) + keylessGone, maxShare };
  if (counts.unseen === 0) return null;
  if (loadable === 0) return { decision: 'empty_full_read', counts };
  if (counts.unseen > maxShare * counts.rows) return { decision: 'delete_share_exceeded', counts };
  return null;
}

/**
 * Whether two loadable rows share a key (one hash aggregate: cheaper than ranking, which sorts, and far
 * cheaper than the upsert's index probe per row it guards).
 */
async function loadableKeyRepeats(db: TenantDatabaseClient, plan: EntityLoadPlan): Promise<boolean> {
  const key = plan.fileKey.join(', ');
  const { rows } = await db.query<{ repeats: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM import_rows WHERE reject_reason IS NULL${plan.keyOptional ? ` AND ${plan.fileKey[0]} IS NOT NULL` : ''}
                     GROUP BY ${key} HAVING count(*) > 1) AS repeats`,
  );
  return rows[0]?.repeats === true;
}

/**
 * Whether a rejected row has the key of another row. The load would not fail on such a duplicate (the
 * rejected row is never written), but ranking decides which of the two is the duplicate: the earlier one,
 * even when the later is the one with the bad reference. One hash join of the (few) rejected rows.
 */
async function rejectedRowSharesKey(db: TenantDatabaseClient, plan: EntityLoadPlan): Promise<boolean> {
  const sameKey = plan.fileKey.map((k) => `o.${k} = r.${k}`).join(' AND ');
  const { rows } = await db.query<{ shared: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM import_rows r JOIN import_rows o ON ${sameKey} AND o.line <> r.line WHERE r.reject_reason IS NOT NULL) AS shared`,
  );
  return rows[0]?.shared === true;
}

/**
 * Two customers of one file given the same alias: an alias names one customer (a reference through it must
 * find exactly one), and the last line that gives it wins, as with duplicate keys. The earlier lines that
 * give it to another customer are rejected `duplicate_alias` (their other fields would load, but the
 * alias would silently go to someone else). Recorded in `import_alias_conflicts` for the messages.
 */
async function rejectAliasConflicts(db: TenantDatabaseClient): Promise<void> {
  await db.query(
    `CREATE TEMP TABLE import_alias_conflicts ON COMMIT DROP AS
     WITH claims AS (
       SELECT r.line, r.external_id, a.alias
         FROM import_rows r CROSS JOIN LATERAL unnest(string_to_array(r.aliases, '|')) AS a(alias)
        WHERE r.reject_reason IS NULL AND r.aliases IS NOT NULL AND a.alias <> ''),
     last_claims AS (SELECT DISTINCT ON (alias) alias, line, external_id FROM claims ORDER BY alias, line DESC)
     SELECT DISTINCT ON (c.line) c.line, c.alias, l.line AS taken_by_line, l.external_id AS taken_by
       FROM claims c JOIN last_claims l ON l.alias = c.alias AND l.external_id <> c.external_id
      ORDER BY c.line, c.alias`,
  );
  await db.query(`UPDATE import_rows r SET reject_reason = 'duplicate_alias' FROM import_alias_conflicts ac WHERE ac.line = r.line`);
}

/** How a `duplicate_alias` reject is recorded (`ac`: its import_alias_conflicts row). */
function aliasConflictRule(column: string): RejectRule {
  return {
    when: `r.reject_reason = 'duplicate_alias'`,
    reason: 'duplicate_alias',
    column,
    message: `format('The alias "%s" is also given to customer %s on line %s; an alias names one customer, and the last line that gives it wins.', ac.alias, ac.taken_by, ac.taken_by_line)`,
  };
}

/**
 * Whether a line the parser rejected (with its key readable: import_rejected_keys) has the key of an
 * earlier staged row: that row is then superseded, and only ranking works out which rows are.
 */
async function laterLineRejectedByParser(db: TenantDatabaseClient, plan: EntityLoadPlan): Promise<boolean> {
  const { rows } = await db.query<{ later: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM import_rejected_keys k JOIN import_rows r ON ${rejectedKeyMatch(plan, 'r')} AND k.line > r.line) AS later`,
  );
  return rows[0]?.later === true;
}

/** A rejected line's key (`k`, text) equals the key of the staged row `alias`. */
function rejectedKeyMatch(plan: EntityLoadPlan, alias: string): string {
  return plan.fileKey.map((field) => `k.${field} = ${alias}.${field}::text`).join(' AND ');
}

/**
 * Parents the file refers to but the tenant does not have: customers (by external id) and products (by
 * SKU), for the rows that load only: a rejected line (a duplicate key, an order line whose order is
 * unknown) makes no parent.
 */
async function createStubs(db: TenantDatabaseClient, plan: EntityLoadPlan): Promise<ApplyResult['stubsCreated']> {
  const created: ApplyResult['stubsCreated'] = {};
  const reference = plan.customerReference?.field;
  // The stubs' keys, for the warehouse's copy of customers and products (staged-file.ts).
  await db.query(`CREATE TEMP TABLE import_stubs (entity text NOT NULL, key text NOT NULL) ON COMMIT DROP`);
  if (reference) {
    const inserted = await db.query(
      `WITH created AS (
         INSERT INTO customers (external_id) SELECT DISTINCT r.${reference} FROM import_rows r
          WHERE r.customer_id IS NULL AND r.reject_reason IS NULL AND r.${reference} IS NOT NULL
         ON CONFLICT (external_id) DO NOTHING RETURNING external_id)
       INSERT INTO import_stubs (entity, key) SELECT 'customers', external_id FROM created`,
    );
    created.customers = inserted.rowCount ?? 0;
    await db.query(
      `UPDATE import_rows r SET customer_id = c.id FROM customers c
        WHERE r.customer_id IS NULL AND r.reject_reason IS NULL AND c.external_id = r.${reference}`,
    );
  }
  if (plan.orderAndProduct) {
    const inserted = await db.query(
      `WITH created AS (
         INSERT INTO products (sku) SELECT DISTINCT r.sku FROM import_rows r
          WHERE r.product_id IS NULL AND r.reject_reason IS NULL AND r.sku IS NOT NULL
         ON CONFLICT (sku) DO NOTHING RETURNING sku)
       INSERT INTO import_stubs (entity, key) SELECT 'products', sku FROM created`,
    );
    created.products = inserted.rowCount ?? 0;
    await db.query(
      `UPDATE import_rows r SET product_id = p.id FROM products p WHERE r.product_id IS NULL AND r.reject_reason IS NULL AND p.sku = r.sku`,
    );
  }
  return created;
}

/** The canonical field a target column is filled from (references are resolved ids). */
function sourceFieldOf(plan: EntityLoadPlan, column: string): string {
  if (column === 'customer_id') return plan.customerReference?.field ?? column;
  if (column === 'order_id') return 'order_external_id';
  if (column === 'product_id') return 'sku';
  return column;
}

/**
 * True when the table is empty, and then locked ACCESS EXCLUSIVE until the transaction ends. A table
 * with rows is never locked here (readers keep reading while its upsert runs): emptiness is checked
 * without a lock first, and again under it in case a row arrived in between.
 */
async function lockIfEmpty(db: TenantDatabaseClient, table: string): Promise<boolean> {
  const isEmpty = async () => (await db.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${table}) AS empty`)).rows[0]?.empty === true;
  if (!(await isEmpty())) return false;
  await db.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return isEmpty();
}

/** The loadable rows into an empty table: no conflict is possible (duplicates were ranked out). */
async function insertAll(db: TenantDatabaseClient, plan: EntityLoadPlan, sourceId: string | null): Promise<void> {
  await db.query(
    `INSERT INTO ${plan.table} (${plan.columns.map((c) => c.column).join(', ')}, source_id)
     SELECT ${plan.columns.map((c) => c.expression).join(', ')}, $1::uuid FROM import_rows r WHERE r.reject_reason IS NULL`,
    [sourceId],
  );
}

async function upsert(db: TenantDatabaseClient, plan: EntityLoadPlan, sourceId: string | null, fieldsPresent: readonly string[], fieldsAbsentSomewhere: readonly string[]): Promise<void> {
  const columns = plan.columns.map((c) => c.column);
  // A file without a column says nothing about it: existing rows keep their value (new rows get NULL).
  const present = new Set(fieldsPresent);
  const updateColumns = plan.updateColumns.filter((column) => column === 'custom' || present.has(sourceFieldOf(plan, column)));
  // Likewise an NDJSON record without a key (an explicit null does clear it): for such fields the row to
  // insert takes the stored value where its record left the field out, joined from the table as `stored`
  // (a new row has none: it gets what a plain insert gives, e.g. a JSON column's `{}`).
  const sometimesAbsent = new Set(fieldsAbsentSomewhere.filter((field) => present.has(field)));
  const keepsStored = (column: string) => column !== 'custom' && updateColumns.includes(column) && sometimesAbsent.has(sourceFieldOf(plan, column));
  const storedExists = `stored.${plan.conflictColumns[0] as string} IS NOT NULL`;
  const values = plan.columns.map(({ column, expression }) =>
    keepsStored(column) ? `CASE WHEN ${literal(sourceFieldOf(plan, column))} = ANY(r.absent) AND ${storedExists} THEN stored.${column} ELSE ${expression} END` : expression,
  );
  const storedJoin = columns.some(keepsStored)
    ? `LEFT JOIN ${plan.table} stored ON ${plan.conflictColumns.map((column) => `stored.${column} = ${loadedExpression(plan, column)}`).join(' AND ')}`
    : '';
  const set = updateColumns.map((column) => (column === 'custom' ? 'custom = t.custom || EXCLUDED.custom' : `${column} = EXCLUDED.${column}`));
  // Only rows that change are rewritten: reloading the same file leaves the table (and its updated_at) as it was.
  const changed = [...updateColumns.filter((c) => c !== 'custom').map((c) => `t.${c} IS DISTINCT FROM EXCLUDED.${c}`), 't.custom || EXCLUDED.custom IS DISTINCT FROM t.custom', 't.source_id IS DISTINCT FROM EXCLUDED.source_id'];
  await db.query(
    `INSERT INTO ${plan.table} AS t (${columns.join(', ')}, source_id, updated_at)
     SELECT ${values.join(', ')}, $1::uuid, now() FROM import_rows r ${storedJoin} WHERE r.reject_reason IS NULL
     ON CONFLICT ${plan.conflictTarget} DO UPDATE SET ${set.join(', ')}, source_id = EXCLUDED.source_id, updated_at = now()
     WHERE ${changed.join(' OR ')}`,
    [sourceId],
  );
}

/**
 * A customer's `aliases` (`|`-separated) become customer_aliases rows; an alias names one customer (the
 * file's last). Into an empty customer_aliases table (a first load) they go like the rows themselves:
 * inserted plainly, indexes rebuilt after. When the customers went into an empty table too, this
 * transaction holds customers ACCESS EXCLUSIVE already, so the aliases' foreign key to it is dropped for
 * the insert and added back after it (one validating join instead of a query per alias) at no cost to
 * readers; otherwise it stays.
 */
async function upsertAliases(db: TenantDatabaseClient, bulkLoadMinRows: number, customersLocked: boolean): Promise<void> {
  const aliases = `SELECT DISTINCT ON (a.alias) c.id, '', a.alias
       FROM import_rows r CROSS JOIN LATERAL unnest(string_to_array(r.aliases, '|')) AS a(alias)
       JOIN customers c ON c.external_id = r.external_id
      WHERE r.reject_reason IS NULL AND r.aliases IS NOT NULL AND a.alias <> ''
      ORDER BY a.alias, r.line DESC`;
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM import_rows WHERE reject_reason IS NULL AND aliases IS NOT NULL`);
  if (Number(rows[0]?.n ?? 0) >= bulkLoadMinRows && (await lockIfEmpty(db, 'customer_aliases'))) {
    const insert = () => withIndexesRebuilt(db, 'customer_aliases', () => db.query(`INSERT INTO customer_aliases (customer_id, source, source_id) ${aliases}`));
    await (customersLocked ? withForeignKeysAddedBack(db, 'customer_aliases', insert) : insert());
    return;
  }
  await db.query(
    `INSERT INTO customer_aliases AS t (customer_id, source, source_id) ${aliases}
     ON CONFLICT (source, source_id) DO UPDATE SET customer_id = EXCLUDED.customer_id WHERE t.customer_id <> EXCLUDED.customer_id`,
  );
}
