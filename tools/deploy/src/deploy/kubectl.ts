import { spawnSync } from 'node:child_process';

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl (PULSE_KUBECTL overrides the binary, which the tests use to record calls). */
export type Kubectl = (args: string[], input?: string) => KubectlResult;

export function systemKubectl(binary = process.env['PULSE_KUBECTL'] ?? 'kubectl'): Kubectl {
  return (args, input) => {
    const result = spawnSync(binary, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
    if (result.error) throw new Error(`${binary} ${args.join(' ')}: ${result.error.message}`);
    return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  };
}
