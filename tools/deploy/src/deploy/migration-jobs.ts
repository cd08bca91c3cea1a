import type { Manifest } from '../workspace/yaml-files';
import type { Kubectl } from './kubectl';

/** Time as the deploy waits for a Job: real in the CLI, simulated in tests. */
export interface Clock {
  now: () => number;
  sleep: (ms: number) => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // The deploy is synchronous (spawnSync kubectl); blocking between polls is what it does anyway.
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
};

/** How often a running migration Job is polled. */
export const JOB_POLL_SECONDS = 10;
/** After the Job's own deadline, how long the Job controller gets to mark it Failed. */
export const JOB_DEADLINE_GRACE_SECONDS = 120;

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface JobObject {
  kind?: string;
  metadata?: { name?: string; deletionTimestamp?: string };
  status?: { conditions?: JobCondition[]; startTime?: string; active?: number };
  items?: JobObject[];
}

export type JobState = { state: 'complete' } | { state: 'failed'; why: string } | { state: 'running'; since?: string };

/** A Job's outcome from its status: Complete or Failed once the Job controller says so, running until then. */
export function jobState(job: JobObject): JobState {
  const conditions = (job.status?.conditions ?? []).filter((c) => c.status === 'True');
  if (conditions.some((c) => c.type === 'Complete')) return { state: 'complete' };
  const failed = conditions.find((c) => c.type === 'Failed');
  if (failed) return { state: 'failed', why: [failed.reason, failed.message].filter(Boolean).join(': ') || 'Failed' };
  return { state: 'running', since: job.status?.startTime };
}

/** The rendered Job's spec.activeDeadlineSeconds (the longest it may run), if it is a positive number. */
export function jobDeadlineSeconds(job: Manifest): number | undefined {
  const deadline = (job.spec as { activeDeadlineSeconds?: unknown } | undefined)?.activeDeadlineSeconds;
  return typeof deadline === 'number' && Number.isInteger(deadline) && deadline > 0 ? deadline : undefined;
}

export type KubectlFailure = { stderr: string; stdout: string };

/**
 * The named Jobs that exist in the namespace and have not finished (a previous deploy's migration still
 * running, or waiting for its pod), which a deploy must not delete. Jobs already being deleted are left out.
 */
export function unfinishedJobs(kubectl: Kubectl, namespace: string, names: readonly string[]): { running: Array<{ name: string; since?: string }> } | { error: KubectlFailure } {
  const result = kubectl(['get', 'jobs', ...names, '-n', namespace, '-o', 'json', '--ignore-not-found']);
  if (result.status !== 0) return { error: result };
  let parsed: JobObject;
  try {
    parsed = result.stdout.trim() ? (JSON.parse(result.stdout) as JobObject) : { items: [] };
  } catch {
    return { error: { stderr: `unreadable kubectl output: ${result.stdout.slice(0, 200)}`, stdout: '' } };
  }
  const jobs = parsed.kind === 'List' || parsed.items ? (parsed.items ?? []) : [parsed];
  const running: Array<{ name: string; since?: string }> = [];
  for (const job of jobs) {
    if (job.metadata?.deletionTimestamp) continue;
    const state = jobState(job);
    if (state.state === 'running') running.push({ name: job.metadata?.name ?? '(unnamed)', since: state.since });
  }
  return { running };
}

export type JobOutcome =
  | { outcome: 'complete' }
  | { outcome: 'failed'; why: string }
  | { outcome: 'timed-out' }
  | { outcome: 'unknown'; error: KubectlFailure };

/**
 * Polls a Job until the Job controller marks it Complete or Failed, for as long as the Job itself may run
 * (its activeDeadlineSeconds, plus a grace for the controller to mark it Failed). A failure is seen at
 * the next poll, not at the end of the wait. Gives up after a few consecutive unreadable polls.
 */
export function awaitJob(kubectl: Kubectl, namespace: string, name: string, deadlineSeconds: number, clock: Clock): JobOutcome {
  const giveUpAt = clock.now() + (deadlineSeconds + JOB_DEADLINE_GRACE_SECONDS) * 1000;
  let failedPolls = 0;
  for (;;) {
    const result = kubectl(['get', 'job', name, '-n', namespace, '-o', 'json']);
    let state: JobState | undefined;
    if (result.status === 0) {
      try {
        state = jobState(JSON.parse(result.stdout) as JobObject);
      } catch {
        state = undefined;
      }
    }
    if (state === undefined) {
      failedPolls += 1;
      if (failedPolls >= 3) return { outcome: 'unknown', error: result.status === 0 ? { stderr: `unreadable kubectl output: ${result.stdout.slice(0, 200)}`, stdout: '' } : result };
    } else {
      failedPolls = 0;
      if (state.state === 'complete') return { outcome: 'complete' };
      if (state.state === 'failed') return { outcome: 'failed', why: state.why };
    }
    if (clock.now() >= giveUpAt) return { outcome: 'timed-out' };
    clock.sleep(JOB_POLL_SECONDS * 1000);
  }
}
