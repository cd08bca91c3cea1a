import { createHash, createHmac, generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

/** A local HTTP server whose answers a test scripts; it records every request it gets. */
export class LocalFake {
  readonly requests: RecordedRequest[] = [];
  handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end();
  base = '';
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
      this.handler(request, response);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function sendJson(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A throwaway service-account key and a checker for the self-signed JWTs made from it. */
export function testServiceAccount(): { keyFile: string; verifyBearer(header: string | undefined): Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = JSON.stringify({
    type: 'service_account',
    client_email: 'pulse-reader@tenant-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    private_key_id: 'key-1',
  });
  const publicPem = publicKey;
  return {
    keyFile,
    verifyBearer(header) {
      const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
      if (!token) throw new Error('no bearer token');
      const [head, payload, signature] = token.split('.');
      const valid = verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), publicPem, Buffer.from(signature ?? '', 'base64url'));
      if (!valid) throw new Error('bad JWT signature');
      return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    },
  };
}

/**
 * Recomputes an AWS SigV4 signature from the request as the server received it, written from the AWS
 * documentation (canonical request -> string to sign -> HMAC chain), independently of the signer used.
 */
export function sigV4Valid(request: RecordedRequest, secretAccessKey: string): boolean {
  const authorization = String(request.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return false;
  const [, , date, region, service, signedHeaders, signature] = match as unknown as string[];
  const [path, query = ''] = request.path.split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => encodeURIComponent(decodeURIComponent(part))) as [string, string?])
    .sort(([a, av = ''], [b, bv = '']) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value = '']) => `${name}=${value}`)
    .join('&');
  const names = (signedHeaders as string).split(';');
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? createHash('sha256').update('').digest('hex'));
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', String(request.headers['x-amz-date']), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date as string), region as string), service as string), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex') === signature;
}
