import crypto from 'node:crypto';
import { runKnowledge } from '../../server/knowledge/pipeline';
import { draftGap } from '../../server/knowledge/drafts';
import { logger, startLoop, TENANT, type Loop } from './support/loop';

/**
 * The knowledge loop per tenant against the Zendesk double: solved tickets from the cursor-based
 * incremental export (with comments), the stored Help Center, analysis, versioned gaps, drafts.
 */

jest.setTimeout(180_000);

let loop: Loop;
beforeEach(async () => {
  loop = await startLoop();
});
afterEach(async () => {
  await loop.close();
});

const exportRequests = () => loop.zd.requests.filter((r) => r.kind === 'tickets_export');

describe('knowledge runs', () => {
  test('when an intent has no article and another has one, then only the uncovered one becomes a gap, with a draft grounded in its tickets', async () => {
    await loop.article('cancel_order', 7001);
    const covered = loop.seed('cancel_order', 0, 30);
    const hidden = loop.seed('recover_password', 0, 30);
    const { run } = await loop.run();

    expect(run.stage).toBe('done');
    expect(run.exported).toBe(60);
    const gaps = await loop.repo.gaps(TENANT);
    expect(gaps.length).toBeGreaterThanOrEqual(1);
    const hiddenSet = new Set(hidden);
    const coveredSet = new Set(covered);
    for (const g of gaps) {
      const inHidden = g.ticketIds.filter((id) => hiddenSet.has(id)).length;
      expect(inHidden / g.size).toBeGreaterThan(0.8);
      expect(g.ticketIds.some((id) => coveredSet.has(id))).toBe(false);
    }
    const drafts = await loop.review.list(TENANT);
    // A draft for every gap of at least draftMinSize (8) tickets.
    expect(drafts.length).toBe(gaps.filter((g) => g.size >= 8).length);
    expect(drafts.length).toBeGreaterThanOrEqual(1);
    const d = drafts[0]!;
    expect(d.state).toBe('pending');
    expect(d.kind).toBe('create');
    expect(d.paragraphs.length).toBeGreaterThan(0);
    const gap = gaps.find((g) => g.id === d.gapId)!;
    // Every paragraph names its tickets, all of the gap, and its text is an agent's own sentence there.
    const answers = new Map(
      (await loop.repo.answers(TENANT, gap.ticketIds)).map((a) => [a.ticketId, a.answer ?? '']),
    );
    for (const p of d.paragraphs) {
      expect(p.sourceTicketIds.length).toBeGreaterThan(0);
      const text = p.html
        .replace(/^<p>|<\/p>$/g, '')
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"');
      for (const id of p.sourceTicketIds) expect(gap.ticketIds).toContain(id);
      expect(p.sourceTicketIds.some((id) => answers.get(id)!.includes(text))).toBe(true);
    }
    expect(d.sectionId).toBe(1);
  });

  test('when the export stops after a page (crash), then the next attempt resumes at the stored cursor and no ticket is read twice', async () => {
    loop.zd.exportPageSize = 10;
    loop.seed('delete_account', 0, 25);
    const { run } = await loop.repo.startRun(TENANT, crypto.randomUUID(), 'manual');
    const deps = {
      repo: loop.repo,
      helpCenter: loop.helpCenter,
      zendesk: loop.client(),
      ai: loop.ai,
      logger,
    };
    await expect(runKnowledge({ ...deps, maxPages: 1 }, TENANT, run.id)).rejects.toThrow(
      /resumes at the cursor/,
    );
    expect((await loop.repo.run(TENANT, run.id))!.stage).toBe('export');
    expect((await loop.repo.exportState(TENANT)).cursor).not.toBeNull();
    expect(exportRequests()).toHaveLength(1);

    const done = await runKnowledge(deps, TENANT, run.id);
    expect(done.stage).toBe('done');
    expect(done.exported).toBe(25);
    // 25 tickets in pages of 10: three pages in all, the first never asked for again.
    expect(exportRequests()).toHaveLength(3);
    const comments = loop.zd.requests.filter((r) => r.kind === 'ticket_comments').map((r) => r.path);
    expect(new Set(comments).size).toBe(comments.length);
    expect(loop.zd.specViolations).toEqual([]);
  });

  test('when Zendesk answers 429 during the export, then the run waits Retry-After and goes on', async () => {
    loop.seed('recover_password', 0, 12);
    loop.zd.failNext(1, 429, { kind: 'tickets_export', headers: { 'retry-after': '1' } });
    const started = Date.now();
    const { run } = await loop.run();
    expect(run.stage).toBe('done');
    expect(run.exported).toBe(12);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(exportRequests().map((r) => r.status)).toEqual([429, 200]);
  });

  test('when a later run finds the same gap again, then it is a new version of the same gap, not a second one, and it is not drafted twice', async () => {
    loop.seed('recover_password', 0, 30);
    const first = await loop.run();
    const before = await loop.repo.gaps(TENANT);
    expect(before.length).toBeGreaterThanOrEqual(1);

    loop.seed('recover_password', 30, 20);
    const second = await loop.run();
    expect(second.run.exported).toBe(20); // only what changed since the first run's cursor
    const after = await loop.repo.allGaps(TENANT);
    for (const was of before) {
      // The tickets of an earlier gap are found again in exactly one gap: the same row, one version on.
      const holding = after.filter(
        (g) => g.ticketIds.filter((id) => was.ticketIds.includes(id)).length >= was.size / 2,
      );
      expect(holding.map((g) => g.id)).toEqual([was.id]);
      expect(holding[0]).toMatchObject({ version: 2, lastRun: second.runId, status: 'open' });
    }
    const versions = await loop.t.db.query<{ gap_id: string; n: string }>(
      `SELECT gap_id, count(*)::text AS n FROM knowledge_gap_versions WHERE tenant_id = $1 GROUP BY gap_id`,
      [TENANT],
    );
    for (const was of before) expect(versions.find((v) => v.gap_id === was.id)?.n).toBe('2');
    expect(first.runId).not.toBe(second.runId);
    // Drafts: still one per gap.
    const drafts = await loop.review.list(TENANT);
    expect(new Set(drafts.map((d) => d.gapId)).size).toBe(drafts.length);
  });

  test('when a draft was rejected, then the unchanged gap is not drafted again, but it is once many new tickets arrive', async () => {
    loop.seed('delete_account', 0, 40);
    await loop.run();
    const [draft] = await loop.review.list(TENANT, 'pending');
    expect(draft).toBeDefined();
    const rejected = await loop.review.reject(TENANT, draft!.id, 900, 'Policy is changing next month');
    expect(rejected).toMatchObject({
      state: 'rejected',
      rejectedBy: 900,
      rejectReason: 'Policy is changing next month',
    });

    loop.seed('delete_account', 40, 2);
    const again = await loop.run();
    expect(again.run.stats.draftSkipped).toMatchObject({ rejected_unchanged: expect.any(Number) });
    expect((await loop.review.list(TENANT, 'pending')).filter((d) => d.gapId === draft!.gapId)).toHaveLength(
      0,
    );

    loop.seed('delete_account', 42, 40);
    await loop.run();
    const pending = await loop.review.list(TENANT, 'pending');
    expect(pending.filter((d) => d.gapId === draft!.gapId)).toHaveLength(1);
  });

  test('when an existing article nearly duplicates the gap, then the draft proposes updating it', async () => {
    await loop.repo.saveSettings(TENANT, { draftMinSize: 10_000 }); // the run finds gaps but drafts none
    loop.seed('recover_password', 0, 30);
    const { runId } = await loop.run();
    const gap = (await loop.repo.gaps(TENANT)).sort((a, b) => b.size - a.size)[0]!;
    expect(await loop.review.list(TENANT)).toHaveLength(0);
    const answers = await loop.repo.answers(TENANT, gap.ticketIds);
    const unrelated = {
      articleId: 9001,
      locale: 'en-us',
      title: 'Gift cards',
      htmlUrl: null,
      sectionId: 2,
      labels: [],
      bodyHtml: '<p>Gift cards can be bought in amounts from 10 to 500 and never expire.</p>',
    };
    const near = {
      articleId: 8100,
      locale: 'en-us',
      title: 'Signing in',
      htmlUrl: null,
      sectionId: 4,
      labels: ['login'],
      bodyHtml: `<p>${answers[0]!.answer!.slice(0, 300)}</p><p>${answers[1]!.answer!.slice(0, 300)}</p>`,
    };
    const r = await draftGap({ repo: loop.repo, ai: loop.ai }, TENANT, runId, gap, [unrelated, near]);
    expect(r).toHaveProperty('draftId');
    const [update] = await loop.review.list(TENANT, 'pending');
    expect(update).toMatchObject({
      kind: 'update',
      targetArticle: { id: 8100, title: 'Signing in' },
      sectionId: 4,
    });
    expect(update!.labels).toContain('login');
    // The article's body first (the reviewer edits the whole of it), then what agents answered.
    expect(update!.bodyHtml.startsWith(near.bodyHtml)).toBe(true);
    expect(update!.paragraphs.length).toBeGreaterThan(0);
    expect(update!.title).toBe('Signing in');

    // Without the near duplicate, the same gap gets a new article in the closest article's section.
    await loop.t.db.query(`DELETE FROM knowledge_drafts WHERE tenant_id = $1`, [TENANT]);
    await draftGap({ repo: loop.repo, ai: loop.ai }, TENANT, runId, gap, [unrelated]);
    const [fresh] = await loop.review.list(TENANT, 'pending');
    expect(fresh).toMatchObject({ kind: 'create', targetArticle: null });
  });

  test('when a voice ticket was solved, then its transcript is the question', async () => {
    loop.zd.putExportTicket({
      id: 4242,
      subject: 'Call from +1 555 0100',
      requesterId: 777,
      via: 'voice',
      comments: [
        {
          authorId: 777,
          body: 'Call recording',
          public: false,
          transcript: 'I forgot my password and cannot log in',
          callDuration: 240,
        },
        { authorId: 500, body: 'Use the Forgot password link on the sign-in page.' },
      ],
    });
    await loop.run();
    const [stored] = await loop.repo.answers(TENANT, [4242]);
    expect(stored!.question).toContain('I forgot my password and cannot log in');
    expect(stored!.answer).toContain('Forgot password link');
  });
});
