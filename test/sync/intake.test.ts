import { gzipSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { envelope } from '../helpers/calls';
import { startHarness, type Harness } from '../helpers/harness';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/connect');

describe('POST /v1/connect/events', () => {
  let h: Harness;
  // Intake only: no workers, so what is stored stays visible.
  beforeAll(async () => {
    h = await startHarness({ queues: [] });
  });
  afterAll(() => h.stop());

  const rows = async () =>
    (await h.running.ctx.db.query<{ n: string }>('SELECT count(*)::text AS n FROM contact_events'))[0]!.n;
  const raw = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${h.url}/v1/connect/events`, { method: 'POST', headers, body });

  test('when a fixture event from AWS is posted with the tenant key, then 202 and it is stored once', async () => {
    const fixture = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, 'scv_eventbridge_contact-event_disconnected.json'), 'utf8'),
    );
    fixture.detail.instanceArn = h.connect.instanceArn;
    const before = Number(await rows());
    const first = await h.post(fixture);
    expect(first).toEqual({ status: 202, body: { accepted: 1, duplicates: 0 } });
    const again = await h.post([fixture, fixture]);
    expect(again).toEqual({ status: 202, body: { accepted: 0, duplicates: 2 } });
    expect(Number(await rows())).toBe(before + 1);
  });

  test('when the key is wrong or missing, then 401 and nothing is stored', async () => {
    const before = await rows();
    const e = envelope(h.connect.instanceArn, { contactId: 'k-1', eventType: 'INITIATED' });
    expect((await h.post(e, 'cik_wrong')).status).toBe(401);
    const res = await raw(JSON.stringify(e), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await rows()).toBe(before);
  });

  test("when a delivery is refused, then its answer carries a request id (the caller's own when it sent one)", async () => {
    const e = envelope(h.connect.instanceArn, { contactId: 'rid-1', eventType: 'INITIATED' });
    const mine = await raw(JSON.stringify(e), {
      'content-type': 'application/json',
      'x-request-id': 'eventbridge-rid-1',
    });
    expect(mine.status).toBe(401);
    expect(mine.headers.get('x-request-id')).toBe('eventbridge-rid-1');
    const fresh = await raw('id=1', { 'content-type': 'text/plain' });
    expect(fresh.status).toBe(415);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
  });

  test('when the body is not JSON, then 400 invalid_json; when it is not declared JSON, then 415', async () => {
    const auth = { authorization: `Bearer ${h.tenant.ingestKey}` };
    const bad = await raw('{"id": ', { ...auth, 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    expect((await raw('id=1', { ...auth, 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(
      415,
    );
  });

  test('when the body is larger than the limit, then 413 and nothing is stored', async () => {
    const before = await rows();
    const e = envelope(h.connect.instanceArn, { contactId: 'big', eventType: 'INITIATED' });
    const res = await raw(JSON.stringify({ ...e, padding: 'x'.repeat(1_100_000) }), {
      authorization: `Bearer ${h.tenant.ingestKey}`,
      'content-type': 'application/json',
    });
    expect(res.status).toBe(413);
    // The unread rest of the body must not be taken for a next request on this connection.
    expect(res.headers.get('connection')).toBe('close');
    expect(await rows()).toBe(before);
  });

  test('when the body is compressed, then 415 names the encoding and nothing is stored', async () => {
    const before = await rows();
    const e = envelope(h.connect.instanceArn, { contactId: 'gz', eventType: 'INITIATED' });
    const res = await raw(gzipSync(JSON.stringify(e)), {
      authorization: `Bearer ${h.tenant.ingestKey}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('gzip') } });
    expect(await rows()).toBe(before);
  });

  test('when a field that matters is missing or mistyped, then 400 names it and nothing of the batch is stored', async () => {
    const before = await rows();
    const good = envelope(h.connect.instanceArn, { contactId: 'v-1', eventType: 'INITIATED' });
    const bad = envelope(h.connect.instanceArn, { contactId: 'v-2', eventType: 'INITIATED' });
    (bad.detail as Record<string, unknown>).contactId = 42;
    const res = await h.post([good, bad]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('[1].detail.contactId');
    expect(await rows()).toBe(before);
  });

  test("when an event belongs to another tenant's Connect instance, then 403 and nothing is stored", async () => {
    const before = await rows();
    const foreign = envelope(
      'arn:aws:connect:us-east-1:999999999999:instance/99999999-9999-4999-8999-999999999999',
      {
        contactId: 'f-1',
        eventType: 'INITIATED',
      },
    );
    const res = await h.post(foreign);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'instance_mismatch' } });
    expect(await rows()).toBe(before);
  });

  test('when arbitrary JSON is posted, then the answer is always 202 or a documented 4xx, never a 5xx', async () => {
    const valid = fc.record({
      contactId: fc.uuid(),
      eventType: fc.constantFrom('INITIATED', 'QUEUED', 'CONNECTED_TO_AGENT', 'DISCONNECTED'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          valid.map((d) => envelope(h.connect.instanceArn, d)),
          fc
            .tuple(valid, fc.string(), fc.jsonValue())
            .map(([d, key, v]) => ({ ...envelope(h.connect.instanceArn, d), [key]: v })),
          fc
            .tuple(valid, fc.constantFrom('id', 'detail', 'source', 'detail-type', 'time'), fc.jsonValue())
            .map(([d, key, v]) => ({
              ...envelope(h.connect.instanceArn, d),
              [key]: v,
            })),
        ),
        async (body) => {
          const res = await h.post(body);
          expect([202, 400, 403]).toContain(res.status);
          if (res.status !== 202)
            expect(res.body).toMatchObject({
              error: { code: expect.any(String), message: expect.any(String) },
            });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('when PostgreSQL is unreachable', () => {
  test('then intake answers 503 without acknowledging anything, and /readyz says which dependency is down', async () => {
    const h = await startHarness({ queues: [] });
    try {
      const e = envelope(h.connect.instanceArn, { contactId: 'db-down', eventType: 'INITIATED' });
      await h.running.ctx.db.close(); // every later query fails as with a lost server
      const res = await h.post(e);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: 'database_unavailable' } });
      const ready = await fetch(`${h.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        checks: { database: expect.stringMatching(/^unavailable/), redis: 'ok' },
      });
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});
