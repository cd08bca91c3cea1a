import { startProcess } from './start-process';

// A small program standing in for a service: prints, then waits for a signal.
// The handler comes first: writes to a pipe are synchronous, so the test may signal right after them.
const serviceScript = `
  process.on('SIGTERM', () => { console.log('stopping'); process.exit(3); });
  process.stdout.write('booting\\nlistening on port 4321\\n');
  process.stderr.write('a warning on stderr\\n');
  setInterval(() => {}, 1000);
`;

describe('startProcess', () => {
  it('collects output lines, waits for a line, and stops the process with a signal', async () => {
    const child = startProcess(process.execPath, ['-e', serviceScript]);

    const match = await child.waitForLine(/listening on port (\d+)/, 5_000);
    expect(match[1]).toBe('4321');
    await child.waitForLine(/warning on stderr/, 5_000);
    // A line printed earlier is found too.
    await expect(child.waitForLine(/^booting$/, 100)).resolves.toBeTruthy();

    expect(await child.stop()).toBe(3);
    expect(child.lines).toEqual(expect.arrayContaining(['booting', 'listening on port 4321', 'a warning on stderr', 'stopping']));
    expect(await child.exited).toEqual({ code: 3, signal: null });
  });

  it('passes env on top of the parent environment and removes variables set to undefined', async () => {
    process.env['PULSE_START_PROCESS_PARENT'] = 'inherited';
    try {
      const child = startProcess(
        process.execPath,
        ['-e', 'console.log([process.env.EXTRA, process.env.PATH ? "path" : "no-path", process.env.PULSE_START_PROCESS_PARENT ?? "removed", process.cwd()].join(" "))'],
        { env: { EXTRA: 'added', PULSE_START_PROCESS_PARENT: undefined }, cwd: '/tmp' },
      );
      expect((await child.waitForLine(/^added .*/))[0]).toBe('added path removed /tmp');
      expect((await child.exited).code).toBe(0);
    } finally {
      delete process.env['PULSE_START_PROCESS_PARENT'];
    }
  });

  it('fails a wait with the last output when the process exits first', async () => {
    const child = startProcess(process.execPath, ['-e', 'console.log("Invalid environment for api"); process.exit(1)']);

    await expect(child.waitForLine(/ready/)).rejects.toThrow(/exited \(code 1, signal null\)[\s\S]*Invalid environment for api/);
  });

  it('fails a wait that times out', async () => {
    const child = startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);

    await expect(child.waitForLine(/never/, 50)).rejects.toThrow('within 50 ms');
    expect(await child.stop('SIGKILL')).toBeNull();
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('escalates to SIGKILL when the signal is ignored', async () => {
    const child = startProcess(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)']);
    await child.waitForLine(/up/);

    await child.stop('SIGTERM', { killAfterMs: 100 });
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('reports a program that cannot be started', async () => {
    const child = startProcess('/nonexistent/program', []);

    expect((await child.exited).error?.message).toContain('ENOENT');
    await expect(child.waitForLine(/x/)).rejects.toThrow('could not start');
  });
});
