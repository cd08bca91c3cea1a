import type { DiscoveredStream, ReadOptions, SourceConnector, SourcePage, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import { addressRefusalIn } from '../network/source-address-policy';
import { DomainError } from '@pulse/errors';

const REDACTED = '[redacted]';
/** Shorter values (a 1-character password, "true") would blank out ordinary words in messages. */
const MIN_SECRET_LENGTH = 4;

/**
 * Removes a source's secret values from text. Drivers and servers quote what they were given (a
 * connection string in an error, a token echoed in a 401 body), so every message that leaves a
 * connector goes through here; base64 and URL-encoded forms are covered too (Basic auth, query keys).
 */
export class SecretScrubber {
  private readonly needles: string[];

  constructor(secrets: readonly (string | undefined | null)[]) {
    const variants = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      variants.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
      // Multi-line secrets (PEM keys) are also caught line by line.
      for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 16) variants.add(line.trim());
    }
    // Longest first, so a secret containing another is replaced whole.
    this.needles = [...variants].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const needle of this.needles) result = result.split(needle).join(REDACTED);
    return result;
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
