import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ReleaseImages {
  /** Every Pulse image of the release (name pulse-*) and its tag. */
  tags: Record<string, string>;
}

function pulseImages(text: string) {
  const doc = parseDocument(text);
  const images = doc.get('images');
  if (!isSeq(images)) throw new Error('the release component has no images: list');
  const entries = images.items.filter(isMap).filter((item) => String(item.get('name')).startsWith('pulse-'));
  if (entries.length === 0) throw new Error('the release component names no pulse-* image');
  return { doc, entries };
}

export function readReleaseTags(file: string): Record<string, string> {
  const { entries } = pulseImages(readFileSync(file, 'utf8'));
  return Object.fromEntries(entries.map((e) => [String(e.get('name')), String(e.get('newTag') ?? '')]));
}

/**
 * Sets the tag of every Pulse image of a lane's release (overlays/<env>/release/kustomization.yaml),
 * keeping the file's comments, and returns the tag it replaces (the rollback target).
 */
export function setReleaseTag(file: string, tag: string): { previous: string | undefined } {
  if (!TAG.test(tag)) throw new Error(`"${tag}" is not a valid image tag`);
  if (tag === 'latest') throw new Error('refusing :latest; pin a release tag');
  const { doc, entries } = pulseImages(readFileSync(file, 'utf8'));
  const previousTags = new Set(entries.map((e) => String(e.get('newTag') ?? '')));
  for (const entry of entries) entry.set('newTag', tag);
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
  return { previous: previousTags.size === 1 ? [...previousTags][0] : undefined };
}
