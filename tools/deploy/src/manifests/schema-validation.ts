import { z } from 'zod';
import { describeManifest } from './kustomize';
import type { Manifest } from '../workspace/yaml-files';

/**
 * Validation of rendered objects: Kubernetes kinds against kubernetes-models (the API's OpenAPI schemas),
 * GKE and Config Connector kinds against @kubernetes-models/gke (their CRD schemas), and the few CRDs
 * neither package ships (Gateway API, External Secrets) against the small zod shapes below. A kind known
 * to none of them is an error, so nothing reaches a cluster unchecked.
 * Note: these schemas reject wrong types, missing required fields and bad formats, not unknown fields.
 */
type ModelClass = new (data: unknown) => { validate(): void };

function loadModel(pkg: string, apiVersion: string, kind: string): ModelClass | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`${pkg}/${apiVersion}/${kind}`) as Record<string, ModelClass | undefined>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(253);
const metadata = z.looseObject({ name, namespace: z.string().optional() });
const hostname = z.string().regex(/^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/);
const parentRef = z.strictObject({ name, namespace: z.string().optional(), sectionName: z.string().optional(), group: z.string().optional(), kind: z.string().optional() });
const backendRef = z.strictObject({ name, port: z.number().int().min(1).max(65535), weight: z.number().int().optional(), kind: z.string().optional(), group: z.string().optional() });
const listener = z.strictObject({
  name: z.string(),
  protocol: z.enum(['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP']),
  port: z.number().int(),
  hostname: hostname.optional(),
  tls: z.looseObject({}).optional(),
  allowedRoutes: z.looseObject({}).optional(),
});
const secretStoreRef = z.strictObject({ kind: z.enum(['SecretStore', 'ClusterSecretStore']), name });

const crdShapes: Record<string, z.ZodType> = {
  'gateway.networking.k8s.io/v1/Gateway': z.looseObject({
    metadata,
    spec: z.strictObject({
      gatewayClassName: z.string().min(1),
      addresses: z.array(z.strictObject({ type: z.string(), value: z.string() })).optional(),
      listeners: z.array(listener).min(1),
    }),
  }),
  'gateway.networking.k8s.io/v1/HTTPRoute': z.looseObject({
    metadata,
    spec: z.strictObject({
      parentRefs: z.array(parentRef).min(1),
      hostnames: z.array(hostname).max(16).optional(),
      rules: z
        .array(
          z.strictObject({
            matches: z.array(z.looseObject({})).optional(),
            filters: z.array(z.looseObject({ type: z.string() })).optional(),
            backendRefs: z.array(backendRef).optional(),
          }),
        )
        .min(1)
        .max(16),
    }),
  }),
  'external-secrets.io/v1/ExternalSecret': z.looseObject({
    metadata,
    spec: z.strictObject({
      refreshInterval: z.string().regex(/^\d+[smh]$/),
      secretStoreRef,
      target: z.strictObject({ name, creationPolicy: z.enum(['Owner', 'Orphan', 'Merge', 'None']), deletionPolicy: z.enum(['Delete', 'Merge', 'Retain']).optional() }),
      data: z.array(z.strictObject({ secretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/), remoteRef: z.strictObject({ key: z.string().min(1), version: z.string().optional() }) })).min(1),
    }),
  }),
  'external-secrets.io/v1/ClusterSecretStore': z.looseObject({
    metadata,
    spec: z.strictObject({ provider: z.strictObject({ gcpsm: z.strictObject({ projectID: z.string().min(1), auth: z.looseObject({}).optional() }) }) }),
  }),
};

export function validateManifest(m: Manifest): string[] {
  const where = describeManifest(m);
  const model = loadModel('kubernetes-models', m.apiVersion, m.kind) ?? loadModel('@kubernetes-models/gke', m.apiVersion, m.kind);
  if (model) {
    try {
      new model(m).validate();
      return [];
    } catch (error) {
      return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
    }
  }
  const shape = crdShapes[`${m.apiVersion}/${m.kind}`];
  if (!shape) return [`${where}: no schema known for ${m.apiVersion} ${m.kind}`];
  const result = shape.safeParse(m);
  return result.success ? [] : result.error.issues.map((i) => `${where}: ${i.path.join('.')}: ${i.message}`);
}

export function validateManifests(manifests: readonly Manifest[]): string[] {
  return manifests.flatMap(validateManifest);
}
