import type { CanonicalEntity, ImportColumnMapping, ImportFormat, ImportMapping, ImportMode, ImportOptions } from '@pulse/contracts';
import { normalizeHeader } from '@pulse/parsing';
import { requestFingerprint } from '../http/idempotency/request-fingerprint';

/** What decides how an uploaded file is read and loaded: the fingerprint covers exactly this. */
export interface UploadMeaning {
  entity: CanonicalEntity;
  format: ImportFormat;
  /** With their defaults applied, so that leaving an option out and spelling out its default agree. */
  mode: ImportMode;
  options: ImportOptions;
  mapping: ImportMapping | undefined;
  contentSha256: string;
}

const isEmpty = (value: object | undefined): boolean => value === undefined || Object.keys(value).length === 0;

function columnTarget(target: string | ImportColumnMapping | null): ImportColumnMapping | null {
  if (target === null) return null;
  if (typeof target === 'string') return { field: target };
  const { transforms, ...rest } = target;
  return transforms === undefined || transforms.length === 0 ? rest : { ...rest, transforms };
}

/**
 * The encoding the parser decodes with (libs/parsing text-decoding): `latin1` is read as Windows-1252,
 * its superset, so the two names are one setting.
 */
function effectiveEncoding(encoding: ImportMapping['encoding']): ImportMapping['encoding'] {
  return encoding === 'latin1' ? 'windows-1252' : encoding;
}

/**
 * The mapping as the parser applies it (libs/parsing column-plan): source columns by their normalised
 * name (`Nome` and `nome` are one column; the api refuses a mapping that names one twice), a bare field
 * name as `{ field }`, no transforms as none, `latin1` as `windows-1252`, and empty parts, or an empty
 * mapping, as absent.
 */
function effectiveMapping(mapping: ImportMapping | undefined): Record<string, unknown> | undefined {
  if (mapping === undefined) return undefined;
  const columns = Object.fromEntries(Object.entries(mapping.columns ?? {}).map(([source, target]) => [normalizeHeader(source), columnTarget(target)]));
  const effective: Record<string, unknown> = {
    ...(isEmpty(columns) ? {} : { columns }),
    ...(isEmpty(mapping.constants) ? {} : { constants: mapping.constants }),
    ...(isEmpty(mapping.locale) ? {} : { locale: mapping.locale }),
    ...(mapping.delimiter === undefined ? {} : { delimiter: mapping.delimiter }),
    ...(mapping.encoding === undefined ? {} : { encoding: effectiveEncoding(mapping.encoding) }),
  };
  return isEmpty(effective) ? undefined : effective;
}

/**
 * What an upload's Idempotency-Key is bound to: everything that changes how the import is read and
 * loaded (entity, the format the content type names, the options after defaults, the effective mapping,
 * the SHA-256 of the bytes), and nothing that does not (query order, a default spelled out, where the
 * mapping was sent and how its JSON is written, a charset parameter, which the parser does not read).
 */
export function uploadFingerprint(upload: UploadMeaning): string {
  const { entity, format, mode, options, mapping, contentSha256 } = upload;
  return requestFingerprint('POST', `/v1/imports/${entity}`, {
    format,
    mode,
    onUnknownReference: options.onUnknownReference,
    maxRejectedShare: options.maxRejectedShare,
    mapping: effectiveMapping(mapping) ?? null,
    contentSha256,
  });
}
