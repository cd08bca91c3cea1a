import { spawnSync } from 'node:child_process';
import { parseManifests, type Manifest } from '../workspace/yaml-files';

/** kubectl's built-in kustomize, when kubectl is on PATH (it renders offline; no cluster needed). */
export function kubectlAvailable(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
}

export function kustomizeBuild(dir: string): Manifest[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`kubectl kustomize ${dir}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseManifests(result.stdout).map(unfoldSecretData);
}

/**
 * kubectl wraps long base64 values of Secrets over several lines as plain YAML scalars, which a YAML parser
 * folds with a space; base64 has no spaces, so they are removed again.
 */
function unfoldSecretData(m: Manifest): Manifest {
  const data = m.kind === 'Secret' ? (m as { data?: Record<string, string> }).data : undefined;
  if (data) for (const key of Object.keys(data)) data[key] = String(data[key]).replace(/\s+/g, '');
  return m;
}

export function describeManifest(m: Manifest): string {
  return `${m.kind}/${m.metadata.name}${m.metadata.namespace ? ` (${m.metadata.namespace})` : ''}`;
}
