import { DatabaseError } from 'pg';
import { isDatabaseUnavailable } from './database-unavailable';
import { DomainError } from './domain-error';
import { toProblemDetails } from './problem-details';

const sqlState = (code: string, message = 'x') => Object.assign(new DatabaseError(message, 0, 'error'), { code });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['08006 connection_failure', sqlState('08006')],
    ['08001 unable to establish a connection', sqlState('08001')],
    ['57P01 admin_shutdown', sqlState('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', sqlState('57P02')],
    ['57P03 cannot_connect_now', sqlState('57P03', 'the database system is starting up')],
    ['53300 too_many_connections', sqlState('53300', 'sorry, too many clients already')],
    ['57014 statement_timeout', sqlState('57014', 'canceling statement due to statement timeout')],
    ['55P03 lock_timeout', sqlState('55P03', 'canceling statement due to lock timeout')],
    ['a refused connection', socketError('ECONNREFUSED')],
    ['a reset connection', socketError('ECONNRESET')],
    ['an unreachable host', socketError('EHOSTUNREACH')],
    ['a resolver that did not answer', socketError('EAI_AGAIN')],
    ["pg.Client's connection timeout", new Error('timeout expired')],
    ["pg.Pool's connection timeout", new Error('Connection terminated due to connection timeout')],
    ['a pool whose clients stay busy', new Error('timeout exceeded when trying to connect')],
    ['the server closing the connection', new Error('Connection terminated unexpectedly')],
    ['query_timeout', new Error('Query read timeout')],
    ["an error of another realm (Node's socket errors in a Jest sandbox)", { message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' }],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['42P01 undefined_table (a bug)', sqlState('42P01', 'relation "customers" does not exist')],
    ['23505 unique_violation', sqlState('23505')],
    ['28P01 wrong password (configuration)', sqlState('28P01')],
    ['3D000 no such database (configuration)', sqlState('3D000')],
    ['08P01 protocol_violation (a client bug)', sqlState('08P01')],
    ['53100 disk_full (needs an operator)', sqlState('53100')],
    ['53200 out_of_memory', sqlState('53200')],
    ['40P01 deadlock (a conflict, not an outage)', sqlState('40P01')],
    ['a host name that does not resolve (configuration)', socketError('ENOTFOUND')],
    ['an error that only mentions a timeout', new Error('Connection terminated due to connection timeout in my code')],
    ['a domain error', new DomainError('unavailable', 'tenant_database_busy', 'timeout expired')],
    ['nothing', undefined],
    ['a string', 'timeout expired'],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('toProblemDetails of a database that is not answering', () => {
  it('is 503 database_unavailable with a message that shows nothing of the database', () => {
    const problem = toProblemDetails(socketError('ECONNREFUSED'), '/v1/customers');

    expect(problem).toEqual({
      type: 'urn:pulse:problem:database_unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is not answering just now; retry in a few seconds.',
      code: 'database_unavailable',
      instance: '/v1/customers',
    });
  });

  it('leaves a query that is wrong a 500', () => {
    expect(toProblemDetails(sqlState('42P01')).status).toBe(500);
  });
});
