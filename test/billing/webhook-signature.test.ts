import crypto from 'node:crypto';
import { QUEUES } from '../../server/queues/contracts';
import { signZendeskWebhook, verifyZendeskSignature } from '../../server/billing/signature';
import { startHarness, type Harness } from '../helpers/harness';
import { deliver, event, setUpWebhooks, type ZendeskSide } from './support';

jest.setTimeout(90_000);
describe('Zendesk webhook signature (pure)', () => {
  const secret = 'dGhpcyBpcyBhIHNpZ25pbmcgc2VjcmV0';
  const body = Buffer.from('{"event":"solved","ticket_id":"42","at":"2024-05-01T10:20Z"}');
  const ts = '2024-05-01T10:21:00Z';
  const now = Date.parse(ts) + 30_000;
  const check = (over: Partial<Parameters<typeof verifyZendeskSignature>[0]>) =>
    verifyZendeskSignature({
      secret,
      signature: signZendeskWebhook(secret, ts, body),
      timestamp: ts,
      rawBody: body,
      now,
      ...over,
    });

  test('when the signature is base64(HMAC-SHA256(secret, timestamp + body)), then it passes', () => {
    const expected = crypto
      .createHmac('sha256', secret)
      .update(ts + body.toString())
      .digest('base64');
    expect(signZendeskWebhook(secret, ts, body)).toBe(expected);
    expect(check({})).toBeNull();
  });

  test('when anything differs, then it fails: secret, one byte, hex, separator, base64-decoded secret, stale', () => {
    const hmac = (key: Buffer | string, data: string) => crypto.createHmac('sha256', key).update(data);
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 1;
    expect(check({ secret: 'another secret' })).toBe('mismatch');
    expect(check({ rawBody: tampered })).toBe('mismatch');
    expect(check({ signature: hmac(secret, ts + body.toString()).digest('hex') })).toBe('mismatch');
    expect(check({ signature: hmac(secret, `${ts}.${body.toString()}`).digest('base64') })).toBe('mismatch');
    expect(
      check({ signature: hmac(Buffer.from(secret, 'base64'), ts + body.toString()).digest('base64') }),
    ).toBe('mismatch');
    expect(check({ now: Date.parse(ts) + 5 * 60_000 + 1 })).toBe('stale');
    expect(check({ now: Date.parse(ts) - 5 * 60_000 - 1 })).toBe('stale');
    expect(check({ timestamp: undefined })).toBe('missing');
  });
});

describe('POST /v1/zendesk/webhooks/:tenant', () => {
  let h: Harness;
  let z: ZendeskSide;
  beforeAll(async () => {
    h = await startHarness({ queues: [QUEUES.billingTicket] });
    z = await setUpWebhooks(h);
  }, 120_000);
  afterAll(() => h.stop());

  const stored = async (ticketId: number) =>
    (
      await h.running.ctx.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2`,
        [h.tenant.tenant, ticketId],
      )
    )[0]?.n;

  test('when the same event is signed six ways, then only the correct signature is accepted', async () => {
    const payload = event('solved', 7001, new Date(Date.now() - 3_600_000));
    const body = JSON.stringify(payload);
    const ts = new Date().toISOString();
    const hmac = (key: string, data: string) => crypto.createHmac('sha256', key).update(data);
    const oneByte = body.replace('7001', '7002');
    const staleTs = new Date(Date.now() - 6 * 60_000).toISOString();
    const results = [
      await deliver(h, z, payload, { body, timestamp: ts }),
      await deliver(h, z, payload, {
        body,
        timestamp: ts,
        signature: hmac('wrong secret', ts + body).digest('base64'),
      }),
      await deliver(h, z, payload, {
        body: oneByte,
        timestamp: ts,
        signature: hmac(z.signingSecret, ts + body).digest('base64'),
      }),
      await deliver(h, z, payload, {
        body,
        timestamp: ts,
        signature: hmac(z.signingSecret, ts + body).digest('hex'),
      }),
      await deliver(h, z, payload, {
        body,
        timestamp: ts,
        signature: hmac(z.signingSecret, `${ts}.${body}`).digest('base64'),
      }),
      await deliver(h, z, payload, {
        body,
        timestamp: staleTs,
        signature: hmac(z.signingSecret, staleTs + body).digest('base64'),
      }),
    ];
    expect(results.map((r) => r.status)).toEqual([200, 401, 401, 401, 401, 401]);
    expect(results[0]!.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(results[1]!.body).toMatchObject({ error: { code: 'invalid_webhook' } });
    expect(await stored(7001)).toBe('1');
    expect(await stored(7002)).toBe('0');
  });

  test('when the bearer token is wrong or the tenant unknown, then 401 whatever the signature', async () => {
    const payload = event('solved', 7003, new Date());
    expect((await deliver(h, z, payload, { bearer: 'cwh_not-the-token' })).status).toBe(401);
    expect((await deliver(h, z, payload, { tenant: 'no-such-tenant' })).status).toBe(401);
    expect((await deliver(h, z, payload, { tenant: 'Not_A_Subdomain' })).status).toBe(401);
    expect(await stored(7003)).toBe('0');
  });

  test('when a good token was seen, then another one of the same length is still refused, and the good one still passes', async () => {
    const payload = event('solved', 7005, new Date(Date.now() - 60_000));
    expect((await deliver(h, z, payload)).status).toBe(200);
    const flipped = z.bearer.slice(0, -1) + (z.bearer.endsWith('A') ? 'B' : 'A');
    expect((await deliver(h, z, payload, { bearer: flipped })).status).toBe(401);
    expect((await deliver(h, z, payload, { bearer: `${z.bearer}x` })).status).toBe(401);
    expect((await deliver(h, z, payload)).body).toEqual({ accepted: 0, duplicates: 1 });
  });

  test('when the body is over 32 KB, then 413 and nothing is stored; other methods and paths are 404', async () => {
    const big = { ...event('solved', 7006, new Date()), padding: 'x'.repeat(40_000) };
    const res = await deliver(h, z, big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await stored(7006)).toBe('0');
    const url = `${h.url}/v1/zendesk/webhooks/${h.tenant.tenant}`;
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(`${url}/extra`, { method: 'POST', body: '{}' })).status).toBe(404);
    // Still answering on the same server after the refusals.
    expect((await deliver(h, z, event('solved', 7006, new Date()))).status).toBe(200);
  });

  test('when the body is not JSON, then a bad signature is 401 (never parsed) and a good one is 400', async () => {
    const body = '{"event": "solved", oops';
    const ts = new Date().toISOString();
    expect((await deliver(h, z, null, { body, timestamp: ts, signature: 'AAAA' })).status).toBe(401);
    const good = await deliver(h, z, null, { body, timestamp: ts });
    expect(good.status).toBe(400);
    expect(good.body).toMatchObject({ error: { code: 'invalid_json' } });
    const notOurs = await deliver(h, z, { event: 'deleted', ticket_id: 'x' });
    expect(notOurs.status).toBe(400);
    expect(notOurs.body).toMatchObject({ error: { code: 'invalid_event' } });
  });

  test('when Zendesk retries a delivery, then it is stored once and counted as a duplicate', async () => {
    const payload = event('reopened', 7004, new Date(Date.now() - 60_000));
    const first = await deliver(h, z, payload);
    const again = await deliver(h, z, payload);
    expect([first.body, again.body]).toEqual([
      { accepted: 1, duplicates: 0 },
      { accepted: 0, duplicates: 1 },
    ]);
    expect(await stored(7004)).toBe('1');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/concierge_billing_webhook_events_total\{outcome="duplicate"\} [1-9]/);
  });
});
