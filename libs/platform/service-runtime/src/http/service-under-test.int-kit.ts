import { Body, Controller, Get, Module, Param, Put, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { z } from 'zod';
import { ApiRoute } from '../openapi/api-route.decorator';
import { createServiceApp } from '../run-service';
import { BodyMediaTypeGuard } from './body-media-type';
import { MalformedBodyGuard } from './malformed-body.guard';
import { ZodValidationPipe } from './zod-validation.pipe';

// A service built by createServiceApp, as every Pulse service is, with one small resource, listening on
// a local port: what a client sees of the HTTP stack itself (parser, router, body parsers, errors).

const itemParams = z.strictObject({ id: z.string().min(1).max(255) });
const itemBody = z.strictObject({ name: z.string() });

@Controller('v1/items')
class ItemsController {
  @Get()
  @ApiRoute({ summary: 'Items', responses: { 200: { description: 'Items' } } })
  list(): { items: unknown[] } {
    return { items: [] };
  }

  @Get(':id')
  @ApiRoute({ summary: 'One item', params: itemParams, responses: { 200: { description: 'The item' } } })
  get(@Param(new ZodValidationPipe(itemParams, 'path')) { id }: z.output<typeof itemParams>): { id: string } {
    return { id };
  }

  @Put(':id')
  @ApiRoute({ summary: 'Store an item', params: itemParams, body: itemBody, responses: { 200: { description: 'The item' } } })
  put(@Param(new ZodValidationPipe(itemParams, 'path')) { id }: z.output<typeof itemParams>, @Body(new ZodValidationPipe(itemBody, 'body')) body: z.output<typeof itemBody>) {
    return { id, ...body };
  }
}

// The body guards every service with body routes registers (after its authentication guard: this one has none).
@Module({
  controllers: [ItemsController],
  providers: [
    { provide: APP_GUARD, useClass: BodyMediaTypeGuard },
    { provide: APP_GUARD, useClass: MalformedBodyGuard },
  ],
})
class ItemsModule {}

export async function startServiceUnderTest(): Promise<{ app: NestFastifyApplication; baseUrl: string; port: number }> {
  const root: DynamicModule = { module: ItemsModule };
  const app = await createServiceApp(root, {
    name: 'items',
    version: 'test',
    environment: 'test',
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'fatal', format: 'json' },
    shutdownTimeoutMs: 1_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = await app.getUrl();
  return { app, baseUrl, port: Number(new URL(baseUrl).port) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `request` as given on a new connection (fetch and node:http refuse to send malformed requests)
 * and parses the one response it gets (until the server closes the connection).
 */
export function sendRaw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while the request is still being written (a 431): that is its answer.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}
