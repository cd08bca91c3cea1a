import { Readable } from 'node:stream';
import { decodeText, detectEncoding, LineCounter } from './text-decoding';

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

describe('a UTF-16 file without a byte-order mark', () => {
  const text = 'external_id,name\r\nC1,São Paulo\r\nC2,Ana\r\n';
  const littleEndian = Buffer.from(text, 'utf16le');
  const bigEndian = Buffer.from(littleEndian).swap16();

  it('is refused as UTF-16 (not as binary), in either byte order, for CSV and NDJSON alike', async () => {
    for (const bytes of [littleEndian, bigEndian]) {
      const refused = expect.objectContaining({
        code: 'unknown_encoding',
        message: 'The file looks like UTF-16 without a byte-order mark (every other byte is NUL); save it as UTF-8 (or Latin-1) text.',
      });
      expect(() => detectEncoding(bytes, true)).toThrow(refused);
      for (const format of ['csv', 'ndjson'] as const) await expect(decodeText(Readable.from([bytes], { objectMode: false }), undefined, format)).rejects.toEqual(refused);
    }
  });

  it('leaves other files with NUL bytes binary', () => {
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xc8]);
    expect(() => detectEncoding(binary, true)).toThrow(expect.objectContaining({ code: 'unreadable_file' }));
    // Text with a NUL here and there (a few pairs are no sign of UTF-16).
    expect(() => detectEncoding(Buffer.from('external_id,name\nC1,A\u0000na\nC2,Bia\n'), true)).toThrow(expect.objectContaining({ code: 'unreadable_file' }));
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

  it('fails a Windows-1252 file with a byte Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D) instead of loading U+FFFD', async () => {
    for (const byte of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) {
      const bytes = Buffer.concat([Buffer.from('id;name\r\nW1;Fran', 'latin1'), Buffer.from([0xe7]), Buffer.from('ois\r\nW2;', 'latin1'), Buffer.from([byte])]);
      await expect(decodeAll(bytes, 5)).rejects.toMatchObject({
        code: 'invalid_encoding',
        message: expect.stringContaining(`byte 0x${byte.toString(16).toUpperCase()} at byte offset 25 (line 3) is no character in Windows-1252`),
      });
    }
  });
});

describe('the encoding of a file in two encodings', () => {
  // Line 2 is UTF-8 ("ã": C3 A3 at byte offset 21), line 3 Latin-1 ("ç": E7 at byte offset 38).
  const mixed = Buffer.concat([Buffer.from('external_id,name\nM1,São Paulo\nM2,Fran', 'utf8'), Buffer.from([0xe7]), Buffer.from('a\n', 'utf8')]);

  it('is refused, naming the first byte that is not UTF-8 and the first UTF-8 character, with their offsets and lines', () => {
    expect(() => detectEncoding(mixed, true)).toThrow(
      expect.objectContaining({
        code: 'invalid_encoding',
        message:
          'The file mixes encodings: byte 0xE7 at byte offset 38 (line 3) is not UTF-8, while "ã" at byte offset 21 (line 2) is UTF-8. ' +
          'Save the whole file in one encoding (UTF-8), or, if all of it is Windows-1252 (Latin-1), set the import encoding to windows-1252.',
      }),
    );
  });

  it('is decoded as the import says when it names an encoding', async () => {
    const asWindows1252 = await decodeText(Readable.from([mixed], { objectMode: false }), 'windows-1252');
    let text = '';
    for await (const chunk of asWindows1252.chunks) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    expect(text).toBe('external_id,name\nM1,SÃ£o Paulo\nM2,França\n');
    await expect(decodeText(Readable.from([mixed], { objectMode: false }), 'utf-8')).rejects.toMatchObject({
      code: 'invalid_encoding',
      message: expect.stringContaining('though the import says it is UTF-8: byte 0xE7 at byte offset 38 (line 3)'),
    });
  });

  it('keeps telling pure Windows-1252 (accents, € “ ” –) and pure UTF-8 apart', () => {
    expect(detectEncoding(Buffer.from([0x53, 0xe3, 0x6f, 0x20, 0x80, 0x20, 0x93, 0x61, 0x94, 0x20, 0x96, 0x0a]), true)).toBe('windows-1252');
    expect(detectEncoding(Buffer.from('São € “a” –\n', 'utf8'), true)).toBe('utf-8');
  });
});

describe('LineCounter', () => {
  it('counts LF, CRLF and CR line breaks as the readers do, also when a chunk ends between CR and LF', () => {
    const text = Buffer.from('a\r\nb\nc\rd\r\ne');
    for (let cut = 0; cut <= text.length; cut += 1) {
      const lines = new LineCounter();
      const first = text.subarray(0, cut);
      const second = text.subarray(cut);
      const at = text.indexOf('e') - cut;
      if (at < 0) continue;
      lines.advance(first);
      expect([cut, lines.lineAt(second, at)]).toEqual([cut, 5]);
    }
  });
});
