import { Redis } from 'ioredis';
import { scriptCall } from '../helpers/calls';
import { QUIET_EVENT_TYPES } from '../../server/contacts/inbox';
import { startHarness, type Harness } from '../helpers/harness';
import { dropPrefix, redisUrl } from '../helpers/env';
import { startWorkers } from '../../server/runtime/workers';

const ticketsFor = (h: Harness, id: string) =>
  [...h.zendesk.tickets.values()].filter((t) => t.external_id === id);
const pending = async (h: Harness) =>
  Number(
    (
      await h.running.ctx.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM contact_events WHERE status = 'pending'`,
      )
    )[0]!.n,
  );

/** The events of a call that ask something of Zendesk (the others are stored as handled on arrival). */
const loudEvents = (events: Record<string, unknown>[]) =>
  events.filter((e) => !QUIET_EVENT_TYPES.includes((e.detail as { eventType: string }).eventType));

describe('exactly one ticket per contact under faults', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  test('when the same event is posted three times concurrently, then one ticket is created', async () => {
    h = await startHarness();
    const call = scriptCall(h.connect, 'abandoned', '+14155550201');
    const results = await Promise.all([h.post(call.events), h.post(call.events), h.post(call.events)]);
    expect(results.map((r) => r.status)).toEqual([202, 202, 202]);
    const accepted = results.reduce((n, r) => n + (r.body as { accepted: number }).accepted, 0);
    expect(accepted).toBe(call.events.length);
    await h.until(async () => (await pending(h)) === 0);
    expect(ticketsFor(h, call.initialContactId)).toHaveLength(1);
  });

  test('when many calls arrive at once, duplicated and shuffled, then every contact has exactly one ticket', async () => {
    h = await startHarness();
    const calls = Array.from({ length: 12 }, (_, i) =>
      scriptCall(
        h.connect,
        (['answered', 'abandoned', 'self_service', 'transfer'] as const)[i % 4]!,
        `+1415555030${i % 5}`,
      ),
    );
    const events = calls.flatMap((c) => [...c.events, c.events[c.events.length - 1]!]);
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    await Promise.all(events.map((e) => h.post(e)));
    await h.until(async () => (await pending(h)) === 0, 30_000);
    for (const c of calls) {
      const t = ticketsFor(h, c.initialContactId);
      expect(t).toHaveLength(1);
      if (c.kind === 'answered' || c.kind === 'transfer')
        expect(t[0]!.comments.filter((x) => x.voice_comment)).toHaveLength(1);
    }
    expect(h.zendesk.specViolations).toEqual([]);
  });

  test('when Zendesk answers 429 with Retry-After, then the create waits and happens once', async () => {
    h = await startHarness();
    h.zendesk.failNext(2, 429, { headers: { 'Retry-After': '1' }, kind: 'voice_ticket_create' });
    const call = scriptCall(h.connect, 'abandoned', '+14155550202');
    const started = Date.now();
    await h.post(call.events);
    await h.until(() => ticketsFor(h, call.initialContactId).length === 1, 20_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const creates = h.zendesk.requests.filter((r) => r.kind === 'voice_ticket_create');
    expect(creates.map((r) => r.status)).toEqual([429, 429, 201]);
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(950);
  });

  test('when Zendesk has a 503 storm, then work resumes after it and nothing is duplicated or lost', async () => {
    h = await startHarness();
    h.zendesk.failNext(6, 503);
    const calls = [
      scriptCall(h.connect, 'abandoned', '+14155550203'),
      scriptCall(h.connect, 'self_service', '+14155550204'),
    ];
    await h.post(calls.flatMap((c) => c.events));
    await h.until(async () => (await pending(h)) === 0, 30_000);
    for (const c of calls) expect(ticketsFor(h, c.initialContactId)).toHaveLength(1);
    expect(h.zendesk.requests.filter((r) => r.status === 503)).toHaveLength(6);
  });

  test('when a worker dies after Zendesk created the ticket but before the id was saved, then the retry adopts that ticket', async () => {
    h = await startHarness();
    const call = scriptCall(h.connect, 'answered', '+14155550205');
    await h.post(call.events.slice(0, 3));
    await h.until(() => ticketsFor(h, call.initialContactId).length === 1);
    // Wait for the worker to have saved the id (and finished), or it could write it after our reset.
    await h.until(async () => (await pending(h)) === 0);
    await h.until(async () => {
      const rows = await h.running.ctx.db.query<{ ticket_id: string | null }>(
        `SELECT ticket_id FROM contacts WHERE initial_contact_id = $1`,
        [call.initialContactId],
      );
      return rows[0]?.ticket_id != null;
    });
    // Simulate the crash window: forget the ticket id as if the worker died before writing it.
    await h.running.ctx.db.query(`UPDATE contacts SET ticket_id = NULL WHERE initial_contact_id = $1`, [
      call.initialContactId,
    ]);
    await h.post(call.events[3]);
    await h.until(async () => (await pending(h)) === 0);
    await h.until(() => ticketsFor(h, call.initialContactId)[0]!.comments.some((c) => c.voice_comment));
    expect(ticketsFor(h, call.initialContactId)).toHaveLength(1);
    expect(h.zendesk.requests.some((r) => r.kind === 'ticket_lookup')).toBe(true);
  });

  test('when the final update reaches Zendesk but its answer is lost, then the retry finds it on the ticket and does not write a second voice comment', async () => {
    h = await startHarness();
    h.zendesk.failNext(1, 'network', { kind: 'ticket_update', afterApply: true });
    const call = scriptCall(h.connect, 'answered', '+14155550209');
    await h.post(call.events.slice(0, 3)); // created at CONNECTED_TO_AGENT…
    await h.until(() => ticketsFor(h, call.initialContactId).length === 1);
    await h.until(async () => (await pending(h)) === 0);
    await h.post(call.events[3]); // …and updated at DISCONNECTED
    await h.until(() => h.zendesk.requests.some((r) => r.kind === 'ticket_update'));
    await h.until(async () => (await pending(h)) === 0, 30_000);
    const [ticket] = ticketsFor(h, call.initialContactId);
    expect(ticketsFor(h, call.initialContactId)).toHaveLength(1);
    const updates = h.zendesk.requests.filter((r) => r.kind === 'ticket_update');
    expect(updates.map((r) => r.status)).toEqual(['network']); // applied once, never resent
    expect(h.zendesk.requests.some((r) => r.kind === 'ticket_comments')).toBe(true);
    expect(ticket!.comments.filter((c) => c.voice_comment)).toHaveLength(1);
  });

  test('when the answer to the final update is lost and Connect has filled in more of the contact before the retry, then the retry still finds the first update and writes no second voice comment', async () => {
    h = await startHarness();
    h.zendesk.failNext(1, 'network', { kind: 'ticket_update', afterApply: true });
    const call = scriptCall(h.connect, 'answered', '+14155550211');
    await h.post(call.events.slice(0, 3));
    await h.until(() => ticketsFor(h, call.initialContactId).length === 1);
    await h.until(async () => (await pending(h)) === 0);
    await h.post(call.events[3]);
    // As soon as the update went out (its answer lost), Connect's record changes its disconnect reason: the note the
    // retry would write differs from the one already on the ticket.
    await h.until(() => {
      if (!h.zendesk.requests.some((r) => r.kind === 'ticket_update')) return false;
      h.connect.putContact({ ...call.contacts[0]!, disconnectReason: 'CUSTOMER_DISCONNECT' });
      return true;
    });
    await h.until(async () => (await pending(h)) === 0, 30_000);
    const [ticket] = ticketsFor(h, call.initialContactId);
    expect(h.zendesk.requests.filter((r) => r.kind === 'ticket_update').map((r) => r.status)).toEqual([
      'network',
    ]);
    expect(ticket!.comments.filter((c) => c.voice_comment)).toHaveLength(1);
    expect(ticket!.comments.some((c) => c.body?.includes('CUSTOMER_DISCONNECT'))).toBe(false);
  });

  test('when a create times out at the network, then the retry with the same Idempotency-Key returns the first ticket', async () => {
    h = await startHarness();
    h.zendesk.failNext(1, 'network', { kind: 'voice_ticket_create' });
    const call = scriptCall(h.connect, 'abandoned', '+14155550206');
    await h.post(call.events);
    await h.until(async () => (await pending(h)) === 0, 20_000);
    expect(ticketsFor(h, call.initialContactId)).toHaveLength(1);
    const keys = h.zendesk.requests
      .filter((r) => r.kind === 'voice_ticket_create')
      .map((r) => r.idempotencyKey);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
  });

  test('when Redis loses every job mid-run (FLUSHALL of our keys), then the sweeper re-enqueues and every contact gets its ticket', async () => {
    h = await startHarness({ queues: [] });
    const calls = [
      scriptCall(h.connect, 'abandoned', '+14155550207'),
      scriptCall(h.connect, 'answered', '+14155550208'),
    ];
    await h.post(calls.flatMap((c) => c.events));
    await dropPrefix(h.prefix); // the jobs are gone; only the Postgres inbox remembers
    const redis = new Redis(redisUrl());
    expect(await redis.keys(`${h.prefix}:*`)).toEqual([]);
    redis.disconnect();

    const workers = await startWorkers(h.running.ctx, h.running.redis.url, ['contact-sync']);
    try {
      await h.until(async () => (await pending(h)) === 0, 20_000);
      for (const c of calls) expect(ticketsFor(h, c.initialContactId)).toHaveLength(1);
    } finally {
      await workers.close();
    }
  });

  test('when a worker dies holding a conversation after the other jobs for it were turned away, then the sweeper runs them again once its lease expires', async () => {
    h = await startHarness({ queues: [] });
    const call = scriptCall(h.connect, 'answered', '+14155550210');
    await h.post(call.events);
    // A worker took the conversation and was SIGKILLed: its lease stands until it expires, nobody releases it.
    const held = await h.running.ctx.contacts.acquire(
      h.tenant.tenant,
      call.initialContactId,
      'dead-worker',
      3000,
    );
    expect(held.kind).toBe('leased');

    const workers = await startWorkers(h.running.ctx, h.running.redis.url, ['contact-sync']);
    try {
      const queue = h.running.ctx.queues.get('contact-sync');
      // Every job finds the lease taken and ends at once (the holder was to read the inbox again). The
      // call's first events came with its connection, so they were stored as handled and have no job.
      const loud = loudEvents(call.events);
      expect(loud).toHaveLength(2);
      await h.until(async () => (await queue.getJobCounts('completed')).completed === loud.length, 10_000);
      expect(ticketsFor(h, call.initialContactId)).toHaveLength(0);
      expect(await pending(h)).toBe(loud.length);

      await h.until(async () => (await pending(h)) === 0, 20_000);
      const tickets = ticketsFor(h, call.initialContactId);
      expect(tickets).toHaveLength(1);
      expect(tickets[0]!.comments.filter((x) => x.voice_comment)).toHaveLength(1);
    } finally {
      await workers.close();
    }
  });

  test('when Zendesk refuses a create for good (422), then the events are marked failed with the reason and not retried', async () => {
    h = await startHarness();
    h.zendesk.failNext(1, 422, {
      kind: 'voice_ticket_create',
      body: { error: 'RecordInvalid', description: 'Requester is suspended' },
    });
    const call = scriptCall(h.connect, 'abandoned', '+14155550209');
    await h.post(call.events);
    // The call's events came in one request: INITIATED and QUEUED were stored as handled (nothing owed
    // for them), the DISCONNECTED is what failed.
    const loud = loudEvents(call.events);
    expect(loud).toHaveLength(1);
    await h.until(async () => (await h.running.ctx.inbox.failed(h.tenant.tenant)).length === loud.length);
    const failed = await h.running.ctx.inbox.failed(h.tenant.tenant);
    expect(failed[0]!.lastError).toMatch(/422/);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the sweep interval: no retry happens
    expect(h.zendesk.requests.filter((r) => r.kind === 'voice_ticket_create')).toHaveLength(1);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/concierge_inbox_events\{status="failed"\} 1/);
    expect(metrics).toMatch(/concierge_zendesk_requests_total\{kind="voice_ticket_create",status="422"\} 1/);
  });
});
