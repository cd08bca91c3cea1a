import { z } from 'zod';
import { canonicalEntitySchema } from '../entities/canonical-entity.schema';
import { importMappingSchema } from './import-mapping.schema';

/**
 * Sources (issue 8): where a tenant's data is pulled from on a schedule. The connection config is
 * stored as given (no secrets in it); secrets travel only in `credentials`, are sealed at rest and are
 * never returned: responses list which credential names are set, not their values.
 */

const identifier = z.string().min(1).max(128);
const port = z.number().int().min(1).max(65535);

/** DNS labels (underscores taken: some private names have them) or an IPv4 address; an IPv6 address is checked on its own. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const ipv6 = z.ipv6();

/**
 * The host of a database or SSH server: a name or an address, nothing else. Drivers read more into it
 * (SQL Server's `host\instance` asks the SQL Browser over UDP, before the address policy sees a thing).
 */
const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .refine((host) => HOST_NAME.test(host) || ipv6.safeParse(host).success, 'expected a host name or an IP address (no instance name, port or path)');

/**
 * An Oracle service name, with the server type Easy Connect allows after it (`:pooled` for DRCP). The
 * driver reads it as part of an Easy Connect string, whose `?parameters` can add addresses, proxies or
 * turn certificate checks off: only the name and the server type are taken.
 */
const ORACLE_SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.$#-]{0,127}(?::(?:dedicated|shared|pooled))?$/i;

export const sourceSyncModeSchema = z.enum(['incremental', 'full_refresh']);
export type SourceSyncMode = z.infer<typeof sourceSyncModeSchema>;

/**
 * Delete detection of a full read (full refresh; Sheets and REST with a primaryKey): the largest share of
 * the rows this source loaded that one sync may delete. A sync that would delete more fails with
 * `delete_share_exceeded` and changes nothing; 1 turns the check off. Unset: DEFAULT_MAX_DELETE_SHARE.
 */
export const DEFAULT_MAX_DELETE_SHARE = 0.5;
export const maxDeleteShareSchema = z
  .number()
  .min(0)
  .max(1)
  .optional()
  .describe(`Full reads: the largest share (0..1) of the rows this source loaded that one sync may delete; more fails the sync with delete_share_exceeded. Default ${DEFAULT_MAX_DELETE_SHARE}; 1 turns the check off.`);

export const sshTunnelSchema = z.strictObject({
  host: hostSchema,
  port: port.default(22),
  username: z.string().min(1),
  /** `SHA256:<base64>` as printed by `ssh-keygen -lf`; strongly recommended (the host key is checked). */
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'expected SHA256:<43 base64 characters>').optional(),
});

export const databaseConnectionSchema = z
  .strictObject({
    kind: z.enum(['postgres', 'mysql', 'mssql', 'oracle']),
    host: hostSchema,
    port,
    /** Database name (Oracle: the service name). */
    database: z.string().min(1).max(128),
    user: z.string().min(1),
    ssl: z.union([z.boolean(), z.strictObject({ rejectUnauthorized: z.boolean() })]).optional(),
    sshTunnel: sshTunnelSchema.optional(),
    /** Read a table ... */
    table: z.strictObject({ schema: identifier.optional(), name: identifier }).optional(),
    /** ... or the result of one SELECT (wrapped as a subquery; the session is read-only). */
    query: z.string().min(1).max(20_000).optional(),
    syncMode: sourceSyncModeSchema.default('incremental'),
    /** Incremental: the column(s) that grow on insert and update (updated_at, a rowversion, an id). */
    cursorColumns: z.array(identifier).max(4).default([]),
    primaryKey: z.array(identifier).min(1).max(8),
    /** Incremental: re-read this many seconds (or units of a numeric cursor) behind the last cursor. */
    lookbackSeconds: z.number().int().min(0).max(30 * 86_400).default(0),
    pageSize: z.number().int().min(1).max(50_000).default(5_000),
    statementTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
    maxDeleteShare: maxDeleteShareSchema,
  })
  .refine((config) => (config.table === undefined) !== (config.query === undefined), { message: 'set exactly one of table and query', path: ['table'] })
  .refine((config) => config.kind !== 'oracle' || ORACLE_SERVICE_NAME.test(config.database), {
    message: 'an Oracle service name: letters, digits and _ . $ # -, optionally :pooled, :dedicated or :shared (no Easy Connect parameters)',
    path: ['database'],
  })
  .refine((config) => config.syncMode === 'full_refresh' || config.cursorColumns.length > 0, {
    message: 'an incremental source needs cursorColumns (or use syncMode full_refresh)',
    path: ['cursorColumns'],
  });

export const googleSheetsConnectionSchema = z.strictObject({
  kind: z.literal('google_sheets'),
  spreadsheetId: z.string().min(1).max(200),
  tab: z.union([z.strictObject({ title: z.string().min(1) }), z.strictObject({ sheetId: z.number().int().nonnegative() })]),
  /** 1-based header row; detected when omitted. */
  headerRow: z.number().int().min(1).max(1_000).optional(),
  /** Columns identifying a row, for delete detection on each full read. */
  primaryKey: z.array(identifier).max(8).default([]),
  maxDeleteShare: maxDeleteShareSchema,
});

/**
 * A bucket name as Cloud Storage and S3 allow them (lowercase letters, digits, dots, hyphens and, for
 * Cloud Storage, underscores): the S3 bucket becomes part of a host name, so `s3://attacker.example#/x`
 * would have sent a signed listing to attacker.example.
 */
const BUCKET = '[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]';

export const filesConnectionSchema = z.strictObject({
  kind: z.literal('files'),
  /** gs://bucket/prefix/*.csv, s3://bucket/path/**\/*.ndjson or https://host/export.csv */
  url: z.string().regex(new RegExp(`^(gs|s3)://${BUCKET}(/.*)?$|^https://.+`), 'expected a gs://, s3:// or https:// URL (a bucket name is lowercase letters, digits, dots, hyphens or underscores)'),
  /** Otherwise from the file extension (.ndjson/.jsonl = NDJSON, anything else CSV). */
  format: z.enum(['csv', 'ndjson']).optional(),
  /** S3 region (default us-east-1); part of the S3 host name, so only a region's letters, digits and hyphens. */
  region: z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected an AWS region name such as us-east-1').optional(),
  /** An S3-compatible or GCS-compatible endpoint instead of the public cloud one. */
  endpoint: z.url().optional(),
});

export const restConnectionSchema = z.strictObject({
  kind: z.literal('rest'),
  url: z.url(),
  /** Where the records array is in each response: `$`, `$.data.items`, `results`. */
  recordsPath: z.string().min(1).default('$'),
  pagination: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('none') }),
      z.strictObject({ type: z.literal('cursor'), cursorPath: z.string().min(1), cursorParam: z.string().min(1) }),
      z.strictObject({ type: z.literal('link') }),
      z.strictObject({ type: z.literal('offset'), offsetParam: z.string().min(1), limitParam: z.string().min(1), limit: z.number().int().min(1).max(10_000) }),
    ])
    .default({ type: 'none' }),
  /** The secret itself goes in credentials: `token` (bearer), `password` (basic), `apiKey` (api_key). */
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('none') }),
      z.strictObject({ type: z.literal('bearer') }),
      z.strictObject({ type: z.literal('basic'), username: z.string().min(1) }),
      z.strictObject({ type: z.literal('api_key'), header: z.string().min(1).optional(), queryParam: z.string().min(1).optional() }),
    ])
    .default({ type: 'none' }),
  headers: z.record(z.string().min(1), z.string()).optional(),
  primaryKey: z.array(identifier).max(8).default([]),
  maxDeleteShare: maxDeleteShareSchema,
});

export const sourceConnectionSchema = z.union([databaseConnectionSchema, googleSheetsConnectionSchema, filesConnectionSchema, restConnectionSchema]);

/**
 * A source's connection as stored, checked against this version's schema. A source saved before a check
 * was tightened (an upgrade that refuses bucket names it used to take, say) fails it: readers show it as
 * stored, with the reason, and syncs and tests refuse it, instead of every read of the tenant's sources
 * failing. `connection` is then the stored JSON, not a valid connection.
 */
export function readStoredConnection(config: unknown): { connection: SourceConnection; error: string | null } {
  const parsed = sourceConnectionSchema.safeParse(config);
  if (parsed.success) return { connection: parsed.data, error: null };
  const reasons = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  return {
    connection: config as SourceConnection,
    error: `The stored connection is not valid for this version of Pulse (${reasons.join('; ')}); give the source a valid connection with PATCH.`,
  };
}
export type SourceConnection = z.output<typeof sourceConnectionSchema>;
export type DatabaseConnection = z.output<typeof databaseConnectionSchema>;

/** Every secret a source may need; each kind uses a few. Write-only. */
export const sourceCredentialsSchema = z
  .strictObject({
    password: z.string().min(1),
    sshPrivateKey: z.string().min(1),
    sshPassphrase: z.string().min(1),
    sshPassword: z.string().min(1),
    /** Google service-account key file (JSON text), for Sheets and Cloud Storage. */
    serviceAccountKey: z.string().min(1),
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    token: z.string().min(1),
    apiKey: z.string().min(1),
  })
  .partial();
export type SourceCredentials = z.infer<typeof sourceCredentialsSchema>;

/** Five-field cron (minute hour day-of-month month day-of-week), evaluated in the tenant's timezone. */
export const cronScheduleSchema = z.string().regex(/^\s*(\S+\s+){4}\S+\s*$/, 'expected a five-field cron expression such as "*/15 * * * *"');

export const createSourceSchema = z.strictObject({
  name: z.string().min(1).max(200),
  entity: canonicalEntitySchema,
  connection: sourceConnectionSchema,
  credentials: sourceCredentialsSchema.optional(),
  mapping: importMappingSchema.optional(),
  schedule: cronScheduleSchema.nullable().default(null),
  enabled: z.boolean().default(true),
});
export type CreateSourceInput = z.output<typeof createSourceSchema>;

/** PATCH: any field; `credentials` replaces the whole set when present (null removes them). */
export const updateSourceSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  connection: sourceConnectionSchema.optional(),
  credentials: sourceCredentialsSchema.nullable().optional(),
  mapping: importMappingSchema.nullable().optional(),
  schedule: cronScheduleSchema.nullable().optional(),
  enabled: z.boolean().optional(),
});
export type UpdateSourceInput = z.output<typeof updateSourceSchema>;

export const syncStatusSchema = z.enum(['queued', 'running', 'succeeded', 'partially_succeeded', 'failed']);
export type SyncStatus = z.infer<typeof syncStatusSchema>;

export const sourceSyncSchema = z.object({
  id: z.uuid(),
  sourceId: z.uuid(),
  trigger: z.enum(['manual', 'schedule']),
  status: syncStatusSchema,
  /** Records (or files) read from the source in this run. */
  rowsRead: z.number().int().nonnegative(),
  rowsLoaded: z.number().int().nonnegative(),
  rowsRejected: z.number().int().nonnegative(),
  rowsDeleted: z.number().int().nonnegative(),
  filesLoaded: z.number().int().nonnegative(),
  /** The imports this run made (one per page or file): their rejected rows are at /v1/imports/{id}/errors. */
  importIds: z.array(z.uuid()),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  requestedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});
export type SourceSyncDto = z.infer<typeof sourceSyncSchema>;

/**
 * The 202 of "run now": the run waiting to start, new or already queued (and an Idempotency-Key replay
 * returns that first answer).
 */
export const queuedSourceSyncSchema = sourceSyncSchema.extend({ status: z.literal('queued') });

export const sourceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  entity: canonicalEntitySchema,
  kind: z.string(),
  // Declared as what it may be: a connection that fails this version's checks is shown as stored.
  connection: sourceConnectionSchema.or(
    z.record(z.string(), z.unknown()).describe('The stored connection, as it was saved, when connectionError says it fails the checks of this version'),
  ),
  connectionError: z
    .string()
    .nullable()
    .describe(
      "Null, or why the stored connection fails this version's checks (a source saved before an upgrade tightened them; connection is then shown as stored): the source does not sync until PATCHed with a valid connection",
    ),
  /** Names of the credentials that are set; their values are never returned. */
  credentialsSet: z.array(z.string()),
  mapping: importMappingSchema.nullable(),
  schedule: z.string().nullable(),
  enabled: z.boolean(),
  nextSyncAt: z.iso.datetime().nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  lastSync: sourceSyncSchema.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type SourceDto = z.infer<typeof sourceSchema>;

export const sourcePageSchema = z.object({ items: z.array(sourceSchema), nextCursor: z.string().nullable() });
export const sourceSyncPageSchema = z.object({ items: z.array(sourceSyncSchema), nextCursor: z.string().nullable() });

export const discoveredColumnSchema = z.object({ name: z.string(), type: z.string(), sourceType: z.string(), nullable: z.boolean() });

/** POST /v1/sources/{id}/test: connectivity, a preview and the columns the source has now. */
export const sourceTestResultSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int().nonnegative(),
  columns: z.array(discoveredColumnSchema),
  preview: z.array(z.record(z.string(), z.unknown())).max(10),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type SourceTestResultDto = z.infer<typeof sourceTestResultSchema>;
