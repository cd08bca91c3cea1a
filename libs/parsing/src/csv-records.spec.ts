import { parse } from 'csv-parse/sync';
import { detectRecordDelimiter, readCsvRecords, type RecordDelimiter } from './csv-records';
import type { CsvDelimiter } from './delimiter-detection';

// readCsvRecords tokenises with Papa Parse and hands text Papa Parse would read differently to csv-parse.
// Its records (and errors) must be exactly those csv-parse gives for the whole text with the parser's
// options, every one of CRLF, LF and CR ending a record (README "CSV"), whatever the chunk boundaries.

interface Outcome {
  records?: string[][];
  lines?: number[];
  error?: string;
}

/** The reference: csv-parse on the whole text, with every line break ending a record (a CR followed by LF is one). */
function csvParseOutcome(text: string, delimiter: CsvDelimiter): Outcome {
  try {
    return { records: parse(text, { delimiter, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true }) as string[][] };
  } catch (error) {
    return { error: `${(error as { code: string }).code}: ${(error as Error).message}` };
  }
}

async function readOutcome(text: string, delimiter: CsvDelimiter, cuts: readonly number[], withLines = false): Promise<Outcome> {
  const pieces: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(from, cut));
    from = cut;
  }
  pieces.push(text.slice(from));
  async function* chunks(): AsyncGenerator<Buffer | string> {
    // UTF-8 chunks arrive as bytes, Windows-1252 ones as strings: use both.
    for (const [index, piece] of pieces.entries()) yield index % 2 === 0 ? piece : Buffer.from(piece, 'utf8');
  }
  const records: string[][] = [];
  const lines: number[] = [];
  try {
    for await (const block of readCsvRecords(chunks(), delimiter, detectRecordDelimiter(text, delimiter, true))) {
      records.push(...block.records);
      lines.push(...block.lines.slice(0, block.records.length));
    }
  } catch (error) {
    return { error: `${(error as { code: string }).code}: ${(error as Error).message}` };
  }
  return withLines ? { records, lines } : { records };
}

describe('detectRecordDelimiter', () => {
  it.each([
    ['a,b\nc,d\r\n', '\n'],
    ['a,b\r\nc,d\n', '\r\n'],
    ['a,b\rc,d\n', '\r'],
    ['"x\r\ny",b\nc', '\n'], // a line break inside quotes does not count
    ['"x""\r\n",b\r\nc', '\r\n'],
    ['a,5" x\rb', '\r'], // a quote inside a field does not open quotes
    ['a,b', '\n'],
  ] as const)('%j -> %j', (sample, expected) => {
    expect(detectRecordDelimiter(sample, ',', true)).toBe(expected);
  });

  it('takes a CR at the very end of an incomplete sample as the start of a CRLF', () => {
    expect(detectRecordDelimiter('a,b\r', ',', false)).toBe('\r\n');
    expect(detectRecordDelimiter('a,b\r', ',', true)).toBe('\r');
  });
});

describe('readCsvRecords', () => {
  it('gives records with the physical line each starts on, counting line breaks inside quotes', async () => {
    const text = 'id,note\r\n1,"two\nlines"\r\n\r\n2,plain\r\n3,"x,""y"""\r\n';
    const expected = {
      records: [['id', 'note'], ['1', 'two\nlines'], [''], ['2', 'plain'], ['3', 'x,"y"']],
      lines: [1, 2, 4, 5, 6],
    };
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(await readOutcome(text, ',', [cut], true)).toEqual(expected);
    }
  });

  it('ends a record at every CRLF, LF and CR outside quotes of one file; quoted line breaks stay as written; a CRLF is one line', async () => {
    // Header ending in LF, rows in CRLF (the `\r` must not stay in the last field), LF rows after a CRLF
    // header (each its own record), a lone CR, a blank CRLF line, quoted LF, CRLF and CR kept as data.
    const text = 'id,note\nKA,gold\r\nKB,"two\r\nlines"\r\nX1\nX2\rX3,"a\rb\nc"\n\r\nW4,b,,,\r\nlast';
    const expected = {
      records: [['id', 'note'], ['KA', 'gold'], ['KB', 'two\r\nlines'], ['X1'], ['X2'], ['X3', 'a\rb\nc'], [''], ['W4', 'b', '', '', ''], ['last']],
      lines: [1, 2, 3, 5, 6, 7, 10, 11, 12],
    };
    expect(csvParseOutcome(text, ',')).toEqual({ records: expected.records });
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(await readOutcome(text, ',', [cut], true)).toEqual(expected);
    }
  });

  it('counts the line breaks inside quoted fields of a CR file', async () => {
    const text = 'id,note\r1,"two\rlines"\r2,x\r';
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(await readOutcome(text, ',', [cut], true)).toEqual({ records: [['id', 'note'], ['1', 'two\rlines'], ['2', 'x']], lines: [1, 2, 4] });
    }
  });

  it.each([
    ['closing quote, spaces, delimiter (csv-parse keeps the text)', 'a,b\n"ab" ,c\n', [['a', 'b'], ['"ab" ', 'c']]],
    ['closing quote, spaces, line break', 'a,b\n"ab"  \nc,d\n', [['a', 'b'], ['"ab"  '], ['c', 'd']]],
    ['text after a closing quote', 'a,b\n"ab"c,d\n', [['a', 'b'], ['"ab"c', 'd']]],
    ['a quote inside an unquoted field', 'a,b\n5" screen,x\n', [['a', 'b'], ['5" screen', 'x']]],
  ])('reads malformed quoting like csv-parse: %s', async (_name, text, expected) => {
    expect(csvParseOutcome(text, ',')).toEqual({ records: expected });
    for (let cut = 0; cut <= text.length; cut += 1) expect(await readOutcome(text, ',', [cut])).toEqual({ records: expected });
  });

  it('fails an unclosed quote with csv-parse\'s error and line, even after many chunks', async () => {
    const text = `${'id,name\n'}${'1,x\n'.repeat(5)}7,"open\n8,y\n`;
    const expected = csvParseOutcome(text, ',');
    expect(expected.error).toContain('CSV_QUOTE_NOT_CLOSED');
    // csv-parse names the line where the text ended with the quote still open: the 8th and last.
    expect(expected.error).toContain('at line 8');
    expect(await readOutcome(text, ',', [8, 20, 30])).toEqual(expected);
  });

  it('fails an unclosed quote with csv-parse\'s line after quoted CRLFs, LFs and CRs and mixed line breaks, cut anywhere', async () => {
    const text = 'id,note\r\n1,"a\r\nb"\n2,"c\rd\ne"\r3,x\r\n\n4,"open\r\n5,y\n';
    const expected = csvParseOutcome(text, ',');
    expect(expected.error).toContain('CSV_QUOTE_NOT_CLOSED');
    for (let cut = 0; cut <= text.length; cut += 1) expect(await readOutcome(text, ',', [cut])).toEqual(expected);
  });

  it('agrees with csv-parse on 400 generated texts per delimiter and line-break style, cut anywhere', async () => {
    let seed = 3;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const disagreements: string[] = [];
    const breaks: Record<string, string[]> = { lf: ['\n'], crlf: ['\r\n'], cr: ['\r'], mixed: ['\n', '\r\n', '\r'] };
    for (const delimiter of [',', ';', '\t', '|'] as CsvDelimiter[]) {
      for (const style of Object.keys(breaks)) {
        const alphabet = ['a', 'b', 'é', ' ', '\t', ',', ';', '"', '"', delimiter, delimiter, ...(breaks[style] as string[]), ...(breaks[style] as string[])];
        for (let n = 0; n < 400; n += 1) {
          let text = '';
          const length = 1 + Math.floor(next() * 24);
          for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(next() * alphabet.length)];
          const cuts = Array.from({ length: Math.floor(next() * 4) }, () => Math.floor(next() * text.length)).sort((x, y) => x - y);
          const expected = csvParseOutcome(text, delimiter);
          const actual = await readOutcome(text, delimiter, cuts);
          if (JSON.stringify(actual) !== JSON.stringify(expected)) disagreements.push(`${JSON.stringify(delimiter)} ${JSON.stringify(text)} ${JSON.stringify(cuts)}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('reads 3000 generated well-formed texts mixing CRLF, LF and CR like csv-parse, with the line each record starts on, cut anywhere', async () => {
    let seed = 5;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const breaks = ['\n', '\r\n', '\r'];
    const disagreements: string[] = [];
    for (const delimiter of [',', ';', '\t'] as CsvDelimiter[]) {
      for (let n = 0; n < 1000; n += 1) {
        // Records of plain and quoted fields (quoted ones holding quotes, delimiters and any line break),
        // ended by one line break throughout or by any; `starts` are where records begin.
        const oneBreak = next() < 0.5 ? pick(breaks) : undefined;
        const count = 1 + Math.floor(next() * 8);
        let text = '';
        const starts: number[] = [];
        for (let r = 0; r < count; r += 1) {
          const fields: string[] = [];
          for (let f = Math.floor(next() * 4); f >= 0; f -= 1) {
            let value = '';
            if (next() < 0.4) {
              for (let i = Math.floor(next() * 6); i > 0; i -= 1) value += pick(['a', '"', '\n', '\r', '\r\n', delimiter, ' ']);
              fields.push(`"${value.replace(/"/g, '""')}"`);
            } else {
              for (let i = Math.floor(next() * 4); i > 0; i -= 1) value += pick(['a', 'b', ' ', 'é']);
              fields.push(value);
            }
          }
          const record = fields.join(delimiter);
          let lineBreak = r < count - 1 || next() < 0.5 ? (oneBreak ?? pick(breaks)) : '';
          // A CR ending one record and an empty record ending in LF would be one CRLF.
          if (text.endsWith('\r') && `${record}${lineBreak}`.startsWith('\n')) lineBreak = '\r';
          starts.push(text.length);
          text += `${record}${lineBreak}`;
        }
        const lineAt = (offset: number): number => 1 + (text.slice(0, offset).match(/\r\n|\r|\n/g) ?? []).length;
        const reference = csvParseOutcome(text, delimiter);
        const expected = reference.records === undefined ? reference : { records: reference.records, lines: starts.slice(0, reference.records.length).map(lineAt) };
        const cuts = Array.from({ length: Math.floor(next() * 5) }, () => Math.floor(next() * text.length)).sort((x, y) => x - y);
        const actual = await readOutcome(text, delimiter, cuts, true);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) disagreements.push(`${JSON.stringify(delimiter)} ${JSON.stringify(text)} ${JSON.stringify(cuts)}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('reads a quoted field longer than many chunks whole, with the records around it', async () => {
    const long = `${'x'.repeat(99)}\n`.repeat(20_000); // 2 MB, 20,000 line breaks
    const text = `id,note\n1,"${long}"\n2,after\n`;
    const cuts = Array.from({ length: Math.floor(text.length / 65_536) }, (_, i) => (i + 1) * 65_536);
    expect(await readOutcome(text, ',', cuts, true)).toEqual({
      records: [['id', 'note'], ['1', long], ['2', 'after']],
      lines: [1, 2, 20_003],
    });
  });

  it.each(['\n', '\r\n', '\r'] as RecordDelimiter[])('reads a file of many chunks with %j records like csv-parse', async (recordDelimiter) => {
    const lines = ['id;name;note'];
    for (let i = 0; i < 300; i += 1) lines.push(`${i};"Name ${i}; Ltda";${i % 7 === 0 ? '"multi\nline ""quoted"""' : 'plain'}`);
    const text = `${lines.join(recordDelimiter)}${recordDelimiter}`;
    const cuts = Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) * text.length) / 41));
    expect(await readOutcome(text, ';', cuts)).toEqual(csvParseOutcome(text, ';'));
  });
});
