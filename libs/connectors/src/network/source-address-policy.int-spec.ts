import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceConnection } from '@pulse/contracts';
import { createTestDatabase, mariadbTestUrl, withClient, type TestDatabase } from '@pulse/testing';
import { openSource } from '../open-source';
import { SourceAddressPolicy, type AddressLookup } from './source-address-policy';
import { LOOPBACK_ALLOW_LIST } from './local-networks.int-kit';

/** A resolver that knows names real DNS does not: a connection that works through one was pinned to its answer. */
const pinnedDns: AddressLookup = async (host) => {
  if (host === 'api.pinned.test' || host === 'db.pinned.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

const REFUSED_LOOPBACK = {
  code: 'source_address_not_allowed',
  message: expect.stringMatching(/^The source host 127\.0\.0\.1 is a loopback address\. .*SOURCE_ALLOWED_PRIVATE_NETWORKS/),
};

describe('REST and file sources against a server on loopback', () => {
  let server: Server;
  let base = '';
  const seen: { url: string; flavor?: string }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', flavor: request.headers['metadata-flavor'] as string | undefined });
      response.writeHead(200, { 'content-type': request.url?.endsWith('.csv') ? 'text/csv' : 'application/json' });
      response.end(request.url?.endsWith('.csv') ? 'id\n1\n' : JSON.stringify([{ id: 1, secret: 'internal' }]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => void (seen.length = 0));

  const rest = (url: string, headers: Record<string, string> = {}): SourceConnection =>
    ({ kind: 'rest', url, recordsPath: '$', pagination: { type: 'none' }, auth: { type: 'none' }, headers, primaryKey: [] }) as SourceConnection;

  it('refuses a metadata-style request to 127.0.0.1 without the allow-list: no request reaches the server', async () => {
    const opened = await openSource(rest(`${base}/computeMetadata/v1/instance/service-accounts/default/token`, { 'Metadata-Flavor': 'Google' }), {}, { addresses: SourceAddressPolicy.publicOnly() });
    try {
      await expect(opened.preview(10)).rejects.toMatchObject(REFUSED_LOOPBACK);
      await expect(opened.columns()).rejects.toMatchObject({ code: 'source_address_not_allowed' });
    } finally {
      await opened.close();
    }
    expect(seen).toEqual([]);
  });

  it('reads the same source when the operator allows loopback', async () => {
    const opened = await openSource(rest(`${base}/items`), {}, { addresses: SourceAddressPolicy.allowing(LOOPBACK_ALLOW_LIST) });
    try {
      expect(await opened.preview(10)).toEqual([{ id: 1, secret: 'internal' }]);
    } finally {
      await opened.close();
    }
    expect(seen).toEqual([{ url: '/items' }]);
  });

  it('refuses an IPv4-mapped IPv6 spelling of loopback', async () => {
    const port = new URL(base).port;
    const opened = await openSource(rest(`http://[::ffff:127.0.0.1]:${port}/items`), {}, { addresses: SourceAddressPolicy.publicOnly() });
    try {
      await expect(opened.preview(10)).rejects.toMatchObject({ code: 'source_address_not_allowed', message: expect.stringContaining('loopback') });
    } finally {
      await opened.close();
    }
    expect(seen).toEqual([]);
  });

  it('connects to the address the policy checked, never resolving the name a second time', async () => {
    // Real DNS does not know api.pinned.test: only the policy's (pinned) answer can have been used.
    const port = new URL(base).port;
    const opened = await openSource(rest(`http://api.pinned.test:${port}/items`), {}, { addresses: SourceAddressPolicy.allowing(['api.pinned.test'], pinnedDns) });
    try {
      expect(await opened.preview(10)).toEqual([{ id: 1, secret: 'internal' }]);
    } finally {
      await opened.close();
    }
  });

  it('refuses a files source whose S3 endpoint is an internal address', async () => {
    const files = { kind: 'files', url: 's3://lake/exports/*.csv', format: 'csv', endpoint: base } as SourceConnection;
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const opened = await openSource(files, credentials, { addresses: SourceAddressPolicy.publicOnly() });
    try {
      await expect(opened.preview(10)).rejects.toMatchObject(REFUSED_LOOPBACK);
    } finally {
      await opened.close();
    }
    expect(seen).toEqual([]);
  });
});

describe('database sources on loopback', () => {
  let database: TestDatabase;
  let url: URL;
  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'conn_addr' });
    await withClient(database.url, (client) => client.query('CREATE TABLE accounts (id integer PRIMARY KEY); INSERT INTO accounts VALUES (7)'));
    url = new URL(database.url);
  });
  afterAll(() => database.drop());

  const postgres = (host: string): SourceConnection =>
    ({
      kind: 'postgres', host, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username),
      table: { name: 'accounts' }, syncMode: 'full_refresh', cursorColumns: [], primaryKey: ['id'], lookbackSeconds: 0, pageSize: 100,
    }) as SourceConnection;
  const password = () => (url.password ? { password: decodeURIComponent(url.password) } : {});

  it('refuses a postgres source at 127.0.0.1 (where the Cloud SQL proxy sidecar listens in production) without the allow-list', async () => {
    await expect(openSource(postgres('127.0.0.1'), password(), { addresses: SourceAddressPolicy.publicOnly() })).rejects.toMatchObject(REFUSED_LOOPBACK);
  });

  it('refuses it by name too, and in the IPv4-mapped form', async () => {
    const named = SourceAddressPolicy.publicOnly(pinnedDns);
    await expect(openSource(postgres('db.pinned.test'), password(), { addresses: named })).rejects.toMatchObject({
      code: 'source_address_not_allowed',
      message: expect.stringContaining('The source host db.pinned.test resolves to 127.0.0.1, a loopback address'),
    });
    await expect(openSource(postgres('::ffff:127.0.0.1'), password(), { addresses: SourceAddressPolicy.publicOnly() })).rejects.toMatchObject({ code: 'source_address_not_allowed' });
  });

  it('reads it with the allow-list, connected to the pinned address', async () => {
    const opened = await openSource(postgres('db.pinned.test'), password(), { addresses: SourceAddressPolicy.allowing(['db.pinned.test'], pinnedDns) });
    try {
      expect(await opened.preview(10)).toEqual([{ id: 7 }]);
    } finally {
      await opened.close();
    }
  });

  const mariadb = mariadbTestUrl();
  (mariadb ? it : it.skip)('refuses a mysql source at 127.0.0.1 without the allow-list and reads one with it', async () => {
    const server = new URL(mariadb as string);
    const mysql = {
      kind: 'mysql', host: '127.0.0.1', port: Number(server.port || 3306), database: 'mysql', user: decodeURIComponent(server.username),
      query: 'SELECT 1 AS one', syncMode: 'full_refresh', cursorColumns: [], primaryKey: ['one'], lookbackSeconds: 0, pageSize: 100,
    } as SourceConnection;
    const credentials = server.password ? { password: decodeURIComponent(server.password) } : {};
    await expect(openSource(mysql, credentials, { addresses: SourceAddressPolicy.publicOnly() })).rejects.toMatchObject(REFUSED_LOOPBACK);
    const opened = await openSource({ ...mysql, host: 'db.pinned.test' } as SourceConnection, credentials, { addresses: SourceAddressPolicy.allowing(['db.pinned.test'], pinnedDns) });
    try {
      expect(await opened.preview(1)).toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
    }
  });
});
