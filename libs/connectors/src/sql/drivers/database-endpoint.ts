/** Where and as whom a database driver connects (after any SSH tunnel has replaced host and port). */
export interface DatabaseEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** TLS to the database server; certificate verification stays on unless explicitly disabled. */
  ssl?: boolean | { rejectUnauthorized: boolean };
  /** Per-statement limit, so a runaway source query cannot hold a sync slot forever. */
  statementTimeoutMs?: number;
}
