import { DomainError } from './domain-error';

/**
 * SQLSTATEs that mean the server cannot serve the session right now, not that the statement is wrong:
 * connection exceptions (class 08, but 08P01 protocol_violation, a client bug), the server shutting down
 * or starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), too many
 * connections (53300), and the server's own time limits giving up on a statement: 57014 query_canceled
 * (statement_timeout, or an operator cancelling queries to shed load) and 55P03 lock_not_available
 * (lock_timeout: someone else holds the lock). Left out on purpose: 53100 disk_full, 53200 out_of_memory
 * and 53400 configuration_limit_exceeded need an operator (they stay 500s, logged as errors), and
 * 40001/40P01 (serialization failure, deadlock) are conflicts of concurrent writes, not an outage.
 */
function isUnavailableSqlState(code: string): boolean {
  return (code.startsWith('08') && code !== '08P01') || ['57P01', '57P02', '57P03', '53300', '57014', '55P03'].includes(code);
}

/**
 * Socket failures on the way to the database. ENOTFOUND is not one: a host name that does not resolve is
 * a wrong configuration (a 500 for operators), while EAI_AGAIN is a resolver that did not answer.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * node-postgres (pg 8) gives these failures no code, only a message: the connection timeout of a
 * `pg.Client` (`connectionTimeoutMillis`) and of a `pg.Pool`, a pool whose every client stays busy
 * past that timeout, the server closing the socket, and `query_timeout` expiring. Exact messages: the
 * api's database-unavailable.int-spec.ts gets the first from the real driver, so an upgrade that changes
 * it fails a test.
 */
const PG_MESSAGES = new Set([
  'timeout expired',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Connection terminated unexpectedly',
  'Query read timeout',
]);

/**
 * Whether an error of the PostgreSQL client means the database cannot be reached or does not answer in
 * time, so the same request may well succeed a few seconds later: transports answer it as an outage
 * (HTTP 503 `database_unavailable` with Retry-After) rather than as a bug. Looks at the error's own
 * `code` (SQLSTATE or socket error) and message, not at its cause: an error some code wrapped on purpose
 * says what it means itself.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Not `instanceof Error`: socket errors come from Node's own realm, which is not always the caller's.
  if (typeof error !== 'object' || error === null || error instanceof DomainError) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return NETWORK_CODES.has(code) || isUnavailableSqlState(code);
  return typeof message === 'string' && PG_MESSAGES.has(message);
}

/**
 * 40001 serialization_failure (also a hot standby cancelling a query that conflicts with recovery) and
 * 40P01 deadlock_detected: the statement lost to a concurrent transaction and was rolled back, so running
 * it again may well succeed. Not an outage (isDatabaseUnavailable leaves them out): what to do about
 * one depends on whether the request wrote anything.
 */
export function isTransactionConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || error instanceof DomainError) return false;
  const { code } = error as { code?: unknown };
  return code === '40001' || code === '40P01';
}
