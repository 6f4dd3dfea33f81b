import { zafToken } from '../helpers/zaf-token';
import { syncHelpCenter } from '../../server/helpcenter/sync';
import { startHarness, type Harness } from '../helpers/harness';

describe('/v1/app/suggestions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.zendesk.putArticle({
      id: 101,
      title: 'How to reset your password',
      body: '<p>Open Settings, choose Security and click Reset password. A link arrives by email.</p>',
    });
    h.zendesk.putArticle({
      id: 102,
      title: 'Refund policy',
      body: '<p>Refunds are issued within 30 days of purchase to the original payment method.</p>',
    });
    h.zendesk.putArticle({
      id: 103,
      title: 'Cambiar la dirección de envío',
      locale: 'es',
      body: '<p>Puede cambiar la dirección de envío desde Mi cuenta antes de que el pedido salga.</p>',
    });
    const tenant = (await h.running.ctx.tenants.get(h.tenant.tenant))!;
    await syncHelpCenter(
      h.running.ctx.helpCenter,
      await h.running.ctx.zendeskFor(tenant),
      tenant.id,
      h.running.ctx.logger,
    );
  });
  afterAll(() => h.stop());

  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads nested JSON
  };

  test('when a customer asks how to reset a password, then the suggestion cites the password article and says which provider answered', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const res = await post(
      '/v1/app/suggestions',
      {
        text: 'Hi, I forgot my password and cannot log in. How do I reset it?',
        locale: 'en-US',
        ticketId: 5,
      },
      token,
    );
    expect(res.status).toBe(200);
    const s = res.body.suggestion;
    expect(s.articles[0].id).toBe(101);
    expect(s.provider).toBe('local');
    expect(s.reply).toMatch(/Reset password|Security/);
    expect(s.confidence).toBeGreaterThan(0);
    const stored = await h.running.ctx.db.query<{ article_ids: string[] }>(
      'SELECT article_ids FROM suggestions WHERE id = $1',
      [s.id],
    );
    expect(stored[0]!.article_ids.map(Number)).toContain(101);
  });

  test('when the customer writes in Spanish, then the Spanish article comes first', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const res = await post(
      '/v1/app/suggestions',
      { text: '¿Cómo puedo cambiar la dirección de envío de mi pedido?', locale: 'es' },
      token,
    );
    expect(res.body.suggestion.articles[0].id).toBe(103);
  });

  test('when an agent inserts a suggestion, then the action is stored with who and which ticket', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret, { sub: '777' });
    const made = await post(
      '/v1/app/suggestions',
      { text: 'refund for my order please', ticketId: 42 },
      token,
    );
    const id = made.body.suggestion.id as string;
    const res = await post(`/v1/app/suggestions/${id}/actions`, { action: 'inserted' }, token);
    expect(res.status).toBe(201);
    const rows = await h.running.ctx.db.query<{ action: string; user_id: string; ticket_id: string }>(
      'SELECT action, user_id::text, ticket_id::text FROM suggestion_actions WHERE suggestion_id = $1',
      [id],
    );
    expect(rows).toEqual([{ action: 'inserted', user_id: '777', ticket_id: '42' }]);
    // The insert is the evidence billing needs to call the ticket's resolution AI-assisted.
    const uses = await h.running.ctx.billing.suggestions.forTicket(h.tenant.tenant, 42);
    expect(uses).toEqual([expect.objectContaining({ suggestionId: id, action: 'inserted', userId: '777' })]);
  });

  test('when input is bad or the suggestion belongs to another tenant, then 4xx and nothing is stored', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    expect((await post('/v1/app/suggestions', { text: '' }, token)).status).toBe(400);
    expect((await post('/v1/app/suggestions', { text: 'hi' })).status).toBe(401);
    const other = await h.running.ctx.tenants.create(
      { subdomain: `x${Date.now().toString(36)}`, credentials: { kind: 'oauth', token: 'x' } },
      false,
    );
    const made = await post('/v1/app/suggestions', { text: 'refund please' }, token);
    const otherToken = await zafToken(other.tenant, other.appSecret);
    const res = await post(
      `/v1/app/suggestions/${made.body.suggestion.id}/actions`,
      { action: 'copied' },
      otherToken,
    );
    expect(res.status).toBe(404);
    expect(
      (await post(`/v1/app/suggestions/${made.body.suggestion.id}/actions`, { action: 'liked' }, token))
        .status,
    ).toBe(400);
  });
});
