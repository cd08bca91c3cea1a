import type { Storage } from '@google-cloud/storage';
import { Readable } from 'node:stream';
import { kpiFileParts } from './kpi-files';

/** A bucket with the given objects, as much of the Storage client as kpiFileParts uses. */
function fakeStorage(objects: Record<string, string>, seen: string[] = []): () => Storage {
  const bucket = (bucketName: string) => ({
    getFiles: async ({ prefix }: { prefix: string }) => [Object.keys(objects).filter((name) => name.startsWith(prefix)).reverse().map((name) => ({ name }))],
    file: (name: string) => ({
      createReadStream: () => {
        seen.push(`${bucketName}/${name}`);
        return Readable.from([objects[name] ?? '']);
      },
    }),
  });
  return () => ({ bucket }) as unknown as Storage;
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('kpiFileParts', () => {
  it('reads every shard of a gs:// pattern in name order, ignoring objects that only share the prefix', async () => {
    const storage = fakeStorage({
      'run/customer_kpis-000000000001.csv': 'second',
      'run/customer_kpis-000000000000.csv': 'first',
      'run/customer_kpis-000000000000.csv.tmp': 'not a shard',
      'run/product_kpis-000000000000.csv': 'other file',
    });
    const parts = await kpiFileParts('gs://exports/run/customer_kpis-*.csv', storage);
    expect(await Promise.all(parts.map((open) => text(open())))).toEqual(['first', 'second']);
  });

  it('reads a single gs:// object, and fails clearly when a pattern matches nothing or the URI is not an object', async () => {
    const seen: string[] = [];
    const [open] = await kpiFileParts('gs://exports/run/series.csv', fakeStorage({ 'run/series.csv': 'x' }, seen));
    expect(await text((open as () => Readable)())).toBe('x');
    expect(seen).toEqual(['exports/run/series.csv']);
    await expect(kpiFileParts('gs://exports/run/none-*.csv', fakeStorage({}))).rejects.toThrow('No objects match gs://exports/run/none-*.csv');
    await expect(kpiFileParts('gs://exports', fakeStorage({}))).rejects.toThrow('Not a gs://bucket/object location: gs://exports');
  });
});
