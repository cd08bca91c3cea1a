const MASK = '****';

/**
 * A configuration value that must never reach a log line or an API response. Serialising it (JSON,
 * string interpolation, util.inspect) yields only its redacted form; the raw value needs `reveal()`.
 */
export class Secret<T extends string = string> {
  readonly #value: T;
  readonly #redacted: string;

  constructor(value: T, redacted: string = MASK) {
    this.#value = value;
    this.#redacted = redacted;
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return this.#redacted;
  }

  toString(): string {
    return this.#redacted;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.#redacted})`;
  }
}

/** A URL keeps its host and path readable when logged; only the password is masked. */
export function secretUrl(url: string): Secret {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = MASK;
  return new Secret(url, parsed.toString());
}
