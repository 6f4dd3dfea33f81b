import pino from 'pino';
import { createZendeskClient } from '../../server/zendesk/client';
import { ZendeskError, type ZendeskApi } from '../../server/zendesk/types';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';

const AUTH = `Basic ${Buffer.from('bot@acme.test/token:tok').toString('base64')}`;
const PHONE = '+15551234567';

const voiceTicket = {
  via_id: 45 as const,
  subject: 'Call',
  external_id: 'contact-1',
  comment: { body: 'Inbound call', public: false },
  voice_comment: { from: PHONE, to: '+15550000000', started_at: '2025-01-02T03:04:05Z', call_duration: 42 },
};

let double: ZendeskDouble;
let zd: ZendeskApi;

beforeAll(async () => {
  double = await startZendeskDouble({ authorization: AUTH });
});
afterAll(async () => {
  await double.close();
});
beforeEach(() => {
  double.reset();
  zd = createZendeskClient({
    tenantId: 't1',
    baseUrl: double.url,
    credentials: { kind: 'api_token', email: 'bot@acme.test', token: 'tok' },
    logger: pino({ level: 'silent' }),
  });
});
afterEach(() => {
  expect(double.specViolations).toEqual([]);
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${double.url}${path}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    lookup: res.headers.get('x-idempotency-lookup'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('Zendesk double', () => {
  it('when a voice ticket is created with display_to_agent, then the ticket is stored and the agent gets a screen pop', async () => {
    const created = await zd.createVoiceTicket(voiceTicket, 7, { priority: 'live' });
    const stored = double.tickets.get(created.ticketId);
    expect(stored).toMatchObject({ via_id: 45, external_id: 'contact-1', requester_id: 1 });
    expect(stored?.comments[0]).toMatchObject({ body: 'Inbound call', voice_comment: { call_duration: 42 } });
    expect(double.screenPops).toEqual([{ agentId: 7, ticketId: created.ticketId, at: expect.any(Number) }]);
    expect(double.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/api/v2/channels/voice/tickets',
        kind: 'voice_ticket_create',
        status: 201,
      }),
    ]);
  });

  it('when the same Idempotency-Key is sent twice, then one ticket exists and the second answer is a lookup hit', async () => {
    const body = { ticket: voiceTicket };
    const first = await post('/api/v2/channels/voice/tickets', body, { 'idempotency-key': 'k1' });
    const second = await post('/api/v2/channels/voice/tickets', body, { 'idempotency-key': 'k1' });
    expect([first.status, first.lookup]).toEqual([201, 'miss']);
    expect([second.status, second.lookup]).toEqual([201, 'hit']);
    expect(second.body).toEqual(first.body);
    expect(double.tickets.size).toBe(1);
  });

  it('when an Idempotency-Key is reused with another body, then the double refuses it', async () => {
    await post(
      '/api/v2/tickets',
      { ticket: { comment: { body: 'a', public: false } } },
      { 'idempotency-key': 'k2' },
    );
    const reuse = await post(
      '/api/v2/tickets',
      { ticket: { comment: { body: 'b', public: false } } },
      { 'idempotency-key': 'k2' },
    );
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('IdempotentRequestError');
    expect(double.tickets.size).toBe(1);
  });

  it('when the client retries a create after a 503, then the key returns the first ticket', async () => {
    double.failNext(1, 503, { kind: 'voice_ticket_create' });
    const opts = { priority: 'live' as const, idempotencyKey: 'concierge-t1-contact-1' };
    await expect(zd.createVoiceTicket(voiceTicket, undefined, opts)).rejects.toMatchObject({
      status: 503,
      retriable: true,
    });
    const a = await zd.createVoiceTicket(voiceTicket, undefined, opts);
    const b = await zd.createVoiceTicket(voiceTicket, undefined, opts);
    expect(b).toEqual(a);
    expect(double.tickets.size).toBe(1);
    expect(double.requests.map((r) => [r.status, r.idempotencyKey])).toEqual([
      [503, 'concierge-t1-contact-1'],
      [201, 'concierge-t1-contact-1'],
      [201, 'concierge-t1-contact-1'],
    ]);
  });

  it('when a 429 storm is injected, then each faulted request gets Retry-After and the next one passes', async () => {
    double.failNext(2, 429, { headers: { 'retry-after': '3' } });
    for (let i = 0; i < 2; i++) {
      const err = await zd.findUserByPhone(PHONE, { priority: 'deferrable' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZendeskError);
      expect(err).toMatchObject({ status: 429, retryAfterMs: 3000 });
    }
    await expect(zd.findUserByPhone(PHONE, { priority: 'deferrable' })).resolves.toBeNull();
    expect(double.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('when a dropped connection is injected, then the client sees a retriable network error', async () => {
    // A write without an Idempotency-Key: the transport never sends it twice by itself (a look-up that met
    // a dropped kept-alive socket would be sent once more, and succeed).
    double.failNext(1, 'network');
    await expect(
      zd.createTicket({ subject: 'x', comment: { body: 'x', public: false } }, { priority: 'live' }),
    ).rejects.toMatchObject({
      status: undefined,
      retriable: true,
    });
    expect(double.requests.map((r) => r.status)).toEqual(['network']);
  });

  it('when users are created and searched, then phone and email searches find them', async () => {
    const id = await zd.createEndUser({ name: 'Caller', phone: PHONE }, { priority: 'live' });
    double.addUser({ name: 'Agent Ann', email: 'ann@acme.test', role: 'agent' });
    await expect(zd.findUserByPhone(PHONE, { priority: 'live' })).resolves.toBe(id);
    await expect(zd.findUserByEmail('ANN@acme.test', { priority: 'live' })).resolves.toEqual(
      expect.any(Number),
    );
    await expect(zd.findUserByPhone('+15559999999', { priority: 'live' })).resolves.toBeNull();
  });

  it('when a ticket is updated and displayed, then the comment is added and a missing ticket is a 404', async () => {
    const { ticketId } = await zd.createTicket(
      { comment: { body: 'first', public: false }, tags: ['a'] },
      { priority: 'live' },
    );
    await zd.updateTicket(
      ticketId,
      { comment: { body: 'second', public: false }, additional_tags: ['b'] },
      { priority: 'deferrable' },
    );
    await zd.displayTicket(5, ticketId, { priority: 'live' });
    expect(double.tickets.get(ticketId)).toMatchObject({
      tags: ['a', 'b'],
      comments: [{ body: 'first' }, { body: 'second' }],
    });
    expect(double.screenPops.map((p) => p.ticketId)).toEqual([ticketId]);
    await expect(zd.displayTicket(5, 999, { priority: 'live' })).rejects.toMatchObject({
      status: 404,
      retriable: false,
    });
  });

  it('when a body breaks the spec, then the double answers 400 with the errors and records the violation', async () => {
    const res = await post('/api/v2/channels/voice/tickets', {
      display_to_agent: 'seven',
      ticket: voiceTicket,
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual(['body.display_to_agent must be integer']);
    expect(double.specViolations).toEqual([
      {
        method: 'POST',
        path: '/api/v2/channels/voice/tickets',
        errors: ['body.display_to_agent must be integer'],
      },
    ]);
    expect(double.tickets.size).toBe(0);
    double.specViolations.length = 0;
  });

  it('when the Authorization header is wrong, then the double answers 401', async () => {
    const res = await post(
      '/api/v2/tickets',
      { ticket: { comment: { body: 'x', public: false } } },
      { authorization: 'Bearer nope' },
    );
    expect(res.status).toBe(401);
  });

  it('when latency is set, then answers take at least that long', async () => {
    double.setLatency(120);
    const started = Date.now();
    await zd.findUserByEmail('x@y.test', { priority: 'live' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    double.setLatency(0);
  });
});
