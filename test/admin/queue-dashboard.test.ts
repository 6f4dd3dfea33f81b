import { startHarness, type Harness } from '../helpers/harness';

const TOKEN = 'admin-token-0123456789abcdefghij';

describe('Queue dashboard (bull-board) at /admin/queues', () => {
  describe('with CONCIERGE_ADMIN_TOKEN set', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ env: { CONCIERGE_ADMIN_TOKEN: TOKEN } });
    });
    afterAll(() => h.stop());

    test('when no credentials or wrong ones are sent, then 401 with a Basic challenge, for the page and its API', async () => {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const none = await fetch(`${h.url}${path}`);
        expect(none.status).toBe(401);
        expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="Concierge admin"/);
        const wrong = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}x` } });
        expect(wrong.status).toBe(401);
      }
      // A tenant's ingest key is not an admin credential.
      const tenantKey = await fetch(`${h.url}/admin/queues/api/queues`, {
        headers: { authorization: `Bearer ${h.tenant.ingestKey}` },
      });
      expect(tenantKey.status).toBe(401);
    });

    test('when the bearer token is sent, then the dashboard and its API answer 200 with every queue', async () => {
      const page = await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('<base href="/admin/queues/"');
      // Its script is served too (behind the same credentials).
      const script = /src="(static\/js\/main\.[\w.]+\.js)"/.exec(html)![1]!;
      const js = await fetch(`${h.url}/admin/queues/${script}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(js.status).toBe(200);
      expect((await fetch(`${h.url}/admin/queues/${script}`)).status).toBe(401);

      const api = await fetch(`${h.url}/admin/queues/api/queues`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(api.status).toBe(200);
      const body = (await api.json()) as { queues: Array<{ name: string }> };
      expect(body.queues.map((q) => q.name).sort()).toEqual(
        expect.arrayContaining(['billing-ticket', 'contact-sync', 'tenant-lifecycle']),
      );
    });

    test('when a browser sends Basic credentials with the token as password, then 200', async () => {
      const basic = Buffer.from(`ops:${TOKEN}`).toString('base64');
      const res = await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Basic ${basic}` } });
      expect(res.status).toBe(200);
      const wrong = Buffer.from(`ops:nope`).toString('base64');
      expect(
        (await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Basic ${wrong}` } })).status,
      ).toBe(401);
    });
  });

  test('when CONCIERGE_ADMIN_TOKEN is not set, then /admin/queues does not exist (404), even with credentials', async () => {
    const h = await startHarness();
    try {
      const res = await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect((await fetch(`${h.url}/admin/queues/api/queues`)).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});
