import Fastify from 'fastify';
import pino from 'pino';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { assignRequestLogFields, requestLogger, requestLoggingHooks } from './request-log';

// The request log hooks on an in-process Fastify server (inject: no sockets), their lines captured.

function captureLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

async function serverWith(level: string) {
  const { logger, lines } = captureLogger(level);
  const hooks = requestLoggingHooks(logger);
  const server = Fastify({ genReqId: (req) => String(req.headers['x-correlation-id'] ?? 'generated') });
  server.addHook('onRequest', hooks.onRequest);
  server.addHook('onResponse', hooks.onResponse);
  server.addHook('onRequestAbort', hooks.onRequestAbort);
  // What a guard and a handler do: name the tenant, then log about the request.
  server.get('/tenant-route', async (request) => {
    assignRequestLogFields(request, { tenantId: 't-1' });
    await new Promise((resolve) => setImmediate(resolve));
    requestLogger(request, logger).warn({ step: 'after-await' }, 'something to look at');
    return { ok: true };
  });
  server.get('/broken', async () => {
    throw new Error('boom');
  });
  server.get('/healthz', async () => ({ status: 'ok' }));
  let arrived: () => void = () => undefined;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  server.get('/slow', async () => {
    arrived();
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { late: true };
  });
  await server.ready();
  return { server, lines, slowArrived };
}

describe('request logging hooks', () => {
  it('tags lines written while serving a request, and its completion line, with its correlation id and assigned fields', async () => {
    const { server, lines } = await serverWith('info');
    const response = await server.inject({ url: '/tenant-route?x=1', headers: { 'x-correlation-id': 'corr-1' } });
    expect(response.statusCode).toBe(200);

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, correlationId: 'corr-1', tenantId: 't-1', step: 'after-await', msg: 'something to look at' });
    expect(lines[1]).toMatchObject({
      level: 30,
      correlationId: 'corr-1',
      tenantId: 't-1',
      req: { method: 'GET', url: '/tenant-route?x=1' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(typeof lines[1]?.responseTime).toBe('number');
  });

  it('keeps one request’s fields off another’s lines', async () => {
    const { server, lines } = await serverWith('info');
    await Promise.all([
      server.inject({ url: '/tenant-route', headers: { 'x-correlation-id': 'a' } }),
      server.inject({ url: '/healthz', headers: { 'x-correlation-id': 'b' } }),
      server.inject({ url: '/broken', headers: { 'x-correlation-id': 'c' } }),
    ]);
    const completed = lines.filter((line) => line.res !== undefined);
    expect(completed.map((line) => [line.correlationId, line.tenantId])).toEqual(expect.arrayContaining([['a', 't-1'], ['c', undefined]]));
  });

  it('logs a 5xx as "request errored", a warning (the failure is logged by whoever knows why), and no health probe', async () => {
    const { server, lines } = await serverWith('info');
    await server.inject({ url: '/healthz', headers: { 'x-correlation-id': 'probe' } });
    await server.inject({ url: '/broken', headers: { 'x-correlation-id': 'bad' } });

    expect(lines.filter((line) => line.correlationId === 'probe')).toEqual([]);
    expect(lines.filter((line) => line.correlationId === 'bad' && line.res !== undefined)).toEqual([
      expect.objectContaining({ level: 40, res: { statusCode: 500 }, msg: 'request errored' }),
    ]);
  });

  it('writes no completion line for a successful request at level warn, but still the 5xx one', async () => {
    const { server, lines } = await serverWith('warn');
    await server.inject({ url: '/tenant-route', headers: { 'x-correlation-id': 'quiet' } });
    await server.inject({ url: '/broken', headers: { 'x-correlation-id': 'loud' } });

    expect(lines.map((line) => [line.correlationId, line.msg])).toEqual([
      ['quiet', 'something to look at'],
      ['loud', 'request errored'],
    ]);
  });

  it('writes "request aborted" when the client hangs up before its response, and no completion line', async () => {
    const { server, lines, slowArrived } = await serverWith('info');
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const client = httpRequest({ host: '127.0.0.1', port, path: '/slow?page=2', headers: { 'x-correlation-id': 'gone' } });
      client.on('error', () => undefined); // the socket we destroy
      client.end();
      await slowArrived;
      client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 400)); // past the handler's reply

      expect(lines.filter((line) => line.correlationId === 'gone')).toEqual([
        expect.objectContaining({ level: 30, req: { method: 'GET', url: '/slow?page=2' }, msg: 'request aborted', responseTime: expect.any(Number) }),
      ]);
    } finally {
      await server.close();
    }
  });
});
