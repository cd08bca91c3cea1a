import { invalidArgument, PubSubApiError, unimplemented } from '../api/api-error';

/**
 * The paths of an Update* request's field mask, in snake_case whatever the caller sent (the Node
 * client derives them from the metadata object's keys, other clients send proto field names).
 */
export function readUpdatePaths(paths: readonly string[] | undefined): string[] {
  if (!paths?.length) throw invalidArgument('update_mask must name at least one field');
  return paths.map((path) => path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
}

/** The answer for a feature of the real service this emulator does not provide. */
export function unsupported(feature: string): PubSubApiError {
  return unimplemented(`${feature} is not supported by the Pulse Pub/Sub emulator`);
}
