import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { knowledgeGapsPayload, type Queues } from '../server/queues/contracts';
import type { AiProvider } from '../server/ai/types';
import type { HelpCenterRepo } from '../server/helpcenter/repo';
import type { KnowledgeRepo } from '../server/knowledge/repo';
import { runKnowledge, type RunProgress } from '../server/knowledge/pipeline';
import type { Tenant, TenantRepo } from '../server/tenants/repo';
import type { ZendeskApi } from '../server/zendesk/types';

export interface KnowledgeWorkerDeps {
  knowledge: KnowledgeRepo;
  helpCenter: HelpCenterRepo;
  tenants: TenantRepo;
  zendeskFor: (t: Tenant) => Promise<ZendeskApi>;
  ai: AiProvider;
  logger: Logger;
  /** Export pages per attempt (tests). */
  maxPages?: number;
}

/**
 * knowledge-gaps: one tenant's analysis run. The scheduled job carries no run id and starts (or joins)
 * the tenant's run; an on-demand job names the run the API created. Progress goes to the job (BullMQ)
 * and to the run row (what the app reads). A crash leaves the run at its stage and cursor; the retried
 * or stalled-and-restarted job resumes it. After the last attempt the run is marked failed.
 */
export function knowledgeGapsProcessor(deps: KnowledgeWorkerDeps) {
  return async (job: Job): Promise<{ runId: string; stage: string; stats: Record<string, unknown> }> => {
    const payload = knowledgeGapsPayload.parse(job.data ?? {});
    const tenant = await deps.tenants.get(payload.tenantId);
    if (!tenant) throw new UnrecoverableError('unknown tenant');
    let runId = payload.runId;
    if (!runId) {
      const { run } = await deps.knowledge.startRun(tenant.id, randomUUID(), 'schedule');
      runId = run.id;
      await job.updateData({ ...payload, runId });
    }
    try {
      const run = await runKnowledge(
        {
          repo: deps.knowledge,
          helpCenter: deps.helpCenter,
          zendesk: await deps.zendeskFor(tenant),
          ai: deps.ai,
          logger: deps.logger,
          ...(deps.maxPages !== undefined ? { maxPages: deps.maxPages } : {}),
        },
        tenant.id,
        runId,
        (p: RunProgress) => job.updateProgress({ ...p }),
      );
      return { runId, stage: run.stage, stats: run.stats };
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last)
        await deps.knowledge.setStage(tenant.id, runId, 'failed', {}, (err as Error).message.slice(0, 500));
      throw err;
    }
  };
}

/**
 * Declares every tenant's schedule (its own period) and re-enqueues unfinished runs whose job Redis may
 * have lost; run job ids are deterministic, so a job that still exists is left alone.
 */
export async function declareKnowledgeSchedules(deps: {
  tenants: TenantRepo;
  knowledge: KnowledgeRepo;
  queues: Queues;
}): Promise<void> {
  for (const tenant of await deps.tenants.list()) {
    const settings = await deps.knowledge.settings(tenant.id);
    await deps.queues.upsertKnowledgeSchedule(tenant.id, settings.everyMs);
    const active = await deps.knowledge.activeRun(tenant.id);
    if (active) await deps.queues.enqueueKnowledgeRun(tenant.id, active.id);
  }
}
