import type { SourceConnector, SourcePage, StreamState } from './connector';

/**
 * Where pages go. `commit` must store the page's data and its state in ONE transaction (the ingestion
 * loader's final transaction in production): if it fails or the process dies, neither is stored, and
 * the next run reads the same page again from the previous state.
 */
export interface PageSink {
  commit(page: SourcePage): Promise<void>;
}

export interface SyncOutcome {
  pages: number;
  records: number;
  files: number;
  state: StreamState | null;
}

/**
 * Reads pages from the committed state until the connector says it is done. A connector whose source
 * could paginate forever bounds itself (PageTrail: a repeated page or too many fails the read), so the
 * guard holds for every caller of `readPage`, this loop and the ingestion's alike.
 */
export async function runSync(connector: SourceConnector, committed: StreamState | null, sink: PageSink): Promise<SyncOutcome> {
  const outcome: SyncOutcome = { pages: 0, records: 0, files: 0, state: committed };
  let syncStart = true;
  for (;;) {
    const page = await connector.readPage(outcome.state, { syncStart });
    syncStart = false;
    await sink.commit(page);
    outcome.pages += 1;
    outcome.state = page.state;
    if (page.kind === 'records') outcome.records += page.records.length;
    if (page.kind === 'file') outcome.files += 1;
    if (page.done) return outcome;
  }
}
