import type { SourceConnector, SourceFile, StreamState } from '../connector';
import { GoogleAccess } from '../google/google-access';
import { HttpClient } from '../http/http-client';
import { FileConnector, parseFileUrl } from './file-connector';
import { GCS_READ_SCOPE, GcsFileStore } from './gcs-file-store';
import { HttpsFileStore } from './https-file-store';
import { S3FileStore } from './s3-file-store';
import { LocalFake, sendJson, type RecordedRequest, sigV4Valid, testServiceAccount, text } from './storage-fakes.int-kit';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';

/** Runs one sync: every pending file, read to text. */
async function syncFiles(connector: SourceConnector, state: StreamState | null): Promise<{ files: { uri: string; version: string; format: string; body: string }[]; state: StreamState | null }> {
  const files: { uri: string; version: string; format: string; body: string }[] = [];
  for (let first = true; ; first = false) {
    const page = await connector.readPage(state, { syncStart: first });
    state = page.state;
    if (page.kind === 'file') {
      const file: SourceFile = page.file;
      files.push({ uri: file.uri, version: file.version, format: file.format, body: await text(await file.open()) });
    }
    if (page.done) return { files, state };
  }
}

describe('Cloud Storage files (gs://) against a local fake of the JSON API', () => {
  const fake = new LocalFake();
  const account = testServiceAccount();
  let objects: { name: string; generation: string; body: string }[];
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  beforeEach(() => {
    fake.requests.length = 0;
    fake.handler = (request, response) => {
      const url = new URL(request.url ?? '', fake.base);
      const claims = account.verifyBearer(request.headers.authorization);
      if (claims['scope'] !== GCS_READ_SCOPE) return sendJson(response, { error: 'wrong scope' }, 403);
      const media = /^\/storage\/v1\/b\/exports-bucket\/o\/(.+)$/.exec(url.pathname);
      if (media) {
        const object = objects.find((candidate) => candidate.name === decodeURIComponent(media[1] as string) && candidate.generation === url.searchParams.get('generation'));
        return object ? response.end(object.body) : sendJson(response, { error: 'gone' }, 404);
      }
      const prefix = url.searchParams.get('prefix') ?? '';
      const matching = objects.filter((object) => object.name.startsWith(prefix));
      // Two listing pages, to exercise pageToken.
      const start = url.searchParams.get('pageToken') === 'p2' ? 2 : 0;
      sendJson(response, {
        items: matching.slice(start, start + 2).map(({ name, generation, body }) => ({ name, generation, size: String(body.length) })),
        ...(start === 0 && matching.length > 2 ? { nextPageToken: 'p2' } : {}),
      });
    };
  });

  it('loads each matching file once, and again only when its generation changes', async () => {
    objects = [
      { name: 'crm/2026-01.csv', generation: '101', body: 'id,name\n1,Ana\n' },
      { name: 'crm/2026-02.csv', generation: '202', body: 'id,name\n2,Bia\n' },
      { name: 'crm/notes.txt', generation: '303', body: 'not data' },
      { name: 'crm/2026-03.ndjson', generation: '404', body: '{"id":3}\n' },
    ];
    const connector = new FileConnector(
      parseFileUrl('gs://exports-bucket/crm/2026-*.{csv,ndjson}'),
      new GcsFileStore('exports-bucket', new HttpClient(LOCAL_TEST_ADDRESSES, { minDelayMs: 10 }), new GoogleAccess(account.keyFile, [GCS_READ_SCOPE]), fake.base),
    );
    const first = await syncFiles(connector, null);
    expect(first.files).toEqual([
      { uri: 'gs://exports-bucket/crm/2026-01.csv', version: '101', format: 'csv', body: 'id,name\n1,Ana\n' },
      { uri: 'gs://exports-bucket/crm/2026-02.csv', version: '202', format: 'csv', body: 'id,name\n2,Bia\n' },
      { uri: 'gs://exports-bucket/crm/2026-03.ndjson', version: '404', format: 'ndjson', body: '{"id":3}\n' },
    ]);
    expect(fake.requests.map((request) => `${request.method} ${request.path}`).slice(0, 3)).toEqual([
      'GET /storage/v1/b/exports-bucket/o?prefix=crm%2F2026-&fields=items%28name%2Cgeneration%2Csize%29%2CnextPageToken',
      'GET /storage/v1/b/exports-bucket/o?prefix=crm%2F2026-&fields=items%28name%2Cgeneration%2Csize%29%2CnextPageToken&pageToken=p2',
      'GET /storage/v1/b/exports-bucket/o/crm%2F2026-01.csv?alt=media&generation=101',
    ]);

    // Nothing new: no file. Then February is overwritten (new generation) and only it loads again.
    expect((await syncFiles(connector, first.state)).files).toEqual([]);
    objects[1] = { name: 'crm/2026-02.csv', generation: '505', body: 'id,name\n2,Bianca\n' };
    const third = await syncFiles(connector, first.state);
    expect(third.files.map((file) => [file.uri, file.version, file.body])).toEqual([['gs://exports-bucket/crm/2026-02.csv', '505', 'id,name\n2,Bianca\n']]);
    expect(third.state).toEqual({ v: 1, processed: { 'gs://exports-bucket/crm/2026-01.csv': '101', 'gs://exports-bucket/crm/2026-02.csv': '505', 'gs://exports-bucket/crm/2026-03.ndjson': '404' } });
    await connector.close();
  });

  it('resumes after a crash: a file whose page was not committed is delivered again, the committed ones are not', async () => {
    objects = [
      { name: 'a.csv', generation: '1', body: 'x\n1\n' },
      { name: 'b.csv', generation: '2', body: 'x\n2\n' },
    ];
    const connector = new FileConnector(parseFileUrl('gs://exports-bucket/*.csv'), new GcsFileStore('exports-bucket', new HttpClient(LOCAL_TEST_ADDRESSES), new GoogleAccess(account.keyFile, [GCS_READ_SCOPE]), fake.base));
    const firstPage = await connector.readPage(null, { syncStart: true });
    expect(firstPage.kind === 'file' && firstPage.file.uri).toBe('gs://exports-bucket/a.csv');
    // Crash before b.csv's page is committed: the rerun starts from the state committed with a.csv.
    const rerun = await syncFiles(connector, firstPage.state);
    expect(rerun.files.map((file) => file.uri)).toEqual(['gs://exports-bucket/b.csv']);
    await connector.close();
  });
});

describe('S3 files (s3://) against a local fake of ListObjectsV2/GetObject', () => {
  const fake = new LocalFake();
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('lists by prefix with continuation, signs every request with SigV4, and reads with If-Match on the ETag', async () => {
    fake.handler = (request, response) => {
      const url = new URL(request.url ?? '', fake.base);
      if (!sigV4Valid({ method: request.method ?? '', path: request.url ?? '', headers: request.headers }, secret)) {
        response.writeHead(403);
        return response.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      }
      if (url.pathname === '/lake/') {
        const second = url.searchParams.get('continuation-token') === 'next+1';
        const contents = second
          ? '<Contents><Key>daily/2026-02-01.csv</Key><ETag>"e2"</ETag><Size>6</Size></Contents>'
          : '<Contents><Key>daily/2026-01-31.csv</Key><ETag>"e1"</ETag><Size>6</Size></Contents><Contents><Key>daily/readme.md</Key><ETag>"e9"</ETag><Size>3</Size></Contents>';
        response.writeHead(200, { 'content-type': 'application/xml' });
        return response.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>lake</Name>${contents}<IsTruncated>${second ? 'false' : 'true'}</IsTruncated>${second ? '' : '<NextContinuationToken>next+1</NextContinuationToken>'}</ListBucketResult>`,
        );
      }
      const etags: Record<string, string> = { '/lake/daily/2026-01-31.csv': '"e1"', '/lake/daily/2026-02-01.csv': '"e2"' };
      if (request.headers['if-match'] !== etags[url.pathname]) {
        response.writeHead(412);
        return response.end();
      }
      response.end(`day\n${url.pathname.slice(-6, -4)}\n`);
    };
    const connector = new FileConnector(
      parseFileUrl('s3://lake/daily/*.csv'),
      new S3FileStore('lake', new HttpClient(LOCAL_TEST_ADDRESSES), { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret, region: 'sa-east-1', endpoint: fake.base }),
    );
    const { files } = await syncFiles(connector, null);
    expect(files.map((file) => [file.uri, file.version, file.body])).toEqual([
      ['s3://lake/daily/2026-01-31.csv', 'e1', 'day\n31\n'],
      ['s3://lake/daily/2026-02-01.csv', 'e2', 'day\n01\n'],
    ]);
    expect(fake.requests.slice(0, 2).map((request) => request.path)).toEqual(['/lake/?list-type=2&prefix=daily%2F', '/lake/?list-type=2&prefix=daily%2F&continuation-token=next%2B1']);
    expect(fake.requests.every((request) => String(request.headers.authorization).includes('Credential=AKIDEXAMPLE/') && String(request.headers.authorization).includes('/sa-east-1/s3/aws4_request'))).toBe(true);
    expect(fake.requests.every((request) => !String(request.headers.authorization).includes(secret))).toBe(true);
    // The checker itself rejects a signature made with another key.
    expect(sigV4Valid(fake.requests[0] as RecordedRequest, secret)).toBe(true);
    expect(sigV4Valid(fake.requests[0] as RecordedRequest, `${secret}x`)).toBe(false);
    await connector.close();
  });
});

describe('https:// files against a local server', () => {
  const fake = new LocalFake();
  let etag = '"v1"';
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('loads the file when its ETag changes and not otherwise', async () => {
    fake.handler = (_request, response) => {
      response.writeHead(200, { etag, 'content-type': 'text/csv' });
      response.end(`id\n${etag}\n`);
    };
    const url = `${fake.base.replace('http:', 'https:')}/export.csv`;
    // The fake speaks plain HTTP: point the store at it while the connector sees the https URL.
    const connector = new FileConnector(parseFileUrl(url), new HttpsFileStore(`${fake.base}/export.csv`, new HttpClient(LOCAL_TEST_ADDRESSES)));
    const first = await syncFiles(connector, null);
    expect(first.files.map((file) => [file.version, file.body])).toEqual([['v1', 'id\n"v1"\n']]);
    expect((await syncFiles(connector, first.state)).files).toEqual([]);
    etag = '"v2"';
    expect((await syncFiles(connector, first.state)).files.map((file) => file.version)).toEqual(['v2']);
    expect(fake.requests.filter((request) => request.headers['if-match']).map((request) => request.headers['if-match'])).toEqual(['"v1"', '"v2"']);
    await connector.close();
  });

  it('reads a file served with Last-Modified only (or a weak ETag) under If-Unmodified-Since, which such servers honour', async () => {
    const lastModified = 'Wed, 25 Nov 2026 10:00:00 GMT';
    for (const validators of [{ 'last-modified': lastModified }, { etag: 'W/"v1"', 'last-modified': lastModified }]) {
      fake.requests.length = 0;
      // As Apache without ETags (or any server for a weak one): If-Match never matches, 412.
      fake.handler = (request, response) => {
        if (request.headers['if-match'] !== undefined) {
          response.writeHead(412);
          response.end();
          return;
        }
        response.writeHead(200, { ...validators, 'content-type': 'text/csv' });
        response.end('id\n1\n');
      };
      const connector = new FileConnector(parseFileUrl(`${fake.base.replace('http:', 'https:')}/plain.csv`), new HttpsFileStore(`${fake.base}/plain.csv`, new HttpClient(LOCAL_TEST_ADDRESSES)));
      const first = await syncFiles(connector, null);
      expect(first.files.map((file) => file.body)).toEqual(['id\n1\n']);
      expect(fake.requests.map((request) => request.headers['if-unmodified-since']).filter(Boolean)).toEqual([lastModified]);
      await connector.close();
    }
  });
});

describe('parseFileUrl', () => {
  it('splits bucket, listing prefix and glob', () => {
    expect(parseFileUrl('gs://b/exports/2026-*/orders.csv')).toEqual({ scheme: 'gs', bucket: 'b', prefix: 'exports/2026-', pattern: 'exports/2026-*/orders.csv', object: null });
    expect(parseFileUrl('s3://b/plain/prefix/')).toEqual({ scheme: 's3', bucket: 'b', prefix: 'plain/prefix/', pattern: null, object: null });
    expect(parseFileUrl('gs://b/exports/customers.csv')).toEqual({ scheme: 'gs', bucket: 'b', prefix: 'exports/customers.csv', pattern: null, object: 'exports/customers.csv' });
    expect(() => parseFileUrl('ftp://x/y')).toThrow('A file source URL must start with gs://, s3:// or https://');
  });
});
