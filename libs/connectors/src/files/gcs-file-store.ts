import { z } from 'zod';
import type { GoogleAccess } from '../google/google-access';
import type { HttpClient } from '../http/http-client';
import { DEFAULT_MAX_PAGES, PageTrail } from '../http/page-trail';
import type { FileStore, ListedFile } from './file-listing';

const listingSchema = z.object({
  items: z.array(z.object({ name: z.string(), generation: z.string(), size: z.string().optional() })).optional(),
  nextPageToken: z.string().optional(),
});

export const GCS_READ_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

/** Cloud Storage through its JSON API: objects.list by prefix, objects.get (alt=media) pinned to a generation. */
export class GcsFileStore implements FileStore {
  constructor(
    private readonly bucket: string,
    private readonly http: HttpClient,
    private readonly access: GoogleAccess,
    private readonly endpoint = 'https://storage.googleapis.com',
    private readonly maxListingPages = DEFAULT_MAX_PAGES,
  ) {}

  async *list(prefix: string): AsyncGenerator<ListedFile> {
    let pageToken: string | undefined;
    // The endpoint is tenant-configurable: a listing that hands back a token already used would never end.
    const trail = new PageTrail(`gs://${this.bucket}`, this.maxListingPages);
    do {
      trail.visit(pageToken ?? '', "the listing's nextPageToken");
      const url = new URL(`${this.endpoint}/storage/v1/b/${encodeURIComponent(this.bucket)}/o`);
      url.searchParams.set('prefix', prefix);
      url.searchParams.set('fields', 'items(name,generation,size),nextPageToken');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const { json } = await this.http.getJson(url.toString(), await this.access.headers(url.toString()));
      const listing = listingSchema.parse(json);
      for (const item of listing.items ?? []) {
        if (item.name.endsWith('/')) continue; // folder placeholders
        yield {
          uri: `gs://${this.bucket}/${item.name}`,
          version: item.generation,
          size: item.size === undefined ? null : Number(item.size),
          // Pinning the generation means a file replaced mid-sync is read as listed, never half old, half new.
          open: async () => {
            const media = new URL(`${this.endpoint}/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(item.name)}`);
            media.searchParams.set('alt', 'media');
            media.searchParams.set('generation', item.generation);
            return (await this.http.get(media.toString(), await this.access.headers(media.toString()))).body;
          },
        };
      }
      pageToken = listing.nextPageToken;
    } while (pageToken);
  }

  async close(): Promise<void> {}
}
