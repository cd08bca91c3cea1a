import { databaseConnectionSchema, filesConnectionSchema } from './sources.schemas';

describe('filesConnectionSchema', () => {
  const accepts = (connection: Record<string, unknown>) => filesConnectionSchema.safeParse({ kind: 'files', ...connection }).success;

  it('takes buckets and regions as the clouds name them', () => {
    expect(accepts({ url: 's3://lake-2026/daily/*.csv', region: 'sa-east-1' })).toBe(true);
    expect(accepts({ url: 'gs://pulse_exports.example.com/orders.ndjson' })).toBe(true);
    expect(accepts({ url: 's3://exports' })).toBe(true);
    expect(accepts({ url: 'https://files.example.com/export.csv' })).toBe(true);
  });

  it('refuses a bucket or region that would put another host in the S3 request', () => {
    // Each would have sent the signed listing to attacker.example.
    expect(accepts({ url: 's3://attacker.example#/x' })).toBe(false);
    expect(accepts({ url: 's3://attacker.example:443/x' })).toBe(false);
    expect(accepts({ url: 's3://user@attacker.example/x' })).toBe(false);
    expect(accepts({ url: 's3://exports/x', region: 'x.attacker.example/' })).toBe(false);
    expect(accepts({ url: 's3://exports/x', region: 'us-east-1.attacker.example' })).toBe(false);
  });
});

describe('databaseConnectionSchema', () => {
  const base = { kind: 'postgres', host: 'db.example.com', port: 5432, database: 'shop', user: 'reader', table: { name: 'customers' }, syncMode: 'full_refresh', primaryKey: ['id'] };
  const accepts = (connection: Record<string, unknown>) => databaseConnectionSchema.safeParse({ ...base, ...connection }).success;

  it('takes host names and addresses as drivers connect to them', () => {
    expect(accepts({})).toBe(true);
    expect(accepts({ host: '10.0.0.5' })).toBe(true);
    expect(accepts({ host: '2001:db8::5' })).toBe(true);
    expect(accepts({ host: 'db_1.internal.' })).toBe(true);
    expect(accepts({ kind: 'oracle', database: 'ORCLPDB1.example.com' })).toBe(true);
    expect(accepts({ kind: 'oracle', database: 'ORCLPDB1:pooled' })).toBe(true);
    expect(accepts({ sshTunnel: { host: 'bastion.example.com', username: 'tunnel' } })).toBe(true);
  });

  it('refuses a host or an Oracle service name that would make the driver reach another host', () => {
    // SQL Server's named instance: a UDP probe of the SQL Browser before the address policy runs.
    expect(accepts({ kind: 'mssql', host: '10.0.0.5\\INST' })).toBe(false);
    expect(accepts({ host: 'db.example.com:6543' })).toBe(false);
    expect(accepts({ host: 'db.example.com/other' })).toBe(false);
    expect(accepts({ sshTunnel: { host: 'bastion.example.com -oProxyCommand=x', username: 'tunnel' } })).toBe(false);
    // Easy Connect parameters: another address first, an HTTPS proxy, the certificate name check off.
    expect(accepts({ kind: 'oracle', database: 'ORCLPDB1?retry_count="1)(ADDRESS=(PROTOCOL=tcp)(HOST=attacker.example)(PORT=1521)"' })).toBe(false);
    expect(accepts({ kind: 'oracle', database: 'ORCL?https_proxy=10.0.0.1&https_proxy_port=80' })).toBe(false);
    expect(accepts({ kind: 'oracle', database: 'ORCL?ssl_server_dn_match=false' })).toBe(false);
  });
});
