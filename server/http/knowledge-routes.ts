import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { KnowledgeAccess } from '../knowledge/access';
import type { KnowledgeRepo, StoredGap } from '../knowledge/repo';
import type { ReviewQueue } from '../knowledge/review';
import type { Queues } from '../queues/contracts';
import type { ZendeskApi } from '../zendesk/types';
import { BadRequestError, ForbiddenError } from '../errors';
import type { AppAuth } from './app-auth';

/**
 * /v1/app/knowledge/* for the nav_bar app, behind the app's JWT (tenant from the verified token). Reading
 * is open to the tenant's agents; approving, rejecting, starting a run and changing settings are checked
 * here, against Zendesk's record of the user (admin, or agent in the approver group).
 */

export interface KnowledgeRoutesDeps {
  knowledge: KnowledgeRepo;
  review: ReviewQueue;
  knowledgeAccess: KnowledgeAccess;
  queues: Queues;
  zendeskOf: (tenantId: string) => Promise<ZendeskApi>;
}

const uuid = z.string().uuid('a draft id');
const edits = z
  .object({
    title: z.string().trim().min(1).max(255).optional(),
    bodyHtml: z.string().min(1).max(200_000).optional(),
    sectionId: z.number().int().positive().nullable().optional(),
    labels: z.array(z.string().trim().min(1).max(100)).max(30).optional(),
  })
  .strict();
const rejectBody = z
  .object({ reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2000) })
  .strict();
const settingsBody = z
  .object({
    everyDays: z.number().int().min(1).max(90).optional(),
    approverGroupId: z.number().int().positive().nullable().optional(),
    draftMinSize: z.number().int().min(2).max(10_000).optional(),
    lookbackDays: z.number().int().min(7).max(365).optional(),
    permissionGroupId: z.number().int().positive().nullable().optional(),
  })
  .strict();
const listQuery = z.object({ state: z.enum(['pending', 'approved', 'rejected', 'published']).optional() });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new BadRequestError(
      `Invalid ${what}`,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  return r.data;
}

const tenantOf = (res: Response) => res.locals.tenant as string;
const userOf = (res: Response): number | undefined => {
  const n = Number((res.locals.appAuth as AppAuth | undefined)?.userId);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

const gapView = (g: StoredGap) => ({
  id: g.id,
  label: g.label,
  size: g.size,
  coverage: g.coverage,
  topArticle: g.topArticle,
  questions: g.questions,
  impact: g.impact,
  trend: g.impact.trend,
  version: g.version,
  status: g.status,
  firstSeenAt: g.firstSeenAt,
  lastSeenAt: g.lastSeenAt,
});

export function knowledgeRouter(deps: KnowledgeRoutesDeps): Router {
  const router = Router();
  const base = '/v1/app/knowledge';

  const requireApprover = async (res: Response, what: string): Promise<number> => {
    const userId = userOf(res);
    const access = await deps.knowledgeAccess.check(tenantOf(res), userId);
    if (!access.canApprove || userId === undefined)
      throw new ForbiddenError(
        `Only Zendesk admins or agents in the knowledge approver group can ${what}`,
        'not_approver',
      );
    return userId;
  };

  router.get(`${base}/me`, async (_req, res) => {
    const access = await deps.knowledgeAccess.check(tenantOf(res), userOf(res));
    res.json({ userId: userOf(res) ?? null, canApprove: access.canApprove, isAdmin: access.isAdmin });
  });

  router.get(`${base}/gaps`, async (_req, res) => {
    const tenantId = tenantOf(res);
    const [gaps, drafts] = await Promise.all([deps.knowledge.gaps(tenantId), deps.review.list(tenantId)]);
    const draftOf = new Map<string, { id: string; state: string }>();
    for (const d of drafts) if (!draftOf.has(d.gapId)) draftOf.set(d.gapId, { id: d.id, state: d.state });
    res.json({ gaps: gaps.map((g) => ({ ...gapView(g), draft: draftOf.get(g.id) ?? null })) });
  });

  router.get(`${base}/drafts`, async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const drafts = await deps.review.list(tenantOf(res), q.state);
    res.json({
      drafts: drafts.map((d) => ({
        id: d.id,
        gapId: d.gapId,
        kind: d.kind,
        targetArticle: d.targetArticle,
        title: d.title,
        state: d.state,
        sources: d.sourceTicketIds.length,
        createdAt: d.createdAt,
        publishedArticleId: d.publishedArticleId,
      })),
    });
  });

  router.get(`${base}/drafts/:id`, async (req, res) => {
    const id = parse(uuid, req.params.id, 'draft id');
    const draft = await deps.review.get(tenantOf(res), id);
    const gap = await deps.knowledge.gap(tenantOf(res), draft.gapId);
    res.json({
      draft,
      gap: gap ? gapView(gap) : null,
      sources: await deps.review.sources(tenantOf(res), draft),
    });
  });

  router.post(`${base}/drafts/:id/approve`, async (req, res) => {
    const id = parse(uuid, req.params.id, 'draft id');
    const body = parse(edits, req.body ?? {}, 'edits');
    const userId = await requireApprover(res, 'approve drafts');
    const draft = await deps.review.approve(tenantOf(res), id, userId, body);
    res.json({ draft });
  });

  router.post(`${base}/drafts/:id/reject`, async (req, res) => {
    const id = parse(uuid, req.params.id, 'draft id');
    const body = parse(rejectBody, req.body ?? {}, 'rejection');
    const userId = await requireApprover(res, 'reject drafts');
    res.json({ draft: await deps.review.reject(tenantOf(res), id, userId, body.reason) });
  });

  /** A publish that failed (Help Center down) is retried here; a published draft is returned as it is. */
  router.post(`${base}/drafts/:id/publish`, async (req, res) => {
    const id = parse(uuid, req.params.id, 'draft id');
    await requireApprover(res, 'publish drafts');
    res.json({ draft: await deps.review.publish(tenantOf(res), id) });
  });

  router.post(`${base}/runs`, async (_req, res) => {
    const userId = await requireApprover(res, 'start an analysis');
    const tenantId = tenantOf(res);
    const { run, created } = await deps.knowledge.startRun(tenantId, randomUUID(), 'manual', userId);
    await deps.queues.enqueueKnowledgeRun(tenantId, run.id);
    res.status(created ? 202 : 200).json({ run });
  });

  router.get(`${base}/runs`, async (_req, res) => {
    res.json({ runs: await deps.knowledge.runs(tenantOf(res)) });
  });

  router.get(`${base}/sections`, async (_req, res) => {
    const zd = await deps.zendeskOf(tenantOf(res));
    res.json({ sections: await zd.listSections({ priority: 'deferrable' }) });
  });

  router.get(`${base}/settings`, async (_req, res) => {
    const s = await deps.knowledge.settings(tenantOf(res));
    res.json({ settings: { ...s, everyDays: Math.round(s.everyMs / 86_400_000) } });
  });

  router.put(`${base}/settings`, async (req, res) => {
    const body = parse(settingsBody, req.body ?? {}, 'settings');
    const tenantId = tenantOf(res);
    const access = await deps.knowledgeAccess.check(tenantId, userOf(res));
    if (!access.isAdmin)
      throw new ForbiddenError('Only Zendesk admins can change knowledge settings', 'admin_only');
    const { everyDays, ...rest } = body;
    const saved = await deps.knowledge.saveSettings(tenantId, {
      ...rest,
      ...(everyDays !== undefined ? { everyMs: everyDays * 86_400_000 } : {}),
    });
    deps.knowledgeAccess.forget(tenantId);
    if (everyDays !== undefined) await deps.queues.upsertKnowledgeSchedule(tenantId, saved.everyMs);
    res.json({ settings: { ...saved, everyDays: Math.round(saved.everyMs / 86_400_000) } });
  });

  return router;
}
