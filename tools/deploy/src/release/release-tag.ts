import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { deployPaths, type DeployPaths } from '../workspace/workspace';

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

/** Throws unless `tag` may be pinned (an image tag, not :latest). */
export function checkReleaseTag(tag: string): void {
  if (!TAG.test(tag)) throw new Error(`"${tag}" is not a valid image tag`);
  if (tag === 'latest') throw new Error('refusing :latest; pin a release tag');
}

/** The one tag every Pulse image of a release carries, or undefined when they differ. */
export function singleReleaseTag(tags: Record<string, string>): string | undefined {
  const distinct = new Set(Object.values(tags));
  return distinct.size === 1 ? [...distinct][0] : undefined;
}

/**
 * Sets the tag of every Pulse image of a lane's release (overlays/<env>/release/kustomization.yaml),
 * keeping the file's comments.
 */
export function setReleaseTag(file: string, tag: string): void {
  checkReleaseTag(tag);
  const { doc, entries } = pulseImages(readFileSync(file, 'utf8'));
  for (const entry of entries) entry.set('newTag', tag);
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
}

/**
 * Runs `use` on a scratch copy of the deploy/k8s tree whose `env` release is pinned to `tag`, so that a
 * release can be rendered and checked without touching the real pin (which only a deploy that went
 * through may change). The copy is removed afterwards.
 */
export function withReleaseTag<T>(paths: DeployPaths, env: string, tag: string, use: (scratch: DeployPaths) => T): T {
  checkReleaseTag(tag);
  const dir = mkdtempSync(path.join(tmpdir(), 'pulse-release-'));
  try {
    const scratch = deployPaths(paths.workspaceRoot, path.join(dir, 'k8s'));
    cpSync(paths.k8sRoot, scratch.k8sRoot, { recursive: true });
    setReleaseTag(scratch.release(env), tag);
    return use(scratch);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
