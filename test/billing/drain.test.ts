import { Redis } from 'ioredis';
import { QUEUES } from '../../server/queues/contracts';
import { startWorkers } from '../../server/runtime/workers';
import { dropPrefix, redisUrl } from '../helpers/env';
import { startHarness, type Harness } from '../helpers/harness';
import { deliver, event, HOUR, ledgerOf, newTicket, settled, setUpWebhooks } from './support';

jest.setTimeout(90_000);

/**
 * The billing worker drains a tenant's inbox: wake-ups (one per tenant, not per event) only say "look";
 * the events, which are pending and who holds them are in Postgres.
 */
describe('billing drain', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  const solvedAt = new Date(Math.floor((Date.now() - 2 * HOUR) / 60_000) * 60_000);
  const eventRows = (ticketId: number) =>
    h.running.ctx.db.query<{ status: string; attempts: number; last_error: string | null }>(
      `SELECT status, attempts, last_error FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2`,
      [h.tenant.tenant, ticketId],
    );
  const commentReads = (ticketId: number) =>
    h.zendesk.requests.filter((r) => r.kind === 'ticket_comments' && r.path.includes(`/tickets/${ticketId}/`))
      .length;
  const customer = () => h.zendesk.addUser({ name: 'Carla', email: `c${Date.now()}@example.com` }).id;

  test('when two drains claim at once, then they get different tickets, and a claimed ticket is not handed out again until released', async () => {
    h = await startHarness({ queues: [] });
    const inbox = h.running.ctx.billing.inbox;
    const tenant = h.tenant.tenant;
    for (let id = 9101; id <= 9106; id++) {
      await inbox.store(
        tenant,
        { event: 'solved', ticket_id: id, at: solvedAt.toISOString(), actor_id: undefined },
        null,
      );
      await inbox.store(
        tenant,
        {
          event: 'reopened',
          ticket_id: id,
          at: new Date(solvedAt.getTime() + HOUR).toISOString(),
          actor_id: undefined,
        },
        null,
      );
    }
    const [a, b] = await Promise.all([inbox.claim(tenant, 2, 60_000), inbox.claim(tenant, 2, 60_000)]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((t) => b.includes(t))).toEqual([]);
    const rest = await inbox.claim(tenant, 100, 60_000);
    expect([...a, ...b, ...rest].sort()).toEqual([9101, 9102, 9103, 9104, 9105, 9106]);
    // Every pending event of a claimed ticket went with it: nothing is left to claim.
    expect(await inbox.claim(tenant, 100, 60_000)).toEqual([]);
    await inbox.release(tenant, a, 0);
    expect((await inbox.claim(tenant, 100, 60_000)).sort()).toEqual([...a].sort());
  });

  test('when Redis loses every wake-up, then the sweep wakes the drain and every ticket gets its ledger', async () => {
    h = await startHarness({ queues: [] });
    const z = await setUpWebhooks(h);
    const requester = customer();
    const tickets = [1, 2, 3].map(() => newTicket(h, { requesterId: requester, at: solvedAt }));
    for (const t of tickets) expect((await deliver(h, z, event('solved', t.id, solvedAt))).status).toBe(200);
    const queue = h.running.ctx.queues.get(QUEUES.billingTicket);
    // The wake-ups were sent (the last one at most 250 ms after the last delivery)…
    await new Promise((r) => setTimeout(r, 750));
    expect((await queue.getJobCounts('waiting')).waiting).toBeGreaterThan(0);
    await dropPrefix(h.prefix); // the wake-ups are gone; only the Postgres inbox remembers
    const redis = new Redis(redisUrl());
    expect(await redis.keys(`${h.prefix}:*`)).toEqual([]);
    redis.disconnect();

    const workers = await startWorkers(h.running.ctx, h.running.redis.url, [QUEUES.billingTicket]);
    try {
      for (const t of tickets) await settled(h, t.id);
      for (const t of tickets) expect((await ledgerOf(h, t.id)).map((l) => l.entry)).toEqual(['resolution']);
    } finally {
      await workers.close();
    }
  });

  /** A ticket solved while Zendesk's comment reads fail as told; its solved event delivered. */
  const solvedWhileZendeskFails = async (...fault: Parameters<Harness['zendesk']['failNext']>) => {
    h = await startHarness({ queues: [QUEUES.billingTicket] });
    const z = await setUpWebhooks(h);
    const t = newTicket(h, { requesterId: customer(), at: solvedAt });
    h.zendesk.failNext(...fault);
    await deliver(h, z, event('solved', t.id, solvedAt));
    return t;
  };

  test('when Zendesk answers 429, then the ticket waits without an attempt counted and is recorded once the wait is over', async () => {
    const t = await solvedWhileZendeskFails(1, 429, {
      kind: 'ticket_comments',
      headers: { 'Retry-After': '1' },
    });
    await settled(h, t.id);
    expect(commentReads(t.id)).toBe(2);
    expect(await eventRows(t.id)).toEqual([{ status: 'done', attempts: 0, last_error: null }]);
    expect((await ledgerOf(h, t.id)).map((l) => l.entry)).toEqual(['resolution']);
  });

  test('when Zendesk fails with a 500, then the attempt is counted and the ticket retried after a backoff', async () => {
    const t = await solvedWhileZendeskFails(2, 500, { kind: 'ticket_comments' });
    await settled(h, t.id);
    expect(commentReads(t.id)).toBe(3);
    // Both failures counted; the error is cleared once the ticket is done.
    expect(await eventRows(t.id)).toEqual([{ status: 'done', attempts: 2, last_error: null }]);
    expect((await ledgerOf(h, t.id)).map((l) => l.entry)).toEqual(['resolution']);
  });

  test('when Zendesk refuses to show the ticket (403), then its events fail with the reason and are not retried', async () => {
    const t = await solvedWhileZendeskFails(1, 403, { kind: 'ticket_comments' });
    await h.until(async () => (await eventRows(t.id))[0]?.status === 'failed', 20_000);
    expect((await eventRows(t.id))[0]!.last_error).toMatch(/403/);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the sweep interval and its delay
    expect(commentReads(t.id)).toBe(1);
    expect(await ledgerOf(h, t.id)).toEqual([]);
  });
});
