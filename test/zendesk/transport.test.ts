import http from 'node:http';
import net from 'node:net';
import nock from 'nock';
import pino from 'pino';
import { createZendeskClient } from '../../server/zendesk/client';

// nock off in this file: its interceptor opens a new connection per request, and these tests are about
// what happens when a kept-alive connection is reused. Another test file in this Jest worker may have
// switched it on (it patches node:http for the whole process), so it is switched off and back on here.
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const PHONE = '+15551234567';
const client = (baseUrl: string) =>
  createZendeskClient({
    tenantId: 't1',
    baseUrl,
    credentials: { kind: 'api_token', email: 'bot@acme.test', token: 'tok' },
    logger: pino({ level: 'silent' }),
  });

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('the transport, on a kept-alive socket the server has dropped', () => {
  // A real server: the second request on a connection has that connection reset before any answer, as
  // when a load balancer closes an idle socket just as it is reused.
  let server: http.Server;
  let seen: string[];
  let base: string;
  beforeEach(async () => {
    seen = [];
    server = http.createServer((req, res) => {
      const onSocket = (req.socket as net.Socket & { served?: number }).served ?? 0;
      (req.socket as net.Socket & { served?: number }).served = onSocket + 1;
      seen.push(`${req.method} ${onSocket === 0 ? 'new' : 'reused'}`);
      if (onSocket > 0) return void req.socket.resetAndDestroy();
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
        res.end(JSON.stringify({ users: [{ id: 5 }], ticket: { id: 9 } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('then a look-up (GET) is sent once more on a new socket and succeeds', async () => {
    const zd = client(base);
    await expect(zd.findUserByPhone(PHONE, { priority: 'live' })).resolves.toBe(5);
    await expect(zd.findUserByPhone(PHONE, { priority: 'live' })).resolves.toBe(5);
    expect(seen).toEqual(['GET new', 'GET reused', 'GET new']);
  });

  it('then a write with an Idempotency-Key is sent once more, and a write without one is left to the caller (retriable error)', async () => {
    const zd = client(base);
    const write = (key?: string) =>
      zd.createTicket(
        { subject: 'x', comment: { body: 'x', public: false } },
        key ? { priority: 'live', idempotencyKey: key } : { priority: 'live' },
      );
    await expect(write('k1')).resolves.toEqual({ ticketId: 9 });
    await expect(write('k2')).resolves.toEqual({ ticketId: 9 });
    expect(seen).toEqual(['POST new', 'POST reused', 'POST new']);
    // The retry's socket is not pooled: the next write opens one that is, and the one after reuses it.
    await expect(write('k3')).resolves.toEqual({ ticketId: 9 });
    const err = await failure(write());
    expect(err).toMatchObject({ name: 'ZendeskError', retriable: true });
    expect(seen).toEqual(['POST new', 'POST reused', 'POST new', 'POST new', 'POST reused']);
  });
});
