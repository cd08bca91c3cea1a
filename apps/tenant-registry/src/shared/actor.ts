/** Who asked for a change, for the audit log and lifecycle history, and the request's correlation id. */
export interface Actor {
  name: string;
  correlationId: string;
}
