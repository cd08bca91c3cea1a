import { ApiUnderTest } from '../api.int-kit';

describe('GET /docs', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('serves the docs page and its assets without an API key, pointing at /openapi.json', async () => {
    const page = await api.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');

    const init = await api.request('GET', '/docs/init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain("url: '/openapi.json'");

    const bundle = await api.request('GET', '/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect(bundle.text.length).toBeGreaterThan(100_000);

    const css = await api.request('GET', '/docs/swagger-ui.css');
    expect(css.status).toBe(200);
  });

  it('serves only the files it knows', async () => {
    const response = await api.request('GET', '/docs/..%2Fpackage.json');
    // A file it does not have is not there: 404, as for any unknown path.
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'route_not_found' });
  });
});
