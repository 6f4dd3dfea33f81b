import { QUEUES, knowledgeRunJobId, knowledgeSchedulerId } from '../../server/queues/contracts';
import { draftLabel } from '../../server/knowledge/review';
import { startHarness, type Harness } from '../helpers/harness';
import { zafToken } from '../helpers/zaf-token';
import { seedTickets } from './support/loop';

/**
 * The knowledge loop through the service: the knowledge-gaps worker (BullMQ) and /v1/app/knowledge/*,
 * against the Zendesk double (requests checked against the spec; Help Center bodies by hand).
 */

jest.setTimeout(240_000);

let h: Harness;
let admin: number;
let approver: number;
let agent: number;
const GROUP = 31;

beforeAll(async () => {
  h = await startHarness({ queues: [QUEUES.knowledgeGaps] });
  admin = h.zendesk.addUser({ name: 'Kim Admin', email: 'kim@example.com', role: 'admin' }).id;
  approver = h.zendesk.addUser({ name: 'Kai Knowledge', email: 'kai@example.com', role: 'agent' }).id;
  agent = h.zendesk.addUser({ name: 'Ari Agent', email: 'ari@example.com', role: 'agent' }).id;
  h.zendesk.groupMemberships.set(approver, [5, GROUP]);
  h.zendesk.groupMemberships.set(agent, [5]);
  seedTickets(h.zendesk, 'recover_password', 0, 30, { agentId: agent });
  seedTickets(h.zendesk, 'delete_account', 0, 30, { agentId: agent });
  seedTickets(h.zendesk, 'track_refund', 0, 30, { agentId: agent });
  seedTickets(h.zendesk, 'newsletter_subscription', 0, 30, { agentId: agent });
});
afterAll(async () => {
  await h.stop();
});

async function call(
  method: string,
  path: string,
  userId: number | undefined,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads the JSON answers loosely
): Promise<{ status: number; body: any }> {
  const token = await zafToken(h.tenant.tenant, h.tenant.appSecret, userId ? { sub: String(userId) } : {});
  const res = await fetch(`${h.url}/v1/app/knowledge${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

let draftId: string;

describe('knowledge through the service', () => {
  test('when the worker starts, then every tenant has a weekly analysis schedule; an admin can change its period', async () => {
    const queue = h.running.ctx.queues.get(QUEUES.knowledgeGaps);
    await h.until(async () => !!(await queue.getJobScheduler(knowledgeSchedulerId(h.tenant.tenant))), 20_000);
    expect((await queue.getJobScheduler(knowledgeSchedulerId(h.tenant.tenant)))?.every).toBe(7 * 86_400_000);

    expect((await call('PUT', '/settings', agent, { everyDays: 3 })).status).toBe(403);
    const put = await call('PUT', '/settings', admin, { everyDays: 3, approverGroupId: GROUP });
    expect(put.status).toBe(200);
    expect(put.body.settings).toMatchObject({ everyDays: 3, approverGroupId: GROUP });
    expect((await queue.getJobScheduler(knowledgeSchedulerId(h.tenant.tenant)))?.every).toBe(3 * 86_400_000);
    expect((await call('PUT', '/settings', admin, { everyDays: 0 })).body.error.details[0].path).toBe(
      'everyDays',
    );
  });

  test('when an approver starts a run, then the worker exports, analyses and drafts, reporting progress, and the app lists gaps and drafts', async () => {
    expect((await call('POST', '/runs', agent)).status).toBe(403);
    const started = await call('POST', '/runs', approver);
    // 202 for a new run, 200 when it joins one in progress (the schedule fires once when declared).
    expect([200, 202]).toContain(started.status);
    const runId = started.body.run.id as string;
    const again = await call('POST', '/runs', approver);
    expect(again.body.run.id).toBe(runId); // joins the run in progress

    await h.until(async () => (await call('GET', '/runs', agent)).body.runs[0]?.stage === 'done', 120_000);
    // The run's job reports progress (it may be the second job of a run the schedule started: it reports the end state).
    const queue = h.running.ctx.queues.get(QUEUES.knowledgeGaps);
    const job = async () => queue.getJob(knowledgeRunJobId(h.tenant.tenant, runId));
    await h.until(async () => typeof (await job())?.progress === 'object', 60_000);
    expect((await job())?.progress).toMatchObject({ runId, stage: 'done', exported: 120 });

    const gaps = await call('GET', '/gaps', agent);
    expect(gaps.status).toBe(200);
    expect(gaps.body.gaps.length).toBeGreaterThanOrEqual(4);
    for (const g of gaps.body.gaps) {
      expect(g).toMatchObject({
        size: expect.any(Number),
        coverage: expect.any(Number),
        trend: expect.any(Number),
      });
      expect(g.impact.score).toBeGreaterThan(0);
    }
    const drafts = await call('GET', '/drafts?state=pending', agent);
    expect(drafts.body.drafts.length).toBeGreaterThanOrEqual(4);
    draftId = drafts.body.drafts[0].id;
    const one = await call('GET', `/drafts/${draftId}`, agent);
    expect(one.body.draft.paragraphs.length).toBeGreaterThan(0);
    expect(one.body.sources.length).toBe(one.body.draft.sourceTicketIds.length);
    expect(one.body.gap.questions.length).toBeGreaterThan(0);
    expect(h.zendesk.specViolations).toEqual([]);
  });

  test('when an agent outside the approver group approves, then 403, whatever the app claims; an approver in the group may', async () => {
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret, { sub: String(agent) });
    // A role claim in the token changes nothing: the service asks Zendesk who the user is.
    const forged = await fetch(`${h.url}/v1/app/knowledge/drafts/${draftId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-role': 'admin' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect(forged.status).toBe(403);
    expect((await call('POST', `/drafts/${draftId}/reject`, agent, { reason: 'nope' })).status).toBe(403);
    expect((await call('POST', `/drafts/${draftId}/approve`, undefined, {})).status).toBe(403);
    expect((await call('GET', '/me', agent)).body).toMatchObject({ canApprove: false });
    expect((await call('GET', '/me', approver)).body).toMatchObject({ canApprove: true, isAdmin: false });
    expect((await call('GET', '/me', admin)).body).toMatchObject({ canApprove: true, isAdmin: true });
  });

  test('when approve is clicked twice at once and again later, then exactly one article is created, with the edits, sanitised, and suggestions find it at once', async () => {
    const edits = {
      title: 'Reset a forgotten password',
      bodyHtml:
        '<p>Open the sign-in page and choose <strong>Forgot password</strong>.</p><script>alert(1)</script><p onclick="x()">We e-mail you a reset link.</p>',
      sectionId: 1,
      labels: ['password', 'login'],
    };
    const [a, b] = await Promise.all([
      call('POST', `/drafts/${draftId}/approve`, approver, edits),
      call('POST', `/drafts/${draftId}/approve`, admin, { ...edits, title: 'Another title' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const later = await call('POST', `/drafts/${draftId}/approve`, approver, edits);
    expect(later.status).toBe(200);
    const creates = h.zendesk.requests.filter((r) => r.kind === 'hc_article_create');
    expect(creates).toHaveLength(1);
    const published = later.body.draft;
    expect(published).toMatchObject({
      state: 'published',
      edited: true,
      publishedArticleId: expect.any(Number),
    });
    expect([approver, admin]).toContain(published.approvedBy);
    expect(published.approvedAt).toEqual(expect.any(String));
    const article = h.zendesk.articles.get(published.publishedArticleId)!;
    expect(article.title).toBe(published.title);
    expect(article.body).toBe(
      '<p>Open the sign-in page and choose <strong>Forgot password</strong>.</p><p>We e-mail you a reset link.</p>',
    );
    expect(article.label_names).toEqual(expect.arrayContaining(['password', 'login', draftLabel(draftId)]));
    expect(article.section_id).toBe(1);

    // In the tenant's stored Help Center, so the suggestions index has it without waiting for a sync.
    const found = await h.running.ctx.suggestions.suggest(h.tenant.tenant, {
      conversation: 'I forgot my password, how do I get a reset link?',
      locale: 'en',
    });
    expect(found.articles.map((x) => x.id)).toContain(published.publishedArticleId);
  });

  test('when the Help Center fails during publish, then the draft stays approved with the error, and a retried publish creates one article', async () => {
    const pending = (await call('GET', '/drafts?state=pending', agent)).body.drafts;
    const id = pending[0].id as string;
    h.zendesk.failNext(1, 503, { kind: 'hc_article_create' });
    const failed = await call('POST', `/drafts/${id}/approve`, approver, { sectionId: 1 });
    expect(failed.status).toBe(503);
    const after = await call('GET', `/drafts/${id}`, agent);
    expect(after.body.draft).toMatchObject({
      state: 'approved',
      publishError: expect.stringContaining('503'),
    });

    const before = h.zendesk.requests.filter((r) => r.kind === 'hc_article_create').length;
    const retried = await call('POST', `/drafts/${id}/publish`, approver);
    expect(retried.status).toBe(200);
    expect(retried.body.draft.state).toBe('published');
    expect(h.zendesk.requests.filter((r) => r.kind === 'hc_article_create').length).toBe(before + 1);
    const mine = [...h.zendesk.articles.values()].filter((x) => x.label_names.includes(draftLabel(id)));
    expect(mine).toHaveLength(1);
  });

  test('when a publish created the article but the service died before recording it, then the retry adopts that article instead of creating another', async () => {
    const pending = (await call('GET', '/drafts?state=pending', agent)).body.drafts;
    expect(pending.length).toBeGreaterThanOrEqual(1);
    const id = pending[0].id as string;
    // The earlier attempt: approved, its create landed in Zendesk, its lease long expired.
    await h.running.ctx.db.query(
      `UPDATE knowledge_drafts SET state = 'approved', approved_by = $3, approved_at = now(), section_id = 1,
              publishing_until = now() - interval '1 minute' WHERE tenant_id = $1 AND id = $2`,
      [h.tenant.tenant, id, approver],
    );
    const landed = h.zendesk.putArticle({
      id: 77_001,
      title: 'Landed before the crash',
      body: '<p>x</p>',
      section_id: 1,
      label_names: [draftLabel(id)],
    });
    const before = h.zendesk.requests.filter((r) => r.kind === 'hc_article_create').length;
    const res = await call('POST', `/drafts/${id}/publish`, admin);
    expect(res.body.draft).toMatchObject({ state: 'published', publishedArticleId: landed.id });
    expect(h.zendesk.requests.filter((r) => r.kind === 'hc_article_create').length).toBe(before);
  });

  test('when a draft is rejected with a reason, then who, when and why are kept and it can no longer be approved', async () => {
    const pending = (await call('GET', '/drafts?state=pending', agent)).body.drafts;
    expect(pending.length).toBeGreaterThanOrEqual(1);
    const id = pending[0].id as string;
    expect((await call('POST', `/drafts/${id}/reject`, approver, { reason: '' })).status).toBe(400);
    const r = await call('POST', `/drafts/${id}/reject`, approver, {
      reason: 'Covered by the new login guide',
    });
    expect(r.body.draft).toMatchObject({
      state: 'rejected',
      rejectedBy: approver,
      rejectReason: 'Covered by the new login guide',
      rejectedAt: expect.any(String),
    });
    expect((await call('POST', `/drafts/${id}/approve`, approver, {})).status).toBe(409);
  });
});
