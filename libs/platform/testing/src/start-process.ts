import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface StartProcessOptions {
  /** Added to the parent's environment; a variable set to undefined is removed. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
}

export interface StartedProcess {
  readonly pid: number | undefined;
  /** stdout and stderr lines, in the order they arrived. */
  readonly lines: readonly string[];
  /** Settles once the process has exited and its output has been read to the end. */
  readonly exited: Promise<ProcessExit>;
  /** Resolves with the match of the first line (already printed or still to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (SIGKILL after killAfterMs) and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals, options?: { killAfterMs?: number }): Promise<number | null>;
}

const TAIL_LINES = 40;

/** Spawns a child process for a test that drives a real program, collecting its output line by line. */
export function startProcess(command: string, args: readonly string[], options: StartProcessOptions = {}): StartedProcess {
  const env = Object.fromEntries(
    Object.entries({ ...process.env, ...options.env }).filter(([, value]) => value !== undefined),
  );
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  let spawnError: Error | undefined;
  let exit: ProcessExit | undefined;

  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      lines.push(line);
      for (const listener of lineListeners) listener(line);
    });
  }
  child.on('error', (error) => (spawnError = error));
  // 'close' rather than 'exit': by then every line of output has been collected.
  const exited = new Promise<ProcessExit>((resolve) =>
    child.on('close', (code, signal) => {
      exit = spawnError ? { code: null, signal: null, error: spawnError } : { code, signal };
      resolve(exit);
    }),
  );

  const describe = () => `${command} ${args.join(' ')}`.trim();
  const tail = () => lines.slice(-TAIL_LINES).join('\n');

  function waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    // Without g/y the regex keeps no lastIndex state between lines.
    const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const earlier = lines.map((line) => matcher.exec(line)).find((match) => match !== null);
    if (earlier) return Promise.resolve(earlier);

    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        lineListeners.delete(onLine);
        outcome();
      };
      const onLine = (line: string) => {
        const match = matcher.exec(line);
        if (match) finish(() => resolve(match));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`No line matching ${pattern} from \`${describe()}\` within ${timeoutMs} ms. Last output:\n${tail()}`))),
        timeoutMs,
      );
      lineListeners.add(onLine);
      void exited.then(({ code, signal, error }) => {
        const how = error ? `could not start (${error.message})` : `exited (code ${code}, signal ${signal})`;
        finish(() => reject(new Error(`\`${describe()}\` ${how} before printing a line matching ${pattern}. Last output:\n${tail()}`)));
      });
    });
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM', { killAfterMs = 15_000 } = {}): Promise<number | null> {
    if (!exit) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    }
    return (await exited).code;
  }

  return {
    pid: child.pid,
    lines,
    exited,
    waitForLine,
    stop,
  };
}
