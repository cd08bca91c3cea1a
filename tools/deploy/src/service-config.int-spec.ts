import { ENVIRONMENTS, planLane, type Environment } from './deploy/deploy-lane';
import { DATA_FAMILIES, FAMILY_SWITCH, type DataFamily } from './manifests/data-placement';
import { containerEnvironment, pulseEntryOf, secretValue, workloads, type ContainerSpec } from './manifests/workloads';
import { configProblems, describeWithKubectl, inBatches, listApps, paths, runBuiltServiceAsync } from './testing/deploy.int-kit';
import type { Manifest } from './workspace/yaml-files';

// The services' own config schemas (apps/<app>/src/config) are the truth about which variables they need.
// Tools may not import apps, so each built entry (a service's main.js, tenant-registry's
// migrate-tenants.js) is asked: started with an empty environment it exits 1 naming every variable it
// requires ("  - DATABASE_URL: is required"); started with a lane's environment plus one deliberately bad
// variable, it names only that one if every other value is valid.
const apps = listApps();
const POISON = '__not-a-valid-value__';

async function requiredVariables(app: string, entry: string): Promise<string[]> {
  const required = new Set<string>();
  const environments: Array<Record<string, string>> = [{}, { NODE_ENV: 'production' }];
  for (const base of environments) {
    const run = await runBuiltServiceAsync(app, base, entry);
    expect({ entry: `${app}/${entry}`, status: run.status, invalid: run.stderr.includes('Invalid environment for') }).toEqual({
      entry: `${app}/${entry}`,
      status: 1,
      invalid: true,
    });
    for (const [variable, message] of configProblems(run.stderr)) if (message === 'is required') required.add(variable);
  }
  return [...required].sort();
}

/** What a container would see: secrets as their local values, else as placeholders. */
function environmentOf(container: ContainerSpec, context: Manifest[]) {
  const env: Record<string, string> = {};
  const placeholders: string[] = [];
  for (const [name, source] of containerEnvironment(container, context)) {
    if ('value' in source) env[name] = source.value;
    else if ('secret' in source) {
      const value = secretValue(context, source.secret.name, source.secret.key);
      if (value === undefined) placeholders.push(name);
      env[name] =
        value ??
        (/_URL$/.test(name)
          ? 'postgresql://placeholder:placeholder@127.0.0.1:5432/placeholder'
          : /_KEY$/.test(name)
            ? Buffer.alloc(32, 7).toString('base64')
            : 'placeholder-secret-value-0123456789abcdef-0123456789abcdef');
    }
  }
  return { env, placeholders };
}

describe('the built services', () => {
  it.each(apps)('%s loads from its bundle and names the variables it is missing (exit 1)', async (app) => {
    const run = await runBuiltServiceAsync(app, {});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^Invalid environment for ${app}:\\n {2}- [A-Z_]+: is required`, 'm'));
  });

  // tools/deploy checks where each service keeps files (checkDataPlacement) from a table of who uses object
  // storage and the warehouse; a service reads a family if it rejects a bad value of the family's switch.
  it('read object storage and warehouse settings exactly as DATA_FAMILIES says', async () => {
    const families = Object.keys(DATA_FAMILIES) as DataFamily[];
    const poisoned = Object.fromEntries(families.map((family) => [FAMILY_SWITCH[family], POISON]));
    const reads = await inBatches(
      apps.map((app) => async () => {
        const reported = configProblems((await runBuiltServiceAsync(app, poisoned)).stderr);
        return { app, families: families.filter((family) => reported.has(FAMILY_SWITCH[family])) };
      }),
    );
    expect(reads).toEqual(apps.map((app) => ({ app, families: families.filter((family) => (DATA_FAMILIES[family] as readonly string[]).includes(app)) })));
  });
});

describeWithKubectl('every variable a Pulse entry requires is provided, with a valid value, in every lane', () => {
  const required = new Map<string, string[]>();
  const requiredFor = async (app: string, entry: string) => {
    const key = `${app}/${entry}`;
    if (!required.has(key)) required.set(key, await requiredVariables(app, entry));
    return required.get(key) ?? [];
  };

  it.each(Object.keys(ENVIRONMENTS) as Environment[])('%s (its services and its tenant-migration Job)', async (env) => {
    const plan = planLane(paths, env);
    const context = [...plan.lane, ...plan.migrations];
    const entries = workloads(context).flatMap(({ manifest, pod }) => {
      const container = pod.containers[0];
      const entry = container && pulseEntryOf(container);
      return entry && container ? [{ workload: `${manifest.kind}/${manifest.metadata.name}`, entry, container }] : [];
    });
    expect([...new Set(entries.filter((e) => e.entry.file === 'main.js').map((e) => e.entry.app))].sort()).toEqual(apps);
    expect(entries.map((e) => e.workload)).toContain('Job/tenant-migration');

    const checks = entries.map(({ workload, entry, container }) => async () => {
      const { env: environment, placeholders } = environmentOf(container, context);
      const missing = (await requiredFor(entry.app, entry.file)).filter((variable) => environment[variable] === undefined);
      // A variable of the schema that the lane leaves to its default, so that every value the lane sets is
      // validated (services: a Pub/Sub tuning knob; the tenant migrator: its log level).
      const poisoned = entry.file === 'main.js' && environment['PUBSUB_MAX_IN_FLIGHT'] === undefined ? 'PUBSUB_MAX_IN_FLIGHT' : 'LOG_LEVEL';
      const run = await runBuiltServiceAsync(entry.app, { ...environment, [poisoned]: POISON }, entry.file);
      const reported = [...configProblems(run.stderr).keys()];
      return {
        workload,
        missing,
        status: run.status,
        poisonReported: reported.includes(poisoned),
        invalid: reported.filter((v) => v !== poisoned && !placeholders.includes(v)),
      };
    });
    const results = await inBatches(checks);
    expect(results).toEqual(results.map(({ workload }) => ({ workload, missing: [], status: 1, poisonReported: true, invalid: [] })));
  });
});
