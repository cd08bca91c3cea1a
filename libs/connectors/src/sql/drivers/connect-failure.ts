import { ConnectorError, type ConnectorErrorCode } from '../../connector-errors';
import type { DatabaseEndpoint } from './database-endpoint';

export type DatabaseEngineName = 'PostgreSQL' | 'MySQL' | 'SQL Server' | 'Oracle';

/**
 * What a failed connect means for the tenant: wrong credentials and a database that does not exist are
 * configuration the tenant must change (retrying gives the same answer), anything else (refused, timed
 * out, reset) may pass by itself and stays `source_unreachable`.
 */
export function connectFailureCode(engine: DatabaseEngineName, error: unknown): ConnectorErrorCode {
  const failure = (error ?? {}) as { code?: unknown; errno?: unknown; errorNum?: unknown; message?: unknown; originalError?: unknown };
  const message = typeof failure.message === 'string' ? failure.message : '';
  switch (engine) {
    case 'PostgreSQL':
      // 28P01 invalid_password, 28000 invalid_authorization_specification (unknown role, no pg_hba entry); 3D000 invalid_catalog_name.
      if (failure.code === '28P01' || failure.code === '28000') return 'source_auth_failed';
      if (failure.code === '3D000') return 'invalid_source_config';
      return 'source_unreachable';
    case 'MySQL':
      // 1045 ER_ACCESS_DENIED_ERROR (user/password), 1044 ER_DBACCESS_DENIED_ERROR (no rights on the database); 1049 ER_BAD_DB_ERROR.
      if (failure.errno === 1045 || failure.errno === 1044 || failure.code === 'ER_ACCESS_DENIED_ERROR' || failure.code === 'ER_DBACCESS_DENIED_ERROR') return 'source_auth_failed';
      if (failure.errno === 1049 || failure.code === 'ER_BAD_DB_ERROR') return 'invalid_source_config';
      return 'source_unreachable';
    case 'SQL Server': {
      // tedious reports the server's login ERROR token (18456 "Login failed for user", 4060 "Cannot open
      // database ... requested by the login") as code ELOGIN with the server's text and without its number.
      const original = (failure.originalError ?? {}) as { code?: unknown; number?: unknown; message?: unknown };
      const login = failure.code === 'ELOGIN' || original.code === 'ELOGIN';
      if (original.number === 18456 || (login && /Login failed for user/i.test(message))) return 'source_auth_failed';
      if (original.number === 4060 || (login && /Cannot open database/i.test(message))) return 'invalid_source_config';
      return 'source_unreachable';
    }
    case 'Oracle':
      // ORA-01017 invalid username/password, ORA-28000 account locked, ORA-28001 password expired.
      if ([1017, 28000, 28001].includes(failure.errorNum as number) || /^ORA-(01017|28000|28001):/.test(message)) return 'source_auth_failed';
      return 'source_unreachable';
  }
}

/** The error of a failed connect, classified as above, naming where it tried (never the password). */
export function connectFailure(engine: DatabaseEngineName, endpoint: DatabaseEndpoint, error: unknown): ConnectorError {
  const code = connectFailureCode(engine, error);
  const at = `${engine} at ${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  const what = code === 'source_auth_failed' ? `${at} refused the user or password` : code === 'invalid_source_config' ? `${at}: no such database` : `Cannot connect to ${at}`;
  return new ConnectorError(code, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
