import { Writable } from 'node:stream';
import { createRootLogger } from './root-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const settings = { service: 'api', version: '1.2.3', level: 'info', format: 'json' as const };

describe('createRootLogger', () => {
  it('writes JSON lines with service, version, message and Cloud Logging severity', () => {
    const { lines, stream } = capture();
    const logger = createRootLogger(settings, stream);

    logger.child({ correlationId: 'abc-123', tenantId: 't-1' }).warn('disk almost full');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'api',
      version: '1.2.3',
      severity: 'WARNING',
      message: 'disk almost full',
      correlationId: 'abc-123',
      tenantId: 't-1',
    });
    expect(typeof lines[0]?.['time']).toBe('string');
  });

  it('never writes authorization headers or passwords', () => {
    const { lines, stream } = capture();
    const logger = createRootLogger(settings, stream);

    logger.info({ req: { headers: { authorization: 'Bearer pk_live_secret' } }, db: { password: 'hunter2' } }, 'request');

    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('pk_live_secret');
    expect(line).not.toContain('hunter2');
    expect(line).toContain('[redacted]');
  });

  it('drops lines below the configured level', () => {
    const { lines, stream } = capture();
    createRootLogger({ ...settings, level: 'warn' }, stream).info('chatty');
    expect(lines).toHaveLength(0);
  });
});
