import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { UploadMeter, UploadTooLargeError } from './upload-meter';

describe('UploadMeter', () => {
  it('passes the bytes through and hashes them as a whole', async () => {
    const meter = new UploadMeter(100);
    const out = await text(Readable.from([Buffer.from('external_id\n'), Buffer.from('c1\n')]).pipe(meter));
    expect(out).toBe('external_id\nc1\n');
    expect(meter.bytes).toBe(15);
    expect(meter.digest()).toBe(createHash('sha256').update('external_id\nc1\n').digest('hex'));
  });

  it('fails the stream once more than the limit has passed', async () => {
    const meter = new UploadMeter(10);
    await expect(text(Readable.from([Buffer.from('123456'), Buffer.from('789012')]).pipe(meter))).rejects.toBeInstanceOf(UploadTooLargeError);
  });
});
