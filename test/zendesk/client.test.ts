import net from 'node:net';
import zlib from 'node:zlib';
import { Writable } from 'node:stream';
import nock from 'nock';
import pino from 'pino';
import { createZendeskClient, type ZendeskClientOpts } from '../../server/zendesk/client';
import type { ZendeskLimiter } from '../../server/zendesk/rate-limit';
import {
  RateLimitedError,
  ZendeskError,
  type ZendeskCredentials,
  type ZendeskRequestKind,
} from '../../server/zendesk/types';
import { checkZendeskSpec, preloadZendeskSpec, type SpecViolation } from '../helpers/zendesk-spec';

const BASE = 'https://acme.zendesk.com';
const PHONE = '+15551234567';
const TOKEN = 'tok-SECRET-123';
const API_TOKEN: ZendeskCredentials = { kind: 'api_token', email: 'bot@acme.test', token: TOKEN };

const voiceTicket = {
  via_id: 45 as const,
  subject: 'Call from caller',
  external_id: 'contact-1',
  tags: ['concierge'],
  comment: { body: 'Inbound call', public: false },
  voice_comment: {
    from: PHONE,
    to: '+15550000000',
    started_at: '2025-01-02T03:04:05.000Z',
    call_duration: 42,
    answered_by_id: 7,
  },
};

let violations: SpecViolation[];
let scope: nock.Scope;
let logLines: string[];
let events: Array<{ kind: ZendeskRequestKind; status: number | 'network_error'; ms: number }>;

function client(overrides: Partial<ZendeskClientOpts> = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  return createZendeskClient({
    tenantId: 't1',
    baseUrl: `${BASE}/`,
    credentials: API_TOKEN,
    logger: pino({ level: 'debug' }, sink),
    onRequest: (e) => events.push(e),
    ...overrides,
  });
}

/** A limiter double that records what the client asked of it. */
function recordingLimiter(refuseWith?: number) {
  const calls: string[] = [];
  const limiter: ZendeskLimiter = {
    async acquire(tenantId, priority, maxWaitMs, rpm) {
      calls.push(`acquire ${tenantId} ${priority} ${maxWaitMs} ${rpm}`);
      if (refuseWith !== undefined) throw new RateLimitedError(refuseWith);
    },
    async block(tenantId, ms) {
      calls.push(`block ${tenantId} ${ms}`);
    },
  };
  return { limiter, calls };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(() => {
  preloadZendeskSpec();
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});
afterAll(() => {
  nock.enableNetConnect();
});
beforeEach(() => {
  logLines = [];
  events = [];
  scope = nock(BASE);
  violations = checkZendeskSpec(scope);
});
afterEach(() => {
  const done = scope.isDone();
  nock.cleanAll();
  expect(violations).toEqual([]);
  expect(done).toBe(true);
});

describe('createZendeskClient', () => {
  it('when a voice ticket is created with display_to_agent and an idempotency key, then both are sent and the ids come back', async () => {
    const { limiter, calls } = recordingLimiter();
    scope
      .post('/api/v2/channels/voice/tickets.json', { display_to_agent: 7, ticket: voiceTicket })
      .matchHeader('idempotency-key', 'concierge-t1-contact-1')
      .reply(201, { ticket: { id: 42, requester_id: 9 } });

    const created = await client({ limiter, rpm: 400 }).createVoiceTicket(voiceTicket, 7, {
      priority: 'live',
      idempotencyKey: 'concierge-t1-contact-1',
    });

    expect(created).toEqual({ ticketId: 42, requesterId: 9 });
    expect(calls).toEqual(['acquire t1 live 5000 400']);
    expect(events).toEqual([{ kind: 'voice_ticket_create', status: 201, ms: expect.any(Number) }]);
  });

  it('when no agent is given, then the voice ticket body has no display_to_agent', async () => {
    scope
      .post(
        '/api/v2/channels/voice/tickets.json',
        (body: Record<string, unknown>) => !('display_to_agent' in body),
      )
      .reply(201, { ticket: { id: 43 } });
    await expect(client().createVoiceTicket(voiceTicket, undefined, { priority: 'live' })).resolves.toEqual({
      ticketId: 43,
    });
  });

  it('when a ticket is created and updated, then the bodies are wrapped in ticket and no key goes on the update', async () => {
    scope
      .post('/api/v2/tickets.json', {
        ticket: { subject: 'Chat', comment: { body: 'hello', public: false } },
      })
      .matchHeader('idempotency-key', 'k-1')
      .reply(201, { ticket: { id: 5, requester_id: 1 } })
      .put('/api/v2/tickets/5.json', {
        ticket: { additional_tags: ['x'], comment: { body: 'later', public: false } },
      })
      .matchHeader('idempotency-key', (v: string | undefined) => v === undefined)
      .reply(200, { ticket: { id: 5 }, audit: {} });
    const zd = client();

    await expect(
      zd.createTicket(
        { subject: 'Chat', comment: { body: 'hello', public: false } },
        { priority: 'live', idempotencyKey: 'k-1' },
      ),
    ).resolves.toEqual({ ticketId: 5, requesterId: 1 });
    await expect(
      zd.updateTicket(
        5,
        { additional_tags: ['x'], comment: { body: 'later', public: false } },
        { priority: 'deferrable', idempotencyKey: 'ignored' },
      ),
    ).resolves.toBeUndefined();
  });

  it('when Zendesk answers 429 with Retry-After, then the error is retriable with retryAfterMs and the budget is blocked', async () => {
    const { limiter, calls } = recordingLimiter();
    scope
      .post('/api/v2/tickets.json')
      .reply(429, 'Rate limit exceeded', { 'Retry-After': '7', 'Content-Type': 'text/html' });

    const err = await failure(
      client({ limiter }).createTicket({ comment: { body: 'x', public: false } }, { priority: 'deferrable' }),
    );

    expect(err).toBeInstanceOf(ZendeskError);
    expect(err).toMatchObject({ status: 429, retriable: true, retryAfterMs: 7000 });
    expect(calls).toEqual(['acquire t1 deferrable 1000 undefined', 'block t1 7000']);
  });

  it('when Zendesk answers 503, then the error is retriable', async () => {
    scope.put('/api/v2/tickets/9.json').reply(503, { error: 'ServiceUnavailable' });
    const err = await failure(client().updateTicket(9, { status: 'open' }, { priority: 'deferrable' }));
    expect(err).toMatchObject({ name: 'ZendeskError', status: 503, retriable: true });
  });

  it('when Zendesk answers 422, then the error is final and names the status and Zendesk error, not the request', async () => {
    scope.post('/api/v2/tickets.json').reply(422, {
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: { base: [{ description: 'x' }] },
    });

    const err = await failure(
      client().createTicket(
        { subject: 'Caller +15551234567', comment: { body: 'secret note', public: false } },
        { priority: 'live' },
      ),
    );

    expect(err).toMatchObject({ status: 422, retriable: false });
    const message = (err as Error).message;
    expect(message).toContain('422');
    expect(message).toContain('RecordInvalid: Record validation errors');
    expect(message).not.toContain('secret note');
    expect(message).not.toContain(PHONE);
  });

  it('when the credentials are an OAuth token, then the request carries a Bearer header', async () => {
    scope
      .matchHeader('authorization', 'Bearer oauth-abc')
      .get('/api/v2/users/search.json')
      .query(true)
      .reply(200, { users: [] });
    await client({ credentials: { kind: 'oauth', token: 'oauth-abc' } }).findUserByEmail('a@b.test', {
      priority: 'live',
    });
  });

  it('when the credentials are an API token, then the request carries Basic email/token', async () => {
    const basic = `Basic ${Buffer.from(`bot@acme.test/token:${TOKEN}`).toString('base64')}`;
    scope
      .matchHeader('authorization', basic)
      .get('/api/v2/users/search.json')
      .query(true)
      .reply(200, { users: [] });
    await client().findUserByEmail('a@b.test', { priority: 'live' });
  });

  it('when a phone search finds nobody, then the answer is null', async () => {
    scope
      .get('/api/v2/users/search.json')
      .query({ query: `phone:${PHONE}` })
      .reply(200, { users: [], count: 0, next_page: null });
    await expect(client().findUserByPhone(PHONE, { priority: 'live' })).resolves.toBeNull();
  });

  it('when a search finds users, then the first id is the answer', async () => {
    scope
      .get('/api/v2/users/search.json')
      .query({ query: 'email:ann@acme.test' })
      .reply(200, { users: [{ id: 11 }, { id: 12 }], count: 2, next_page: 'https://acme.zendesk.com/next' });
    await expect(client().findUserByEmail('ann@acme.test', { priority: 'deferrable' })).resolves.toBe(11);
  });

  it('when an end user is created, then the body is a user with name, phone and role and its id comes back', async () => {
    scope
      .post('/api/v2/users.json', { user: { name: 'Caller', phone: PHONE, role: 'end-user' } })
      .reply(201, { user: { id: 77, name: 'Caller' } });
    await expect(
      client().createEndUser({ name: 'Caller', phone: PHONE }, { priority: 'live' }),
    ).resolves.toBe(77);
  });

  it('when a screen pop is sent, then the display endpoint is posted without a body and an empty 200 is success', async () => {
    scope
      .post(
        '/api/v2/channels/voice/agents/7/tickets/42/display.json',
        (body: unknown) => body === '' || body === undefined,
      )
      .reply(200);
    await expect(client().displayTicket(7, 42, { priority: 'live' })).resolves.toBeUndefined();
  });

  it('when the connection fails, then the error is retriable and the request is counted as a network error', async () => {
    // A real socket that the server drops as soon as the request arrives: ECONNRESET, as from a proxy reset.
    const server = net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as net.AddressInfo;
      const err = await failure(
        client({ baseUrl: `http://127.0.0.1:${port}` }).createTicket(
          { comment: { body: 'x', public: false } },
          { priority: 'live' },
        ),
      );
      expect(err).toMatchObject({ name: 'ZendeskError', status: undefined, retriable: true });
      expect((err as Error).message).toContain('ECONNRESET');
      expect(events.map((e) => e.status)).toEqual(['network_error']);
    } finally {
      server.close();
    }
  });

  it('when Zendesk is slower than timeoutMs, then the error is a retriable timeout', async () => {
    scope
      .post('/api/v2/tickets.json')
      .delay(500)
      .reply(201, { ticket: { id: 1 } });
    const err = await failure(
      client({ timeoutMs: 50 }).createTicket({ comment: { body: 'x', public: false } }, { priority: 'live' }),
    );
    expect(err).toMatchObject({ retriable: true, message: expect.stringContaining('timed out after 50 ms') });
  });

  it('when the budget has no token, then RateLimitedError is thrown and nothing is sent', async () => {
    const { limiter } = recordingLimiter(1234);
    const err = await failure(client({ limiter }).findUserByPhone(PHONE, { priority: 'deferrable' }));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ retryAfterMs: 1234 });
    expect(events).toEqual([]);
  });

  it('when the budget store fails or hangs, then the request is still sent (Zendesk’s own 429 remains the guard)', async () => {
    scope
      .get('/api/v2/users/search.json')
      .query(true)
      .times(2)
      .reply(200, { users: [{ id: 3 }] });
    const failing: ZendeskLimiter = {
      acquire: () => Promise.reject(new Error('Connection is closed.')),
      block: async () => undefined,
    };
    const hanging: ZendeskLimiter = {
      acquire: () => new Promise(() => undefined),
      block: async () => undefined,
    };
    await expect(client({ limiter: failing }).findUserByPhone(PHONE, { priority: 'live' })).resolves.toBe(3);
    const started = Date.now();
    await expect(
      client({ limiter: hanging, maxWaitMs: { live: 0 } }).findUserByPhone(PHONE, { priority: 'live' }),
    ).resolves.toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('when requests succeed and fail, then no log line holds the phone number or the token', async () => {
    scope
      .get('/api/v2/users/search.json')
      .query(true)
      .reply(200, { users: [{ id: 3 }] })
      .post('/api/v2/users.json')
      .reply(400, { error: 'InvalidValue', description: 'bad' });
    const zd = client();
    await zd.findUserByPhone(PHONE, { priority: 'live' });
    await failure(zd.createEndUser({ name: 'Caller', phone: PHONE }, { priority: 'live' }));
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    const all = logLines.join('\n');
    expect(all).not.toContain('5551234567');
    expect(all).not.toContain(TOKEN);
  });

  it('when Zendesk answers gzipped, then the body is inflated (and gzip was asked for)', async () => {
    scope
      .get('/api/v2/users/search.json')
      .query({ query: `phone:${PHONE}` })
      .matchHeader('accept-encoding', /gzip/)
      .reply(200, zlib.gzipSync(JSON.stringify({ users: [{ id: 5 }] })), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
    await expect(client().findUserByPhone(PHONE, { priority: 'live' })).resolves.toBe(5);
  });

  it('when concurrent requests wait on the budget and go out in another order, then each carries its own Idempotency-Key', async () => {
    // The limiter lets the later calls through first: the hand-off must still pair each request with its key.
    const gates: Array<() => void> = [];
    const limiter: ZendeskLimiter = {
      acquire: () => new Promise<void>((resolve) => gates.push(resolve)),
      block: async () => undefined,
    };
    const seen: Array<{ subject: string; key: string | undefined }> = [];
    scope
      .post('/api/v2/tickets.json')
      .times(3)
      .reply(function (_uri, body) {
        const key = this.req.headers['idempotency-key'];
        seen.push({
          subject: (body as { ticket: { subject: string } }).ticket.subject,
          key: Array.isArray(key) ? key[0] : key,
        });
        return [201, { ticket: { id: seen.length } }];
      });
    const zd = client({ limiter });
    const calls = (['a', 'b', 'c'] as const).map((s) =>
      zd.createTicket(
        { subject: s, comment: { body: 'x', public: false } },
        s === 'b' ? { priority: 'live' } : { priority: 'live', idempotencyKey: `key-${s}` },
      ),
    );
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(3);
    for (const open of gates.reverse()) open();
    await Promise.all(calls);
    expect(seen.sort((x, y) => x.subject.localeCompare(y.subject))).toEqual([
      { subject: 'a', key: 'key-a' },
      { subject: 'b', key: undefined },
      { subject: 'c', key: 'key-c' },
    ]);
  });
});
