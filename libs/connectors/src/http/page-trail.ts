import { ConnectorError } from '../connector-errors';

/**
 * Pages one sync may read. At 100 records a page that is a million records, at 1 000 listed objects a
 * page ten million files; a source larger than that sets its own bound.
 */
export const DEFAULT_MAX_PAGES = 10_000;

/**
 * The pages one run of a paginated read has asked for (page URLs, cursors, listing tokens). A source
 * that leads back to a page already read — its last cursor again, a next link to itself — would be read
 * forever, so a repeat fails the run; so does going past `maxPages`, which also stops sources that
 * invent a new position for every page without ever ending.
 */
export class PageTrail {
  private readonly seen = new Set<string>();

  constructor(
    /** How messages name the source: a URL without its query, `gs://bucket`. */
    private readonly source: string,
    private readonly maxPages = DEFAULT_MAX_PAGES,
  ) {}

  get pages(): number {
    return this.seen.size;
  }

  has(position: string): boolean {
    return this.seen.has(position);
  }

  /** Records that the page at `position` is about to be read; `how` says where the position came from. */
  visit(position: string, how: string): void {
    this.assertMayRead(position, how);
    this.seen.add(position);
  }

  /** Throws if reading the page at `position` would repeat one or go past the bound (`visit` without recording it). */
  assertMayRead(position: string, how: string): void {
    if (this.seen.has(position)) throw this.loop(how);
    if (this.seen.size >= this.maxPages) {
      throw new ConnectorError('source_too_many_pages', `${this.source}: more than ${this.maxPages} pages in one sync, the most a sync reads (maxPages)`);
    }
  }

  /** Records a page read (after `assertMayRead`). */
  record(position: string): void {
    this.seen.add(position);
  }

  loop(how: string): ConnectorError {
    return new ConnectorError('source_pagination_loop', `${this.source}: ${how} leads back to a page this sync already read (after ${this.seen.size} page${this.seen.size === 1 ? '' : 's'}), so the read would never end`);
  }
}
