import { QUEUES } from '../../server/queues/contracts';
import { checkDueResolutions } from '../../server/billing/finalize';
import { processTicket } from '../../server/billing/process';
import { createLogger } from '../../server/logger';
import { scriptCall } from '../helpers/calls';
import { startHarness, type Harness } from '../helpers/harness';
import {
  deliver,
  event,
  HOUR,
  ledgerOf,
  newTicket,
  settled,
  setUpWebhooks,
  type ZendeskSide,
} from './support';

jest.setTimeout(90_000);
/**
 * The classification scenarios end to end: Zendesk (the double) sends signed webhooks, the billing worker
 * reads the ticket's comments from Zendesk, and the ledger is compared entry by entry.
 */
describe('resolution ledger scenarios', () => {
  let h: Harness;
  let z: ZendeskSide;
  let customer: number;
  let alice: number;
  const API_USER = 1;
  const t0 = new Date(Math.floor((Date.now() - 4 * 24 * HOUR) / 60_000) * 60_000);
  const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);
  const iso = (hours: number) => at(hours).toISOString();

  beforeAll(async () => {
    h = await startHarness({ queues: [QUEUES.contactSync, QUEUES.billingTicket] });
    z = await setUpWebhooks(h);
    customer = h.zendesk.addUser({ name: 'Carla Customer', email: 'carla@example.com' }).id;
    alice = [...h.zendesk.users.values()].find((u) => u.email === 'alice@example.com')!.id;
  }, 120_000);
  afterAll(() => h.stop());

  /** A ticket the bot (Concierge's API user) answered publicly before it was solved. */
  const botAnswered = () => {
    const t = newTicket(h, { requesterId: customer, at: at(-1) });
    h.zendesk.addComment(t.id, {
      authorId: API_USER,
      public: true,
      body: 'Here is the tracking link',
      createdAt: iso(-0.5),
    });
    return t;
  };
  const send = async (...events: Array<ReturnType<typeof event>>) => {
    const results = [];
    for (const e of events) results.push(await deliver(h, z, e));
    return results;
  };
  const check = async () =>
    checkDueResolutions(
      {
        db: h.running.ctx.db,
        ledger: h.running.ctx.billing.ledger,
        tenant: (id) => h.running.ctx.tenants.get(id),
        zendesk: (t) => h.running.ctx.zendeskFor(t),
        logger: createLogger('silent'),
      },
      h.tenant.tenant,
      new Date(),
    );

  test('when a bot-only call is solved, then one automated resolution, billable after its check', async () => {
    const call = scriptCall(h.connect, 'self_service', '+14155550701');
    await h.post(call.events);
    await h.until(() => [...h.zendesk.tickets.values()].some((t) => t.external_id === call.initialContactId));
    const ticket = [...h.zendesk.tickets.values()].find((t) => t.external_id === call.initialContactId)!;
    await h.until(
      async () =>
        (await h.running.ctx.contacts.byTicket(h.tenant.tenant, ticket.id))?.outcome === 'self_service',
    );
    await send(event('solved', ticket.id, at(0)));
    await settled(h, ticket.id);
    expect(await ledgerOf(h, ticket.id)).toEqual([
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(0) },
    ]);
    await check();
    const { resolutions } = await h.running.ctx.billing.reports.resolutions(
      h.tenant.tenant,
      { from: iso(0).slice(0, 10), to: iso(0).slice(0, 10), basis: 'solved', limit: 10, ticketId: ticket.id },
      new Date(),
    );
    expect(resolutions).toEqual([
      expect.objectContaining({
        kind: 'automated',
        state: 'billable',
        check: 'standing',
        windowEndsAt: iso(72),
        evidence: expect.objectContaining({
          rule: 'a bot-only call; no agent replied or handled it',
          calls: [{ initialContactId: call.initialContactId, outcome: 'self_service' }],
        }),
      }),
    ]);
  });

  test('when the AI replied and the ticket was solved, then automated, with the bot reply as evidence', async () => {
    const t = botAnswered();
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(0) },
    ]);
    const { resolutions } = await h.running.ctx.billing.reports.resolutions(
      h.tenant.tenant,
      { from: iso(0).slice(0, 10), to: iso(0).slice(0, 10), basis: 'solved', limit: 10, ticketId: t.id },
      new Date(),
    );
    expect(resolutions[0]!.evidence).toMatchObject({
      publicReplies: { humanAgents: [], bots: [API_USER], endUserCount: 1 },
    });
  });

  test('when an agent replied using a Concierge suggestion, then AI-assisted, with the suggestion as evidence', async () => {
    const t = newTicket(h, { requesterId: customer, at: at(-1) });
    await h.running.ctx.billing.recordSuggestionUse(h.tenant.tenant, t.id, {
      suggestionId: 'kb-123',
      action: 'inserted',
      userId: alice,
      at: at(-0.6),
    });
    h.zendesk.addComment(t.id, {
      authorId: alice,
      public: true,
      body: 'Your parcel ships today',
      createdAt: iso(-0.5),
    });
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'ai_assisted', reason: null, occurredAt: iso(0) },
    ]);
  });

  test('when an agent replied without using the suggestion, then human', async () => {
    const t = newTicket(h, { requesterId: customer, at: at(-1) });
    h.zendesk.addComment(t.id, {
      authorId: API_USER,
      public: false,
      body: 'Suggested: see article 123',
      createdAt: iso(-0.7),
    });
    h.zendesk.addComment(t.id, { authorId: alice, public: true, body: 'Let me check', createdAt: iso(-0.5) });
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'human', reason: null, occurredAt: iso(0) },
    ]);
  });

  test('when reopened at 71 h, then the resolution is voided', async () => {
    const t = botAnswered();
    await send(event('solved', t.id, at(0)), event('reopened', t.id, at(71)));
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(0) },
      { entry: 'void', kind: 'automated', reason: 'reopened', occurredAt: iso(71) },
    ]);
  });

  test('when reopened at 73 h, then it was billable and a credit follows', async () => {
    const t = botAnswered();
    await send(event('solved', t.id, at(0)), event('reopened', t.id, at(73)));
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(0) },
      { entry: 'credit', kind: 'automated', reason: 'reopened', occurredAt: iso(73) },
    ]);
  });

  test('when the customer writes again inside the window, then the resolution is voided', async () => {
    const t = botAnswered();
    await send(event('solved', t.id, at(0)), event('end_user_comment', t.id, at(30)));
    await settled(h, t.id);
    expect((await ledgerOf(h, t.id)).map((l) => `${l.entry}:${l.reason ?? ''}`)).toEqual([
      'resolution:',
      'void:end_user_comment',
    ]);
  });

  test('when webhooks come twice and out of order, then the ledger is the same as in order, and nothing counts twice', async () => {
    const t = botAnswered();
    const results = await send(
      event('solved', t.id, at(20)),
      event('reopened', t.id, at(10)),
      event('solved', t.id, at(0)),
      event('solved', t.id, at(0)),
      event('reopened', t.id, at(10)),
      event('solved', t.id, at(20)),
    );
    expect(results.map((r) => r.body?.duplicates)).toEqual([0, 0, 0, 1, 1, 1]);
    await settled(h, t.id);
    expect(await ledgerOf(h, t.id)).toEqual([
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(0) },
      { entry: 'void', kind: 'automated', reason: 'reopened', occurredAt: iso(10) },
      { entry: 'resolution', kind: 'automated', reason: null, occurredAt: iso(20) },
    ]);
    // Processing the whole history again appends nothing.
    await h.running.ctx.db.query(
      `UPDATE ticket_events SET status = 'pending' WHERE tenant_id = $1 AND ticket_id = $2`,
      [h.tenant.tenant, t.id],
    );
    expect(await processTicket(h.running.ctx.billing.processDeps(), h.tenant.tenant, t.id)).toMatchObject({
      appended: 0,
    });
  });

  test('when the ticket was merged into another inside the window, then the check voids it', async () => {
    const t = botAnswered();
    const target = newTicket(h, { requesterId: customer, at: at(1) });
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    h.zendesk.mergeTicket(t.id, target.id);
    await check();
    expect((await ledgerOf(h, t.id)).map((l) => `${l.entry}:${l.kind}:${l.reason ?? ''}`)).toEqual([
      'resolution:automated:',
      'void:automated:merged',
    ]);
  });

  test('when the ticket was deleted, then the check voids it', async () => {
    const t = botAnswered();
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    h.zendesk.deleteTicket(t.id);
    await check();
    expect((await ledgerOf(h, t.id)).map((l) => `${l.entry}:${l.kind}:${l.reason ?? ''}`)).toEqual([
      'resolution:automated:',
      'void:automated:deleted',
    ]);
  });

  test('when nothing automated touched a ticket an agent solved silently, then human (never billed on a guess)', async () => {
    const t = newTicket(h, { requesterId: customer, at: at(-1) });
    await send(event('solved', t.id, at(0)));
    await settled(h, t.id);
    expect((await ledgerOf(h, t.id)).map((l) => l.kind)).toEqual(['human']);
    expect(h.zendesk.specViolations).toEqual([]);
  });
});
