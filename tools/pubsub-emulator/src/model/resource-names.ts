import { invalidArgument } from '../api/api-error';

export type ResourceCollection = 'topics' | 'subscriptions';

/** The real service's id rule: a letter, then 2-254 of letters, digits and `-_.~+%`; never `goog...`. */
const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const QUALIFIED_NAME = /^projects\/([^/]+)\/(topics|subscriptions)\/([^/]+)$/;

/** What a subscription's `topic` reads after its topic was deleted, as in the real service. */
export const DELETED_TOPIC = '_deleted-topic_';

export interface ResourceName {
  readonly project: string;
  readonly id: string;
  readonly name: string;
}

/** Parses `projects/<project>/<collection>/<id>` for any project id, throwing INVALID_ARGUMENT as the real service does. */
export function parseResourceNameOrThrow(name: string, collection: ResourceCollection): ResourceName {
  const match = QUALIFIED_NAME.exec(name);
  if (!match || match[2] !== collection || !RESOURCE_ID.test(match[3]) || match[3].toLowerCase().startsWith('goog')) {
    throw invalidArgument(`Invalid [${collection}] name: (name=${name})`);
  }
  return { project: match[1], id: match[3], name };
}

/** Parses the `projects/<project>` of List requests and returns the project id. */
export function parseProjectOrThrow(project: string): string {
  const match = /^projects\/([^/]+)$/.exec(project);
  if (!match) throw invalidArgument(`Invalid [projects] name: (name=${project})`);
  return match[1];
}
