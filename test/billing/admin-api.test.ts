import { SignJWT } from 'jose';
import { reversalEntryKey } from '../../server/billing/ledger';
import { resolutionEntry } from '../../server/billing/process';
import type { Evidence, ResolutionKind } from '../../server/billing/types';
import { startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(90_000);

/** What Zendesk's proxy signs for the app: `role` from currentUser().role, `sub` its id. */
const zafToken = (subdomain: string, secret: string, role?: string, sub = 900) =>
  new SignJWT(role ? { role } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${subdomain}.zendesk.com`)
    .setAudience('https://concierge.test')
    .setSubject(String(sub))
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(secret));

const HOUR = 3_600_000;

describe('/v1/app/billing: admin endpoints', () => {
  let h: Harness;
  let admin: string;
  let adminId: number;
  let agentId: number;
  const day = (d: number) => new Date(Date.UTC(2024, 2, d, 12)).getTime(); // March 2024, noon UTC
  const evidence = (rule: string): Evidence => ({
    publicReplies: { humanAgents: [], bots: [1], endUserCount: 1 },
    calls: [],
    suggestions: [],
    rule,
  });

  beforeAll(async () => {
    h = await startHarness({ queues: [] });
    adminId = h.zendesk.addUser({ name: 'Ada Admin', email: 'ada@example.com', role: 'admin' }).id;
    agentId = h.zendesk.addUser({ name: 'Ivan Agent', email: 'ivan@example.com', role: 'agent' }).id;
    admin = await zafToken(h.tenant.tenant, h.tenant.appSecret, 'admin', adminId);
    const tenant = h.tenant.tenant;
    const add = async (
      ticket: number,
      solvedDay: number,
      kind: ResolutionKind,
      reversal?: ['void' | 'credit', number],
    ) => {
      const solved = day(solvedDay);
      const key = `${ticket}:${new Date(solved).toISOString()}`;
      const entries = [
        resolutionEntry(tenant, ticket, key, solved, solved + 72 * HOUR, kind, evidence(`${kind} rule`)),
      ];
      if (reversal)
        entries.push({
          ...entries[0]!,
          entryKey: reversalEntryKey(key),
          entry: reversal[0],
          quantity: -1,
          occurredAt: new Date(reversal[1]).toISOString(),
          reason: 'reopened',
          evidence: { reason: 'reopened' },
        });
      await h.running.ctx.billing.ledger.append(entries);
    };
    // March 1: 3 automated (one voided), 1 AI-assisted, 1 human. March 2: 1 automated credited on March 9.
    await add(1, 1, 'automated');
    await add(2, 1, 'automated');
    await add(3, 1, 'automated', ['void', day(2)]);
    await add(4, 1, 'ai_assisted');
    await add(5, 1, 'human');
    await add(6, 2, 'automated', ['credit', day(9)]);
  }, 120_000);
  afterAll(() => h.stop());

  const get = async (path: string, token = admin) => {
    const res = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // CSV
    }
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: body as Record<string, unknown>,
    };
  };

  test('when an agent (no admin role) or nobody asks, then 403 / 401', async () => {
    expect(
      (await get('/v1/app/billing/usage', await zafToken(h.tenant.tenant, h.tenant.appSecret, 'agent')))
        .status,
    ).toBe(403);
    expect(
      (await get('/v1/app/billing/usage', await zafToken(h.tenant.tenant, h.tenant.appSecret))).status,
    ).toBe(403);
    expect((await get('/v1/app/billing/usage', 'not-a-token')).status).toBe(401);
  });

  test('when an agent signs a role claim of "admin", then Zendesk\'s record of the user decides: 403; an admin is checked once per 5 minutes', async () => {
    const forged = await zafToken(h.tenant.tenant, h.tenant.appSecret, 'admin', agentId);
    const res = await get('/v1/app/billing/usage', forged);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'admin_only' } });
    const unknown = await zafToken(h.tenant.tenant, h.tenant.appSecret, 'admin', 987_654);
    expect((await get('/v1/app/billing/usage', unknown)).status).toBe(403);
    const lookups = () =>
      h.zendesk.requests.filter((r) => r.kind === 'user_show' && r.path === `/api/v2/users/${adminId}`)
        .length;
    expect((await get('/v1/app/billing/usage')).status).toBe(200);
    const after = lookups();
    expect(after).toBe(1);
    expect((await get('/v1/app/billing/exports')).status).toBe(200);
    expect(lookups()).toBe(after);
  });

  test('when usage for March is asked, then resolutions by day and kind, billable by window-end day, credits, and the automation rate', async () => {
    const res = await get('/v1/app/billing/usage?from=2024-03-01&to=2024-03-31');
    expect(res.status).toBe(200);
    const days = res.body.days as Array<Record<string, unknown>>;
    expect(days).toHaveLength(31);
    expect(days[0]).toEqual({
      date: '2024-03-01',
      resolutions: { automated: 2, ai_assisted: 1, human: 1 },
      voided: { automated: 1, ai_assisted: 0, human: 0 },
      billable: 0,
      credited: 0,
    });
    expect(days[3]).toMatchObject({ date: '2024-03-04', billable: 2 }); // windows of March 1 end March 4
    expect(days[4]).toMatchObject({ date: '2024-03-05', billable: 1 });
    expect(days[8]).toMatchObject({ date: '2024-03-09', credited: 1 });
    expect(res.body.totals).toEqual({
      resolutions: { automated: 3, ai_assisted: 1, human: 1 },
      voided: 1,
      billable: 3,
      credited: 1,
      net: 2,
    });
    expect(res.body.automationRate).toBe(0.6);
    expect(res.body.windowHours).toBe(72);
  });

  test('when automated resolutions are still inside their window, then they are counted as such, not as billable', async () => {
    const solved = Date.now() - HOUR;
    const key = `77:${new Date(solved).toISOString()}`;
    await h.running.ctx.billing.ledger.append([
      resolutionEntry(h.tenant.tenant, 77, key, solved, solved + 72 * HOUR, 'automated', evidence('recent')),
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const res = await get(`/v1/app/billing/usage?from=${today}&to=${today}`);
    expect(res.body).toMatchObject({ inWindow: 1, totals: { billable: 0 } });
  });

  test('when the resolutions behind a figure are asked, then each comes with its state and evidence, paged', async () => {
    const billable = await get('/v1/app/billing/resolutions?from=2024-03-04&to=2024-03-04&basis=billable');
    expect((billable.body.resolutions as Array<{ ticketId: number }>).map((r) => r.ticketId).sort()).toEqual([
      1, 2,
    ]);
    const all = await get('/v1/app/billing/resolutions?from=2024-03-01&to=2024-03-02&limit=4');
    const page1 = all.body.resolutions as Array<Record<string, unknown>>;
    expect(page1).toHaveLength(4);
    const page2 = await get(
      `/v1/app/billing/resolutions?from=2024-03-01&to=2024-03-02&limit=4&cursor=${String(all.body.nextCursor)}`,
    );
    const rows = [...page1, ...(page2.body.resolutions as Array<Record<string, unknown>>)];
    expect(Object.fromEntries(rows.map((r) => [r.ticketId, r.state]))).toEqual({
      1: 'billable',
      2: 'billable',
      3: 'voided',
      4: 'not_billable',
      5: 'not_billable',
      6: 'credited',
    });
    expect(rows.find((r) => r.ticketId === 3)).toMatchObject({
      kind: 'automated',
      reversal: { entry: 'void', reason: 'reopened' },
      evidence: { rule: 'automated rule', publicReplies: { bots: [1] } },
      windowEndsAt: new Date(day(1) + 72 * HOUR).toISOString(),
    });
    expect((await get('/v1/app/billing/resolutions?from=2024-03-02&to=2024-03-01')).status).toBe(400);
  });

  test('when the monthly report is asked as CSV, then one line per day and a total line', async () => {
    const res = await get('/v1/app/billing/report?month=2024-03&format=csv');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/text\/csv/);
    const lines = String(res.body).trim().split('\r\n');
    expect(lines[0]).toBe('date,automated,ai_assisted,human,billable,credited,net');
    expect(lines).toHaveLength(33);
    expect(lines[4]).toBe('2024-03-04,0,0,0,2,0,2');
    expect(lines.at(-1)).toBe('total,3,1,1,3,1,2');
    const json = await get('/v1/app/billing/report?month=2024-03');
    expect(json.body).toMatchObject({
      month: '2024-03',
      complete: true,
      totals: { billable: 3, credited: 1, net: 2 },
    });
  });
});
