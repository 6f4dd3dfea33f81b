import {
  createServiceApi,
  parseContact,
  ServiceError,
  watchContact,
  type ContactView,
  type EventSourceLike,
} from '../../app/api';
import { ZafRequestError, type ZafClient, type ZafRequestOptions } from '../../app/zaf/client';

function clientReturning(handler: (o: ZafRequestOptions) => unknown): {
  client: ZafClient;
  calls: ZafRequestOptions[];
} {
  const calls: ZafRequestOptions[] = [];
  const client = {
    request: jest.fn(async (o: ZafRequestOptions) => {
      calls.push(o);
      return handler(o);
    }),
  } as unknown as ZafClient;
  return { client, calls };
}

const contact: ContactView = {
  contactId: 'c-1',
  initialContactId: 'c-1',
  channel: 'VOICE',
  state: 'connected',
  queue: 'Support',
  callerMasked: '+1 ••• ••• 0100',
  startedAt: '2025-03-01T12:00:00Z',
  connectedAt: '2025-03-01T12:00:20Z',
  ticketId: 42,
};

describe('service API (signed ZAF requests)', () => {
  it('when it calls the service, then the request goes through the proxy with the HS256 jwt option', async () => {
    const { client, calls } = clientReturning(() => ({ contact }));
    const api = createServiceApi({
      client,
      serviceUrl: 'https://svc.example.com/',
      subdomain: 'acme',
      userId: 7,
    });
    await expect(api.getContactByTicket(42)).resolves.toEqual(contact);
    expect(calls[0]).toEqual({
      url: 'https://svc.example.com/v1/app/contacts/by-ticket/42',
      type: 'GET',
      secure: true,
      cors: false,
      dataType: 'json',
      contentType: 'application/json',
      headers: { Authorization: 'Bearer {{jwt.token}}' },
      jwt: {
        algorithm: 'HS256',
        secret_key: '{{setting.shared_secret}}',
        expiry: 300,
        claims: { iss: 'https://acme.zendesk.com', aud: 'https://svc.example.com', sub: '7' },
      },
    });
  });

  it('when minting a stream token, then it POSTs the contact id as JSON', async () => {
    const { client, calls } = clientReturning(() => ({ token: 'tok', expiresAt: '2025-03-01T12:01:00Z' }));
    const api = createServiceApi({ client, serviceUrl: 'https://svc.example.com', subdomain: 'acme' });
    await expect(api.mintStreamToken('c/1')).resolves.toEqual({
      token: 'tok',
      expiresAt: '2025-03-01T12:01:00Z',
    });
    expect(calls[0]).toMatchObject({
      url: 'https://svc.example.com/v1/app/stream-tokens',
      type: 'POST',
      data: '{"contactId":"c/1"}',
    });
    expect(calls[0]?.jwt?.claims).toEqual({
      iss: 'https://acme.zendesk.com',
      aud: 'https://svc.example.com',
    });
    expect(api.eventsUrl('c/1', 'a b')).toBe(
      'https://svc.example.com/v1/app/contacts/c%2F1/events?token=a%20b',
    );
  });

  it('when the service answers with an error body, then a ServiceError carries its status and code', async () => {
    const { client } = clientReturning(() => {
      throw new ZafRequestError(401, '{"error":{"code":"invalid_token","message":"Invalid app token"}}', {
        error: { code: 'invalid_token', message: 'Invalid app token' },
      });
    });
    const api = createServiceApi({ client, serviceUrl: 'https://svc.example.com', subdomain: 'acme' });
    const err = await api.getContact('c-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_token', message: 'Invalid app token' });
  });

  it('when the proxy returns the body as text, then it is parsed', async () => {
    const { client } = clientReturning(() => JSON.stringify({ contact: null }));
    const api = createServiceApi({ client, serviceUrl: 'https://svc.example.com', subdomain: 'acme' });
    await expect(api.getContact('c-1')).resolves.toBeNull();
  });
});

describe('parseContact', () => {
  it('when optional fields are missing or of the wrong type, then they are dropped', () => {
    expect(parseContact({ contactId: 'x', state: 'queued', ticketId: '12', queue: 5 })).toEqual({
      contactId: 'x',
      initialContactId: 'x',
      channel: 'VOICE',
      state: 'queued',
    });
  });
  it('when the state is unknown, then it is a protocol error', () => {
    expect(() => parseContact({ contactId: 'x', state: 'ringing' })).toThrow(ServiceError);
  });
});

class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data?: unknown) {
    this.listeners.get(type)?.forEach((l) => l({ data: JSON.stringify(data) } as MessageEvent));
  }
}

describe('watchContact (SSE)', () => {
  beforeEach(() => {
    FakeEventSource.all = [];
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  function api(tokens: string[]) {
    let n = 0;
    return {
      serviceUrl: 'https://svc.example.com',
      getContactByTicket: jest.fn(),
      getContact: jest.fn(),
      mintStreamToken: jest.fn(async () => ({ token: tokens[n++] ?? `t${n}`, expiresAt: '' })),
      eventsUrl: (id: string, token: string) =>
        `https://svc.example.com/v1/app/contacts/${id}/events?token=${token}`,
      suggest: jest.fn(),
      recordSuggestionAction: jest.fn(),
      call: jest.fn(),
      text: jest.fn(),
    };
  }

  it('when state events arrive, then each is delivered, and the stream closes once the call ended', async () => {
    const states: string[] = [];
    const statuses: string[] = [];
    watchContact({
      api: api(['t1']),
      contactId: 'c-1',
      onState: (c) => states.push(c.state),
      onStatus: (s) => statuses.push(s),
      createEventSource: (url) => new FakeEventSource(url),
    });
    await Promise.resolve();
    await Promise.resolve();
    const es = FakeEventSource.all[0]!;
    expect(es.url).toBe('https://svc.example.com/v1/app/contacts/c-1/events?token=t1');
    es.emit('open');
    es.emit('state', { ...contact, state: 'queued' });
    es.emit('state', { nonsense: true });
    es.emit('state', { ...contact, state: 'ended' });
    expect(states).toEqual(['queued', 'ended']);
    expect(statuses).toEqual(['connecting', 'live']);
    expect(es.closed).toBe(true);
  });

  it('when the stream errors, then it reconnects with a freshly minted token after a backoff', async () => {
    const a = api(['t1', 't2']);
    const stop = watchContact({
      api: a,
      contactId: 'c-1',
      onState: () => {},
      createEventSource: (url) => new FakeEventSource(url),
    });
    await Promise.resolve();
    await Promise.resolve();
    FakeEventSource.all[0]!.onerror?.(new Event('error'));
    expect(FakeEventSource.all[0]!.closed).toBe(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(a.mintStreamToken).toHaveBeenCalledTimes(2);
    expect(FakeEventSource.all[1]!.url).toContain('token=t2');
    stop();
    expect(FakeEventSource.all[1]!.closed).toBe(true);
  });
});
