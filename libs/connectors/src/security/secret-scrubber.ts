import type { DiscoveredStream, ReadOptions, SourceConnector, SourcePage, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import { addressRefusalIn } from '../network/source-address-policy';
import { DomainError } from '@pulse/errors';

const REDACTED = '[redacted]';
/** Shorter values (a 1-character password, "true") would blank out ordinary words in messages. */
const MIN_SECRET_LENGTH = 4;
/**
 * Servers also echo part of a token ("…ends in 7890", a truncated header) or change its case. Any run
 * of FRAGMENT_LENGTH characters of a secret at least FRAGMENT_MIN_SECRET_LENGTH long is therefore
 * removed too: ten characters of a token or key are no ordinary word, while shorter secrets (passwords)
 * are only matched whole, so that their pieces do not blank out common words.
 */
const FRAGMENT_LENGTH = 10;
const FRAGMENT_MIN_SECRET_LENGTH = 16;

/**
 * Removes a source's secret values from text, ignoring case. Drivers and servers quote what they were
 * given (a connection string in an error, a token echoed in a 401 body), so every message that leaves a
 * connector goes through here; base64 and URL-encoded forms are covered too (Basic auth, query keys),
 * and so are fragments of long secrets (see FRAGMENT_LENGTH).
 */
export class SecretScrubber {
  /** Each finds, at every position where it starts, a secret form (overlapping matches included). */
  private readonly finders: RegExp[] = [];

  constructor(secrets: readonly (string | undefined | null)[]) {
    const variants = new Set<string>();
    const fragments = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      variants.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
      // Multi-line secrets (PEM keys) are also caught line by line.
      for (const line of secret.split(/\r?\n/).map((text) => text.trim())) {
        if (line.length < FRAGMENT_MIN_SECRET_LENGTH) continue;
        variants.add(line);
        for (let i = 0; i + FRAGMENT_LENGTH <= line.length; i++) fragments.add(line.slice(i, i + FRAGMENT_LENGTH));
      }
    }
    // Longest first, so that where forms start at the same place the whole secret is matched.
    const alternatives = (values: Set<string>) => [...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
    if (variants.size > 0) this.finders.push(new RegExp(`(?=(${alternatives(variants)}))`, 'giu'));
    if (fragments.size > 0) this.finders.push(new RegExp(`(?=(${alternatives(fragments)}))`, 'giu'));
  }

  scrub(text: string): string {
    const spans: [number, number][] = [];
    for (const finder of this.finders) {
      finder.lastIndex = 0;
      for (let match = finder.exec(text); match; match = finder.exec(text)) {
        spans.push([match.index, match.index + match[1].length]);
        finder.lastIndex = match.index + 1; // a zero-width match: step on, to find overlapping ones
      }
    }
    if (spans.length === 0) return text;
    // Overlapping and adjacent spans (fragments of one echoed secret) become one [redacted].
    spans.sort((a, b) => a[0] - b[0]);
    let result = '';
    let cursor = 0;
    let [start, end] = spans[0];
    for (const [from, to] of spans.slice(1)) {
      if (from <= end) {
        end = Math.max(end, to);
        continue;
      }
      result += text.slice(cursor, start) + REDACTED;
      cursor = end;
      [start, end] = [from, to];
    }
    return result + text.slice(cursor, start) + REDACTED + text.slice(end);
  }

  /** The error to let out: a ConnectorError with a scrubbed message and no cause (causes carry raw options). */
  scrubError(error: unknown): Error {
    // A refused address keeps its own code even when a transport wrapped it ("Cannot reach ...").
    const refusal = addressRefusalIn(error);
    if (refusal) return new ConnectorError(refusal.code, this.scrub(refusal.message));
    if (error instanceof ConnectorError) return new ConnectorError(error.code, this.scrub(error.message));
    if (error instanceof DomainError) return new ConnectorError('source_request_failed', this.scrub(error.message));
    return new ConnectorError('source_request_failed', this.scrub(error instanceof Error ? error.message : String(error)));
  }
}

/** Wraps a connector so nothing it throws can carry one of the source's secrets. */
export function withScrubbedErrors(connector: SourceConnector, scrubber: SecretScrubber): SourceConnector {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw scrubber.scrubError(error);
    }
  };
  return {
    kind: connector.kind,
    discover: (): Promise<DiscoveredStream[]> => guard(() => connector.discover()),
    readPage: (state: StreamState | null, options: ReadOptions): Promise<SourcePage> => guard(() => connector.readPage(state, options)),
    close: (): Promise<void> => guard(() => connector.close()),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
