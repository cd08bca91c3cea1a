import { GoogleAccess } from '../google/google-access';
import { HttpClient } from '../http/http-client';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';
import { FileConnector, parseFileUrl } from './file-connector';
import { GCS_READ_SCOPE, GcsFileStore } from './gcs-file-store';
import { S3FileStore } from './s3-file-store';
import { LocalFake, sendJson, testServiceAccount } from './storage-fakes.int-kit';

/** A listing endpoint (tenant-configurable) that never ends its pagination must fail the read, not spin. */
describe('object-storage listings that do not end', () => {
  const fake = new LocalFake();
  const account = testServiceAccount();
  const clients: HttpClient[] = [];
  const http = (limits: ConstructorParameters<typeof HttpClient>[2] = {}) => {
    const client = new HttpClient(LOCAL_TEST_ADDRESSES, { maxRetries: 0 }, limits);
    clients.push(client);
    return client;
  };
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => void (fake.requests.length = 0));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  const gcs = (maxListingPages?: number) =>
    new FileConnector(parseFileUrl('gs://exports-bucket/crm/*.csv'), new GcsFileStore('exports-bucket', http(), new GoogleAccess(account.keyFile, [GCS_READ_SCOPE]), fake.base, maxListingPages));
  const s3 = (limits: ConstructorParameters<typeof HttpClient>[2] = {}, maxListingPages?: number) =>
    new FileConnector(
      parseFileUrl('s3://lake/daily/*.csv'),
      new S3FileStore('lake', http(limits), { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1', endpoint: fake.base }, maxListingPages),
    );
  const s3Listing = (key: string, token: string | null) =>
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>lake</Name><Contents><Key>${key}</Key><ETag>"e-${key}"</ETag><Size>6</Size></Contents>` +
    `<IsTruncated>${token === null ? 'false' : 'true'}</IsTruncated>${token === null ? '' : `<NextContinuationToken>${token}</NextContinuationToken>`}</ListBucketResult>`;

  it('gs://: a nextPageToken already used fails the read with source_pagination_loop', async () => {
    // Page 1 -> token t1 -> page 2 -> token t1 again.
    fake.handler = (request, response) => {
      const token = new URL(request.url ?? '', fake.base).searchParams.get('pageToken');
      sendJson(response, { items: [{ name: `crm/${token ?? 'first'}.csv`, generation: '1', size: '3' }], nextPageToken: 't1' });
    };
    await expect(gcs().readPage(null, { syncStart: true })).rejects.toMatchObject({
      code: 'source_pagination_loop',
      message: "gs://exports-bucket: the listing's nextPageToken leads back to a page this sync already read (after 2 pages), so the read would never end",
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('gs://: a listing that invents new tokens forever stops at the page bound', async () => {
    let served = 0;
    fake.handler = (_request, response) => sendJson(response, { items: [], nextPageToken: `t${(served += 1)}` });
    await expect(gcs(20).readPage(null, { syncStart: true })).rejects.toMatchObject({ code: 'source_too_many_pages', message: expect.stringContaining('more than 20 pages') });
    expect(fake.requests).toHaveLength(20);
  });

  it('s3://: a NextContinuationToken already used fails the read with source_pagination_loop', async () => {
    fake.handler = (request, response) => {
      const token = new URL(request.url ?? '', fake.base).searchParams.get('continuation-token');
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(s3Listing(`daily/${token ?? 'first'}.csv`, 'same-token'));
    };
    await expect(s3().readPage(null, { syncStart: true })).rejects.toMatchObject({
      code: 'source_pagination_loop',
      message: "s3://lake: the listing's NextContinuationToken leads back to a page this sync already read (after 2 pages), so the read would never end",
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('s3://: a listing page over the response size limit is refused', async () => {
    fake.handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(s3Listing(`daily/${'k'.repeat(4096)}.csv`, null));
    };
    await expect(s3({ maxResponseBytes: 4096 }).readPage(null, { syncStart: true })).rejects.toMatchObject({
      code: 'source_response_too_large',
      message: `${fake.base}/lake/ answered with more than 4 KiB, the most one response may hold; ask the source for smaller pages`,
    });
  });

  it('s3://: a listing that ends is read whole', async () => {
    fake.handler = (request, response) => {
      const token = new URL(request.url ?? '', fake.base).searchParams.get('continuation-token');
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(token === null ? s3Listing('daily/a.csv', 'p2') : s3Listing('daily/b.csv', null));
    };
    const connector = s3({}, 2);
    const page = await connector.readPage(null, { syncStart: true });
    expect(page.kind === 'file' && [page.file.uri, page.done]).toEqual(['s3://lake/daily/a.csv', false]);
  });
});
