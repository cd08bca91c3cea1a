/** A message as a publisher hands it over, before the broker gives it an id and a publish time. */
export interface PublishInput {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
}
