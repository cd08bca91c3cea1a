import { get, type IncomingHttpHeaders } from 'node:http';

/**
 * A GET with these headers; a list sends its header once per value, which fetch cannot do (it joins
 * them into one): for tests of what a server makes of a repeated header.
 */
export function getWithHeaders(url: string, headers: Record<string, string | string[]>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
  });
}
