// Child processes of `npm start`: output prefixed with a fixed-width coloured label, line by line,
// and stopping that leaves nothing behind.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';

const COLOURS = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94];
const useColour = process.env.FORCE_COLOR
  ? process.env.FORCE_COLOR !== '0'
  : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** Prints lines under labels such as `[api]            `, padded to the longest of `names`. */
export function createOutput(names) {
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const labels = new Map();
  const label = (name) => {
    if (!labels.has(name)) {
      const text = `[${name}]`.padEnd(width);
      const colour = COLOURS[labels.size % COLOURS.length];
      labels.set(name, useColour ? `\x1b[${colour}m${text}\x1b[0m` : text);
    }
    return labels.get(name);
  };
  return {
    // One write per line, so lines of different processes never interleave mid-line.
    line: (name, text, stream = process.stdout) => stream.write(`${label(name)} ${text}\n`),
    bold: (text) => (useColour ? `\x1b[1m${text}\x1b[0m` : text),
  };
}

const running = new Set();

// Last resort if start.mjs itself dies (uncaught error, process.exit): no child may outlive it.
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child, signal) {
  try {
    // Negative pid: the child's whole process group (it was spawned detached, as a group leader), so
    // that whatever it started itself goes too.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts a child in its own process group, so a Ctrl-C in the terminal reaches only start.mjs, which
 * then stops everything in order instead of every process at once.
 */
export function startProcess({ name, command, args = [], env, cwd, output }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => output.line(name, line));
  readline
    .createInterface({ input: child.stderr, crlfDelay: Infinity })
    .on('line', (line) => output.line(name, line, process.stderr));

  let spawnError;
  child.on('error', (error) => (spawnError = error));
  if (child.pid) running.add(child);
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      // Anything the process left behind in its group goes with it.
      if (child.pid) killGroup(child, 'SIGKILL');
      resolve(spawnError ? { code: null, signal: null, error: spawnError } : { code, signal });
    }),
  );

  let stopping;
  return {
    name,
    exited,
    get isStopping() {
      return stopping !== undefined;
    },
    /** SIGTERM, then SIGKILL after killAfterMs; resolves with how the process ended. */
    stop(killAfterMs = 15_000) {
      stopping ??= (async () => {
        if (!running.has(child)) return exited;
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => {
          output.line(name, `did not stop within ${killAfterMs / 1000} s, killing it`, process.stderr);
          killGroup(child, 'SIGKILL');
        }, killAfterMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      })();
      return stopping;
    },
  };
}

export function describeExit({ code, signal, error }) {
  if (error) return `could not be started (${error.message})`;
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Runs a command to completion (a build, a migration) under a label; rejects unless it exits 0. */
export async function runStep(options, onStart = () => {}) {
  const step = startProcess(options);
  onStart(step);
  const result = await step.exited;
  if (result.code !== 0) throw new Error(`${options.name} ${describeExit(result)}`);
}
