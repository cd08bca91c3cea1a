/** A JSON object, as merge patches read and write them. */
export type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 7396 JSON merge patch of an object: each key of `patch` replaces the target's, a null removes it,
 * and an object merges into an object recursively (anything else, arrays included, replaces). Pure: the
 * target is not modified. A `__proto__` key is ignored.
 */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    // Assigning it would replace the result's prototype; the API's JSON parser already refuses such bodies.
    if (key === '__proto__') continue;
    if (value === null) delete result[key];
    else if (isJsonObject(value)) result[key] = applyMergePatch(isJsonObject(result[key]) ? result[key] : {}, value);
    else result[key] = value;
  }
  return result;
}
