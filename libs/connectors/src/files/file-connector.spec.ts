import { Readable } from 'node:stream';
import { FileConnector, parseFileUrl } from './file-connector';
import type { FileStore, ListedFile } from './file-listing';

/** A bucket holding these object names; `list` returns those under the prefix, as GCS and S3 do. */
function bucketOf(names: string[]): FileStore {
  return {
    async *list(prefix: string): AsyncGenerator<ListedFile> {
      for (const name of names.filter((n) => n.startsWith(prefix))) {
        yield { uri: `gs://b/${name}`, version: '1', size: 1, open: async () => Readable.from(['x']) };
      }
    },
    close: async () => undefined,
  };
}

async function filesRead(url: string, names: string[]): Promise<string[]> {
  const connector = new FileConnector(parseFileUrl(url), bucketOf(names));
  const read: string[] = [];
  let state = null;
  for (;;) {
    const page = await connector.readPage(state, { syncStart: read.length === 0 });
    if (page.kind === 'file') read.push(page.file.uri);
    state = page.state;
    if (page.done) return read;
  }
}

describe('FileConnector: which objects a URL selects', () => {
  const names = ['exports/customers.csv', 'exports/customers.csv.bak', 'exports/customers.csv.tmp', 'exports/orders.csv', 'exports/old/customers.csv'];

  it('reads exactly the object a URL without glob names, not every object whose name starts with it', async () => {
    // Before: the .bak (applied after the real file, overwriting it) and the half-written .tmp were loaded too.
    expect(await filesRead('gs://b/exports/customers.csv', names)).toEqual(['gs://b/exports/customers.csv']);
    expect(await filesRead('gs://b/exports/missing.csv', names)).toEqual([]);
  });

  it('reads every object in a folder (a final /) and what a glob matches', async () => {
    expect(await filesRead('gs://b/exports/', names)).toEqual(names.map((name) => `gs://b/${name}`).sort());
    expect(await filesRead('gs://b/exports/*.csv', names)).toEqual(['gs://b/exports/customers.csv', 'gs://b/exports/orders.csv']);
  });
});
