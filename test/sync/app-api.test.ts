import { zafToken } from '../helpers/zaf-token';
import { scriptCall } from '../helpers/calls';
import { startHarness, type Harness } from '../helpers/harness';

describe('/v1/app: what the Zendesk app calls', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${h.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    };
  };

  test('when the ticket of a live call is asked for with a valid token, then the call card data comes back without the phone number', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550501');
    await h.post(call.events.slice(0, 3));
    await h.until(() => [...h.zendesk.tickets.values()].some((t) => t.external_id === call.initialContactId));
    const ticket = [...h.zendesk.tickets.values()].find((t) => t.external_id === call.initialContactId)!;
    await h.until(async () => (await h.running.ctx.contacts.byTicket(h.tenant.tenant, ticket.id)) !== null);
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const res = await get(`/v1/app/contacts/by-ticket/${ticket.id}`, token);
    expect(res.status).toBe(200);
    expect(res.body?.contact).toMatchObject({
      initialContactId: call.initialContactId,
      state: 'connected',
      ticketId: ticket.id,
      agentUsername: 'alice@example.com',
      callerMasked: '+1 ••• ••• 0501',
    });
    expect(JSON.stringify(res.body)).not.toContain('4155550501');
    expect((await get(`/v1/app/contacts/${call.initialContactId}`, token)).body?.contact).toMatchObject({
      ticketId: ticket.id,
    });
  });

  test('when the token is missing, forged, expired or for another audience, then 401', async () => {
    expect((await get('/v1/app/contacts/by-ticket/1')).status).toBe(401);
    expect(
      (await get('/v1/app/contacts/by-ticket/1', await zafToken(h.tenant.tenant, 'not-the-secret'))).status,
    ).toBe(401);
    expect(
      (
        await get(
          '/v1/app/contacts/by-ticket/1',
          await zafToken(h.tenant.tenant, h.tenant.appSecret, { expSeconds: -120 }),
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await get(
          '/v1/app/contacts/by-ticket/1',
          await zafToken(h.tenant.tenant, h.tenant.appSecret, { aud: 'https://evil.test' }),
        )
      ).status,
    ).toBe(401);
  });

  test("when another account asks for this tenant's contact, then it sees nothing", async () => {
    const other = await h.running.ctx.tenants.create(
      { subdomain: `o${Date.now().toString(36)}`, credentials: { kind: 'oauth', token: 'x' } },
      false,
    );
    const call = scriptCall(h.connect, 'abandoned', '+14155550502');
    await h.post(call.events);
    await h.until(() => [...h.zendesk.tickets.values()].some((t) => t.external_id === call.initialContactId));
    const token = await zafToken(other.tenant, other.appSecret);
    const res = await get(`/v1/app/contacts/${call.initialContactId}`, token);
    expect(res).toEqual({ status: 200, body: { contact: null } });
    const mint = await fetch(`${h.url}/v1/app/stream-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: call.initialContactId }),
    });
    expect(mint.status).toBe(404);
  });

  test('when a stream is opened with a minted token, then state changes arrive as server-sent events and the token cannot be reused', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550503');
    await h.post(call.events.slice(0, 3));
    await h.until(
      async () =>
        (await h.running.ctx.contacts.byContactId(h.tenant.tenant, call.initialContactId))?.state ===
        'connected',
    );
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const mint = await fetch(`${h.url}/v1/app/stream-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: call.initialContactId }),
    });
    expect(mint.status).toBe(200);
    const { token: streamToken } = (await mint.json()) as { token: string };
    const controller = new AbortController();
    const stream = await fetch(
      `${h.url}/v1/app/contacts/${call.initialContactId}/events?token=${encodeURIComponent(streamToken)}`,
      {
        signal: controller.signal,
      },
    );
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(stream.headers.get('access-control-allow-origin')).toBe('*');
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil(/"state":"connected"/);
    await h.post(call.events[3]);
    await readUntil(/"state":"ended"/);
    controller.abort();
    const again = await fetch(
      `${h.url}/v1/app/contacts/${call.initialContactId}/events?token=${encodeURIComponent(streamToken)}`,
    );
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('token_replayed');
  });

  test('when a parameter is malformed, then 400 names it', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const res = await get('/v1/app/contacts/by-ticket/abc', token);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('ticketId');
  });
});
