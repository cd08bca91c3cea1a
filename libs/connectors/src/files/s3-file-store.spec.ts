import type { HttpClient } from '../http/http-client';
import { S3FileStore } from './s3-file-store';

const EMPTY_LISTING = '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>';

/** The URLs and headers the store would send (an HttpClient that answers every listing with an empty one). */
async function listingRequest(bucket: string, endpoint?: string): Promise<{ url: string; authorization: string }> {
  const sent: { url: string; authorization: string }[] = [];
  const http = {
    getText: async (url: string, headers: Record<string, string>) => {
      sent.push({ url, authorization: headers['authorization'] ?? '' });
      return { text: EMPTY_LISTING };
    },
  } as unknown as HttpClient;
  const store = new S3FileStore(bucket, http, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'sa-east-1', ...(endpoint ? { endpoint } : {}) });
  for await (const file of store.list('daily/')) throw new Error(`unexpected ${file.uri}`);
  return sent[0] as { url: string; authorization: string };
}

describe('S3FileStore: where requests go', () => {
  it('addresses a bucket whose name has a dot path-style, which AWS certificates cover (virtual-hosted style fails TLS)', async () => {
    expect((await listingRequest('my.exports')).url).toBe('https://s3.sa-east-1.amazonaws.com/my.exports/?list-type=2&prefix=daily%2F');
  });

  it('keeps virtual-hosted style for other buckets, and path-style on a configured endpoint', async () => {
    const hosted = await listingRequest('exports');
    expect(hosted.url).toBe('https://exports.s3.sa-east-1.amazonaws.com/?list-type=2&prefix=daily%2F');
    expect(hosted.authorization).toContain('Credential=AKIDEXAMPLE/');
    expect((await listingRequest('my.exports', 'http://127.0.0.1:9000')).url).toBe('http://127.0.0.1:9000/my.exports/?list-type=2&prefix=daily%2F');
  });
});
