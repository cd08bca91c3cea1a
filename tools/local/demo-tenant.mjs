// The demo tenant of `npm start`: created through the tenant registry's operator API like any tenant,
// so a newcomer sees the real provisioning path. Every start issues a new API key (secrets are shown
// once) and then revokes the keys earlier starts issued, so the demo tenant has one live launcher key:
// the one printed last. Launcher keys are named `npm start <time>`; keys named otherwise (issued by
// hand through the registry API) are left alone.
// A Brazilian shop, like the data tools/datagen writes for it (orders in BRL): the API labels its amounts
// with the tenant's currency, and KPIs cut days in its timezone.
const DEMO = { slug: 'demo', name: 'Demo Company', plan: 'standard', settings: { currency: 'BRL', timezone: 'America/Sao_Paulo' } };

async function call(baseUrl, operatorToken, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function fail(what, response) {
  return new Error(`${what}: HTTP ${response.status} ${response.body?.code ?? ''} ${response.body?.detail ?? ''}`.trim());
}

const LAUNCHER_KEY_PREFIX = 'npm start ';

/**
 * Creates the demo tenant if needed (finishing an interrupted provisioning), issues this run's API key and
 * revokes the launcher's earlier keys (also the key the registry issues with a new tenant, which is named
 * `default` and so could not be told apart from a hand-made one later). Returns the slug, the new key and
 * how many keys of earlier starts were revoked.
 */
export async function ensureDemoTenant(registryUrl, operatorToken) {
  const keysUrl = `/v1/tenants/${DEMO.slug}/api-keys`;
  const existing = await call(registryUrl, operatorToken, 'GET', `/v1/tenants/${DEMO.slug}`);
  let created = false;
  const launcherKeyIds = new Set();
  if (existing.status === 404) {
    const response = await call(registryUrl, operatorToken, 'POST', '/v1/tenants', DEMO);
    if (response.status !== 201) throw fail('Creating the demo tenant failed', response);
    created = true;
    launcherKeyIds.add(response.body.apiKey.id);
  } else {
    if (existing.status !== 200) throw fail('Reading the demo tenant failed', existing);
    if (existing.body.status === 'provisioning' || existing.body.status === 'provisioning_failed') {
      const provisioned = await call(registryUrl, operatorToken, 'POST', `/v1/tenants/${DEMO.slug}/provision`);
      if (provisioned.status !== 200) throw fail('Provisioning the demo tenant failed', provisioned);
    }
  }
  // Issued before the old ones are revoked: when issuing fails, the previous key still works.
  const key = await call(registryUrl, operatorToken, 'POST', keysUrl, { name: `${LAUNCHER_KEY_PREFIX}${new Date().toISOString().slice(0, 16)}` });
  if (key.status !== 201) throw fail('Issuing a demo API key failed', key);

  const keys = await call(registryUrl, operatorToken, 'GET', keysUrl);
  if (keys.status !== 200) throw fail('Listing the demo API keys failed', keys);
  let revoked = 0;
  for (const old of keys.body.items) {
    if (old.id === key.body.id || old.revokedAt !== null) continue;
    if (!old.name.startsWith(LAUNCHER_KEY_PREFIX) && !launcherKeyIds.has(old.id)) continue;
    const response = await call(registryUrl, operatorToken, 'DELETE', `${keysUrl}/${old.id}`);
    if (response.status !== 200) throw fail(`Revoking the earlier demo API key ${old.prefix} failed`, response);
    if (!launcherKeyIds.has(old.id)) revoked += 1;
  }
  return { slug: DEMO.slug, apiKey: key.body.key, created, revoked };
}
