import { Readable } from 'node:stream';
import { decodeText, detectEncoding } from './text-decoding';

async function decodeAll(bytes: Buffer, chunkSize: number): Promise<string> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const decoded = await decodeText(Readable.from(chunks, { objectMode: false }), undefined);
  let text = '';
  for await (const chunk of decoded.chunks) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

describe('detectEncoding', () => {
  it('tells UTF-8 (with or without BOM) from Windows-1252 and refuses UTF-16 and binary files', () => {
    expect(detectEncoding(Buffer.from('São Paulo', 'utf8'), true)).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), true)).toBe('utf-8');
    expect(detectEncoding(Buffer.from('São Paulo', 'latin1'), true)).toBe('windows-1252');
    // A sample cut inside "ã" (0xC3 0xA3) is still UTF-8.
    expect(detectEncoding(Buffer.from([0x53, 0xc3]), false)).toBe('utf-8');
    expect(() => detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]), true)).toThrow(expect.objectContaining({ code: 'unknown_encoding' }));
    expect(() => detectEncoding(Buffer.from([0x61, 0x00, 0x62]), true)).toThrow(expect.objectContaining({ code: 'unreadable_file' }));
  });
});

describe('decodeText', () => {
  // Over the 64 KiB sample so the streaming path runs; 4-byte emoji, 3-byte €, 2-byte ã.
  const text = `${'São Paulo € 😀\r\n'.repeat(5000)}`;

  it.each([1, 2, 3, 5, 4096])('never splits a UTF-8 character with %i-byte chunks, and strips the BOM', async (chunkSize) => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    expect(await decodeAll(bytes, chunkSize)).toBe(text);
  });

  it('decodes Windows-1252, including the 0x80-0x9F range (€, curly quotes)', async () => {
    const bytes = Buffer.concat([Buffer.from('a;b\r\n', 'latin1'), Buffer.from([0x80, 0x93, 0x61, 0x94, 0xe3])]);
    expect(await decodeAll(bytes, 3)).toBe('a;b\r\n€\u201ca\u201dã');
  });
});
