import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown> };

/** YAML exactly as tools/deploy writes it: no line folding, so a diff shows whole values. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export function toYamlDocuments(documents: readonly unknown[], header?: string): string {
  const body = documents.map((doc) => toYaml(doc)).join('---\n');
  return header ? `${header.trimEnd()}\n${body}` : body;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as unknown;
    })
    .filter((doc): doc is Manifest => doc !== null && typeof doc === 'object');
}

/** A folder's files as a map of relative path -> content (what a generator would write). */
export type FileSet = Map<string, string>;

export function readFileSet(dir: string): FileSet {
  const files: FileSet = new Map();
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

/** Replaces the folder's content with exactly these files (generated folders are owned by the generator). */
export function writeFileSet(dir: string, files: FileSet): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [relative, content] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const target = path.join(dir, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

/** Relative paths whose content differs between two file sets (added, removed or changed). */
export function diffFileSets(expected: FileSet, actual: FileSet): string[] {
  const names = new Set([...expected.keys(), ...actual.keys()]);
  return [...names].filter((name) => expected.get(name) !== actual.get(name)).sort();
}
