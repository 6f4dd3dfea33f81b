import { envelope, scriptCall } from '../helpers/calls';
import { startHarness, type Harness } from '../helpers/harness';
import { contactSyncJobId } from '../../server/queues/contracts';

const byExternalId = (h: Harness, id: string) =>
  [...h.zendesk.tickets.values()].filter((t) => t.external_id === id);

describe('Connect contacts become Zendesk tickets', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  test('when an answered call is delivered in order, then one voice ticket is created with a screen pop and updated once at the end', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550101');
    for (const e of call.events.slice(0, 3)) expect((await h.post(e)).status).toBe(202);
    await h.until(() => byExternalId(h, call.initialContactId).length === 1);
    const live = byExternalId(h, call.initialContactId)[0]!;
    expect(live.via_id).toBe(45);
    expect(h.zendesk.screenPops).toEqual([expect.objectContaining({ ticketId: live.id })]);
    expect(live.tags).toEqual(expect.arrayContaining(['concierge', 'concierge_voice', 'concierge_answered']));

    expect((await h.post(call.events[3])).status).toBe(202);
    await h.until(() => live.comments.some((c) => c.voice_comment));
    const voice = live.comments.find((c) => c.voice_comment)!.voice_comment!;
    expect(voice).toMatchObject({ from: '+14155550101', to: '+18005550100', call_duration: 90 });
    expect(voice.answered_by_id).toBe(
      [...h.zendesk.users.values()].find((u) => u.email === 'alice@example.com')!.id,
    );
    expect(
      live.comments.some((c) => !c.public && /Disconnect reason: AGENT_DISCONNECT/.test(c.body ?? '')),
    ).toBe(true);
    expect(h.zendesk.specViolations).toEqual([]);
    const kinds = h.zendesk.requests.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'voice_ticket_create' || k === 'ticket_update')).toEqual([
      'voice_ticket_create',
      'ticket_update',
    ]);
  });

  test("when a call starts and queues, then those events wait for the agent's connection (no job of their own) and are done with it", async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550111');
    const [initiated, queued, connected] = call.events.map((e) => (e as { id: string }).id);
    const queue = h.running.ctx.queues.get('contact-sync');
    const jobOf = (eventId: string) =>
      queue.getJob(
        contactSyncJobId({ tenantId: h.tenant.tenant, eventId, initialContactId: call.initialContactId }),
      );
    for (const e of call.events.slice(0, 2)) expect((await h.post(e)).status).toBe(202);
    expect(await jobOf(initiated!)).toBeUndefined();
    expect(await jobOf(queued!)).toBeUndefined();

    expect((await h.post(call.events[2])).status).toBe(202);
    expect(await jobOf(connected!)).toBeDefined();
    await h.until(() => byExternalId(h, call.initialContactId).length === 1);
    const rows = await h.running.ctx.db.query<{ event_id: string; status: string }>(
      `SELECT event_id, status FROM contact_events WHERE tenant_id = $1 AND initial_contact_id = $2`,
      [h.tenant.tenant, call.initialContactId],
    );
    expect(Object.fromEntries(rows.map((r) => [r.event_id, r.status]))).toEqual({
      [initiated!]: 'done',
      [queued!]: 'done',
      [connected!]: 'done',
    });
    // Late: the call already asked something of Zendesk, so a quiet event now gets a job to finish it.
    const late = envelope(h.connect.instanceArn, {
      contactId: call.initialContactId,
      eventType: 'QUEUED',
    });
    expect((await h.post(late)).status).toBe(202);
    expect(await jobOf(late.id as string)).toBeDefined();
  });

  test('when a quiet event is never followed by another (its call still live), then it is stored as handled: nothing owed, nothing for the sweeper', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550112');
    expect((await h.post(call.events[0])).status).toBe(202);
    const rows = await h.running.ctx.db.query<{ status: string; processed_at: Date | null }>(
      `SELECT status, processed_at FROM contact_events WHERE tenant_id = $1 AND event_id = $2`,
      [h.tenant.tenant, (call.events[0] as { id: string }).id],
    );
    expect(rows).toEqual([{ status: 'done', processed_at: expect.anything() }]);
    expect(await h.running.ctx.inbox.stale(0)).toEqual([]);
    expect(byExternalId(h, call.initialContactId)).toHaveLength(0);
  });

  test('when a call is abandoned in the queue, then one ticket is created at the end, tagged abandoned, with no screen pop', async () => {
    const call = scriptCall(h.connect, 'abandoned', '+14155550102');
    expect((await h.post(call.events)).status).toBe(202);
    await h.until(() => byExternalId(h, call.initialContactId).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    const t = byExternalId(h, call.initialContactId)[0]!;
    expect(t.tags).toContain('concierge_abandoned');
    expect(t.subject).toMatch(/Abandoned call/);
    expect(h.zendesk.screenPops).toEqual([]);
    expect(h.zendesk.requests.filter((r) => r.kind === 'ticket_update')).toHaveLength(0);
  });

  test('when a call never leaves the IVR, then its ticket is tagged self-service', async () => {
    const call = scriptCall(h.connect, 'self_service', '+14155550103');
    await h.post(call.events);
    await h.until(() => byExternalId(h, call.initialContactId).length === 1);
    expect(byExternalId(h, call.initialContactId)[0]!.tags).toContain('concierge_self_service');
  });

  test('when a call is transferred, then both legs stay on one ticket with a single final update', async () => {
    const call = scriptCall(h.connect, 'transfer', '+14155550104');
    for (const e of call.events) await h.post(e);
    await h.until(
      () => byExternalId(h, call.initialContactId)[0]?.comments.some((c) => c.voice_comment) ?? false,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(byExternalId(h, call.initialContactId)).toHaveLength(1);
    const t = byExternalId(h, call.initialContactId)[0]!;
    expect(t.comments.filter((c) => c.voice_comment)).toHaveLength(1);
    // Either created live then updated once, or (if every event was in before the worker ran) created complete.
    expect(h.zendesk.requests.filter((r) => r.kind === 'voice_ticket_create')).toHaveLength(1);
    expect(h.zendesk.requests.filter((r) => r.kind === 'ticket_update').length).toBeLessThanOrEqual(1);
    expect(t.comments.find((c) => c.voice_comment)!.voice_comment).toMatchObject({ call_duration: 100 });
  });

  test('when events arrive in reverse order, then the result is the same one ticket with the call recorded', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550105');
    await h.post([...call.events].reverse());
    await h.until(
      () => byExternalId(h, call.initialContactId)[0]?.comments.some((c) => c.voice_comment) ?? false,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(byExternalId(h, call.initialContactId)).toHaveLength(1);
    const creates = h.zendesk.requests.filter(
      (r) => r.kind === 'voice_ticket_create' || r.kind === 'ticket_create',
    );
    expect(creates).toHaveLength(1);
  });

  test('when the same caller calls twice, then the second call needs no user lookup', async () => {
    const first = scriptCall(h.connect, 'abandoned', '+14155550106');
    await h.post(first.events);
    await h.until(() => byExternalId(h, first.initialContactId).length === 1);
    const lookups = h.zendesk.requests.filter(
      (r) => r.kind === 'user_search' || r.kind === 'user_create',
    ).length;
    const second = scriptCall(h.connect, 'abandoned', '+14155550106');
    await h.post(second.events);
    await h.until(() => byExternalId(h, second.initialContactId).length === 1);
    expect(
      h.zendesk.requests.filter((r) => r.kind === 'user_search' || r.kind === 'user_create'),
    ).toHaveLength(lookups);
    expect(byExternalId(h, second.initialContactId)[0]!.requester_id).toBe(
      byExternalId(h, first.initialContactId)[0]!.requester_id,
    );
  });
});

describe('other channels and missed events', () => {
  let h: Harness;
  afterEach(() => h.stop());

  test('when a chat contact is answered and ends, then an ordinary ticket is created through the Tickets API', async () => {
    h = await startHarness();
    const id = 'a1b2c3d4-0000-4000-8000-00000000c4a7';
    h.connect.putContact({
      contactId: id,
      initialContactId: id,
      channel: 'CHAT',
      initiationMethod: 'API',
      queueId: 'queue-chat',
      agentId: 'agent-1',
      initiationTimestamp: new Date(Date.now() - 60_000).toISOString(),
      connectedToAgentTimestamp: new Date(Date.now() - 50_000).toISOString(),
      disconnectTimestamp: new Date().toISOString(),
      nextContactIds: [],
      attributes: {},
    });
    const ev = (eventType: string) =>
      envelope(h.connect.instanceArn, { contactId: id, eventType, channel: 'CHAT', initiationMethod: 'API' });
    await h.post([ev('CONNECTED_TO_AGENT'), ev('DISCONNECTED')]);
    await h.until(() => byExternalId(h, id).length === 1);
    const t = byExternalId(h, id)[0]!;
    expect(t.via_id).toBeUndefined();
    expect(t.tags).toEqual(expect.arrayContaining(['concierge_chat', 'concierge_answered']));
    expect(h.zendesk.requests.filter((r) => r.kind === 'voice_ticket_create')).toHaveLength(0);
    expect(h.zendesk.specViolations).toEqual([]);
  });

  test('when no event of a contact ever arrives, then reconciliation finds it with SearchContacts and creates its ticket', async () => {
    h = await startHarness({ queues: ['contact-sync', 'contact-reconcile'] });
    const call = scriptCall(h.connect, 'abandoned', '+14155550301'); // in Connect, never posted to us
    await h.until(() => byExternalId(h, call.initialContactId).length === 1, 20_000);
    expect(h.connect.count('SearchContacts')).toBeGreaterThanOrEqual(1);
    expect(byExternalId(h, call.initialContactId)[0]!.tags).toContain('concierge_abandoned');
  });
});
