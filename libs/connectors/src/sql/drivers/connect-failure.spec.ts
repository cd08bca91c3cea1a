import { ConnectorError } from '../../connector-errors';
import { connectFailure, connectFailureCode } from './connect-failure';

// The error shapes each driver throws on a failed connect, as the drivers build them (pg: DatabaseError
// with the SQLSTATE in `code`; mysql2: `errno` and `code`; mssql: ConnectionError ELOGIN wrapping tedious'
// error with the server's text; oracledb thin: `errorNum` and an ORA- message).
function errorWith(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('connect failures', () => {
  it.each([
    ['PostgreSQL', errorWith('password authentication failed for user "crm"', { code: '28P01' }), 'source_auth_failed'],
    ['PostgreSQL', errorWith('role "crm" does not exist', { code: '28000' }), 'source_auth_failed'],
    ['PostgreSQL', errorWith('database "crm" does not exist', { code: '3D000' }), 'invalid_source_config'],
    ['PostgreSQL', errorWith('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), 'source_unreachable'],
    ['MySQL', errorWith("Access denied for user 'crm'@'10.0.0.1' (using password: YES)", { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' }), 'source_auth_failed'],
    ['MySQL', errorWith("Access denied for user 'crm'@'%' to database 'sales'", { errno: 1044, code: 'ER_DBACCESS_DENIED_ERROR' }), 'source_auth_failed'],
    ['MySQL', errorWith("Unknown database 'sales'", { errno: 1049, code: 'ER_BAD_DB_ERROR' }), 'invalid_source_config'],
    ['MySQL', errorWith('connect ETIMEDOUT', { code: 'ETIMEDOUT' }), 'source_unreachable'],
    ['SQL Server', Object.defineProperty(errorWith("Login failed for user 'crm'.", { code: 'ELOGIN' }), 'originalError', { value: errorWith("Login failed for user 'crm'.", { code: 'ELOGIN' }) }), 'source_auth_failed'],
    ['SQL Server', errorWith('Cannot open database "sales" requested by the login. The login failed.', { code: 'ELOGIN' }), 'invalid_source_config'],
    ['SQL Server', errorWith('Failed to connect to db:1433 - Could not connect (sequence)', { code: 'ESOCKET' }), 'source_unreachable'],
    ['Oracle', errorWith('ORA-01017: invalid username/password; logon denied', { errorNum: 1017, code: 'ORA-01017' }), 'source_auth_failed'],
    ['Oracle', errorWith('ORA-28000: The account is locked.', { errorNum: 28000 }), 'source_auth_failed'],
    ['Oracle', errorWith('NJS-503: connection to host 10.0.0.9 port 1521 could not be established', { code: 'NJS-503' }), 'source_unreachable'],
  ] as const)('%s: %s -> %s', (engine, error, code) => {
    expect(connectFailureCode(engine, error)).toBe(code);
  });

  it('makes wrong credentials a non-retryable error that names where, not the password', () => {
    const error = connectFailure('PostgreSQL', { host: 'db.example.com', port: 5432, database: 'crm', user: 'crm', password: 'hunter2' }, errorWith('password authentication failed for user "crm"', { code: '28P01' }));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'source_auth_failed', kind: 'unprocessable' });
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('PostgreSQL at db.example.com:5432/crm refused the user or password: password authentication failed for user "crm"');
    expect(connectFailure('MySQL', { host: 'h', port: 1, database: 'd', user: 'u' }, new Error('connect ECONNREFUSED')).retryable).toBe(true);
  });
});
