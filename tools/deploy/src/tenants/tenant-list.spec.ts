import { fetchRegistryTenants } from './tenant-list';

describe('fetchRegistryTenants', () => {
  it('follows nextCursor with the operator token and keeps unknown fields out of the way', async () => {
    const calls: Array<{ url: string; authorization: string | null }> = [];
    const pages: Record<string, unknown> = {
      '': { items: [{ slug: 'acme', status: 'active', hostnames: ['a.acme.com'], settings: { dedicated: true, timezone: 'America/Sao_Paulo' }, plan: 'pro' }], nextCursor: 'c1' },
      c1: { items: [{ slug: 'globex', status: 'onboarding', hostnames: [], settings: {} }], nextCursor: null },
    };
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      calls.push({ url: `${url.pathname}?${url.searchParams}`, authorization: new Headers(init?.headers).get('authorization') });
      return new Response(JSON.stringify(pages[url.searchParams.get('cursor') ?? '']), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;

    const tenants = await fetchRegistryTenants({ baseUrl: 'http://registry:3001', operatorToken: 'op-token', fetchImpl: fakeFetch, pageSize: 1 });

    expect(tenants.map((t) => [t.slug, t.status, t.hostnames, t.settings.dedicated])).toEqual([
      ['acme', 'active', ['a.acme.com'], true],
      ['globex', 'onboarding', [], undefined],
    ]);
    expect(calls).toEqual([
      { url: '/v1/tenants?limit=1', authorization: 'Bearer op-token' },
      { url: '/v1/tenants?limit=1&cursor=c1', authorization: 'Bearer op-token' },
    ]);
  });

  it('reports an error status with the body', async () => {
    const fakeFetch = (async () => new Response('{"title":"Unauthorized"}', { status: 401 })) as typeof fetch;
    await expect(fetchRegistryTenants({ baseUrl: 'http://registry', operatorToken: 'wrong', fetchImpl: fakeFetch })).rejects.toThrow(
      'GET /v1/tenants answered 401: {"title":"Unauthorized"}',
    );
  });
});
