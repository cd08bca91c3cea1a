// The demo tenant of `npm start`: created through the tenant registry's operator API like any tenant,
// so a newcomer sees the real provisioning path. A new API key is issued on every start (secrets are
// shown once), named so that old ones are easy to recognise and revoke.

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

/** Creates the demo tenant if needed (finishing an interrupted provisioning) and returns its slug and a fresh key. */
export async function ensureDemoTenant(registryUrl, operatorToken) {
  const existing = await call(registryUrl, operatorToken, 'GET', `/v1/tenants/${DEMO.slug}`);
  if (existing.status === 404) {
    const created = await call(registryUrl, operatorToken, 'POST', '/v1/tenants', DEMO);
    if (created.status !== 201) throw fail('Creating the demo tenant failed', created);
    return { slug: DEMO.slug, apiKey: created.body.apiKey.key, created: true };
  }
  if (existing.status !== 200) throw fail('Reading the demo tenant failed', existing);
  if (existing.body.status === 'provisioning' || existing.body.status === 'provisioning_failed') {
    const provisioned = await call(registryUrl, operatorToken, 'POST', `/v1/tenants/${DEMO.slug}/provision`);
    if (provisioned.status !== 200) throw fail('Provisioning the demo tenant failed', provisioned);
  }
  const key = await call(registryUrl, operatorToken, 'POST', `/v1/tenants/${DEMO.slug}/api-keys`, {
    name: `npm start ${new Date().toISOString().slice(0, 16)}`,
  });
  if (key.status !== 201) throw fail('Issuing a demo API key failed', key);
  return { slug: DEMO.slug, apiKey: key.body.key, created: false };
}
