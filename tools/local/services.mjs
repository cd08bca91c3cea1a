// What `npm start` runs. Each entry is one process with an HTTP /readyz; add an entry (a Pub/Sub
// emulator, a worker) and start.mjs builds, starts, waits for and stops it like the others.
//
// An entry: name (also the output label), port (default and the variable that overrides it),
// build (Nx project to build, whose dist/apps/<name>/main.js is then run) and env(runtime), the
// variables it needs beyond the ones every service gets (see startService in start.mjs).

// Sources (docs/connectors.md, "Private networks") may reach only public addresses unless the operator
// allows more. Locally the demo source and test databases are on this machine: allow loopback, said here
// rather than made a default. SOURCE_ALLOWED_PRIVATE_NETWORKS in the environment replaces it.
export const LOCAL_SOURCE_NETWORKS = '127.0.0.0/8,::1/128';
const sourceNetworks = () => process.env.SOURCE_ALLOWED_PRIVATE_NETWORKS || LOCAL_SOURCE_NETWORKS;

export const services = [
  {
    name: 'api',
    port: { default: 3000, variable: 'API_PORT' },
    build: 'api',
    env: (runtime) => ({
      PULSE_SECRETS_KEY: runtime.secretsKey,
      PULSE_STORAGE_DIR: `${runtime.dataRoot}/storage`,
      SOURCE_ALLOWED_PRIVATE_NETWORKS: sourceNetworks(),
    }),
  },
  {
    name: 'tenant-registry',
    port: { default: 3001, variable: 'TENANT_REGISTRY_PORT' },
    build: 'tenant-registry',
    // The same storage folder as the api's and ingestion's (offboarding erases the tenant's files there);
    // exports stay in a folder of their own, which that erasure cannot reach.
    env: (runtime) => ({
      PULSE_OPERATOR_TOKEN: runtime.operatorToken,
      PULSE_SECRETS_KEY: runtime.secretsKey,
      EXPORT_DIR: `${runtime.dataRoot}/exports`,
      PULSE_STORAGE_DIR: `${runtime.dataRoot}/storage`,
    }),
  },
  {
    name: 'ingestion',
    port: { default: 3002, variable: 'INGESTION_PORT' },
    build: 'ingestion',
    // The same storage folder as the api's (it reads the uploads the api stored).
    env: (runtime) => ({
      PULSE_SECRETS_KEY: runtime.secretsKey,
      PULSE_STORAGE_DIR: `${runtime.dataRoot}/storage`,
      PULSE_WAREHOUSE_DIR: `${runtime.dataRoot}/warehouse`,
      SOURCE_ALLOWED_PRIVATE_NETWORKS: sourceNetworks(),
    }),
  },
  {
    name: 'metrics',
    port: { default: 3003, variable: 'METRICS_PORT' },
    build: 'metrics',
    // The same warehouse folder as ingestion's (it applies the loads ingestion queued there).
    env: (runtime) => ({
      PULSE_SECRETS_KEY: runtime.secretsKey,
      PULSE_WAREHOUSE_DIR: `${runtime.dataRoot}/warehouse`,
      METRICS_WORK_DIR: `${runtime.dataRoot}/metrics-work`,
    }),
  },
];

/** A port from the environment variable if set, otherwise the local default. */
export function portFromEnv(variable, fallback, environment = process.env) {
  const configured = environment[variable];
  if (configured === undefined || configured === '') return fallback;
  const port = Number(configured);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${variable}=${configured} is not a port number (1-65535)`);
  return port;
}

export const servicePort = (service, environment = process.env) =>
  portFromEnv(service.port.variable, service.port.default, environment);
