import { sourceConnectionSchema } from '@pulse/contracts';
import { credentialDestination } from './credential-destination';

const destination = (connection: Record<string, unknown>) => credentialDestination(sourceConnectionSchema.parse(connection));

describe('credentialDestination: where a source sends its stored credentials', () => {
  const database = { kind: 'postgres', host: 'db.example.com', port: 5432, database: 'crm', user: 'reader', table: { name: 'accounts' }, cursorColumns: ['updated_at'], primaryKey: ['id'] };

  it('moves with the database host, port, kind, TLS settings and SSH bastion', () => {
    const same = destination(database);
    expect(destination({ ...database, host: 'attacker.example.net' })).not.toBe(same);
    expect(destination({ ...database, port: 15432 })).not.toBe(same);
    expect(destination({ ...database, kind: 'mysql' })).not.toBe(same);
    expect(destination({ ...database, ssl: { rejectUnauthorized: false } })).not.toBe(same);
    expect(destination({ ...database, sshTunnel: { host: 'bastion.example.net', username: 'tunnel' } })).not.toBe(same);
  });

  it('does not move with what only says what to read', () => {
    const same = destination(database);
    expect(destination({ ...database, host: 'DB.Example.com' })).toBe(same);
    expect(destination({ ...database, table: { name: 'accounts_v2' }, database: 'crm2', user: 'other', pageSize: 100 })).toBe(same);
  });

  it('moves with the origin of a REST source or of an https file, and with a storage endpoint', () => {
    const rest = { kind: 'rest', url: 'https://api.example.com/v1/customers', auth: { type: 'bearer' } };
    expect(destination({ ...rest, url: 'https://api.example.com/v2/accounts?page=1' })).toBe(destination(rest));
    expect(destination({ ...rest, url: 'https://collector.example.net/v1/customers' })).not.toBe(destination(rest));
    expect(destination({ ...rest, url: 'https://api.example.com:8443/v1/customers' })).not.toBe(destination(rest));
    expect(destination({ ...rest, auth: { type: 'api_key', queryParam: 'key' } })).not.toBe(destination(rest));

    const s3 = { kind: 'files', url: 's3://exports/customers/*.csv' };
    expect(destination({ ...s3, url: 's3://other-bucket/x.csv' })).toBe(destination(s3));
    expect(destination({ ...s3, endpoint: 'https://minio.example.net' })).not.toBe(destination(s3));
    expect(destination({ kind: 'files', url: 'https://files.example.com/a.csv' })).not.toBe(destination({ kind: 'files', url: 'https://evil.example.net/a.csv' }));
  });
});
