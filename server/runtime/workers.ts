import { Worker, type Job } from 'bullmq';
import { QUEUES, type QueueName } from '../queues/contracts';
import { createRedis } from '../queues/redis';
import { contactSyncProcessor } from '../../workers/contact-sync';
import { reconcileProcessor } from '../../workers/contact-reconcile';
import { helpCenterSyncProcessor } from '../../workers/help-center-sync';
import { sentimentPollProcessor } from '../../workers/sentiment-poll';
import { sweepInbox } from '../contacts/sweeper';
import { billingTicketProcessor } from '../../workers/billing-ticket';
import {
  BILLING_CYCLE_EVERY_MS,
  billingCycleProcessor,
  startBillingSweep,
} from '../../workers/billing-cycle';
import { declareKnowledgeSchedules, knowledgeGapsProcessor } from '../../workers/knowledge-gaps';
import type { Context } from './context';
import { TENANT_PURGE_EVERY_MS, tenantLifecycleProcessor } from '../../workers/tenant-lifecycle';

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * Starts one BullMQ worker per queue asked for, the inbox sweeper, and the reconciliation scheduler.
 * The sweeper is a timer, not a repeatable job, so it survives Redis losing its data; it also
 * re-declares the job scheduler, which a FLUSHALL would have erased.
 */
export async function startWorkers(
  ctx: Context,
  redisUrl: string,
  names: QueueName[],
): Promise<RunningWorkers> {
  const connection = createRedis(redisUrl, 'worker');
  const log = ctx.logger.child({ module: 'workers' });
  const processors: Record<QueueName, (job: Job, token?: string) => Promise<unknown>> = {
    [QUEUES.contactSync]: contactSyncProcessor(ctx.syncDeps()),
    [QUEUES.reconcile]: reconcileProcessor({ ...ctx, windowMs: ctx.config.CONCIERGE_RECONCILE_EVERY_MS * 3 }),
    [QUEUES.helpCenterSync]: helpCenterSyncProcessor({ ...ctx, zendeskFor: (t) => ctx.zendeskFor(t) }),
    [QUEUES.sentimentPoll]: sentimentPollProcessor(ctx.sentiment),
    [QUEUES.billingTicket]: billingTicketProcessor({
      ...ctx.billing.processDeps(),
      queues: ctx.queues,
      concurrency: ctx.config.CONCIERGE_WORKER_CONCURRENCY,
      drain: { leaseMs: Math.max(60_000, 2 * ctx.config.CONCIERGE_JOB_LOCK_MS) },
    }),
    [QUEUES.billingCycle]: billingCycleProcessor(ctx),
    [QUEUES.knowledgeGaps]: knowledgeGapsProcessor({ ...ctx, zendeskFor: (t) => ctx.zendeskFor(t) }),
    [QUEUES.tenantLifecycle]: tenantLifecycleProcessor(ctx),
  };
  const concurrency: Partial<Record<QueueName, number>> = {
    [QUEUES.contactSync]: ctx.config.CONCIERGE_WORKER_CONCURRENCY,
    [QUEUES.billingTicket]: ctx.config.CONCIERGE_WORKER_CONCURRENCY,
    [QUEUES.sentimentPoll]: ctx.sentiment.options.pollConcurrency,
  };
  const workers = names.map((name) => {
    const worker = new Worker(name, processors[name], {
      connection,
      prefix: ctx.config.CONCIERGE_QUEUE_PREFIX,
      concurrency: concurrency[name] ?? 1,
      // An analysis holds the CPU for seconds at a time (lock renewals wait): a longer lock for it.
      lockDuration:
        name === QUEUES.knowledgeGaps
          ? Math.max(ctx.config.CONCIERGE_JOB_LOCK_MS, 300_000)
          : ctx.config.CONCIERGE_JOB_LOCK_MS,
      stalledInterval: ctx.config.CONCIERGE_JOB_LOCK_MS,
    });
    worker.on('error', (err) => log.error({ err: err.message, queue: name }, 'worker error'));
    worker.on('completed', () => ctx.metrics.jobs.inc({ queue: name, outcome: 'completed' }));
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      ctx.metrics.jobs.inc({ queue: name, outcome: final ? 'failed' : 'retried' });
      log.warn({ queue: name, jobId: job?.id, err: err.message, final }, 'job failed');
    });
    return worker;
  });

  // Recurring work, declared idempotently at start and again by the sweeper (a FLUSHALL erases schedulers).
  const schedules: Array<{ queue: QueueName; id: string; every: number }> = [
    { queue: QUEUES.reconcile, id: 'reconcile-all', every: ctx.config.CONCIERGE_RECONCILE_EVERY_MS },
    {
      queue: QUEUES.helpCenterSync,
      id: 'help-center-all',
      every: ctx.config.CONCIERGE_HELP_CENTER_SYNC_EVERY_MS,
    },
    { queue: QUEUES.billingCycle, id: 'billing-cycle', every: BILLING_CYCLE_EVERY_MS },
    { queue: QUEUES.tenantLifecycle, id: 'tenant-purge', every: TENANT_PURGE_EVERY_MS },
  ];
  const schedule = async () => {
    for (const s of schedules.filter((x) => names.includes(x.queue))) {
      await ctx.queues.get(s.queue).upsertJobScheduler(s.id, { every: s.every }, { name: s.id, data: {} });
    }
    if (names.includes(QUEUES.knowledgeGaps)) await declareKnowledgeSchedules(ctx);
  };
  await schedule().catch((err: Error) =>
    log.warn({ err: err.message }, 'could not declare reconciliation schedule'),
  );

  let sweeping = false;
  const sweep = async () => {
    if (sweeping || !(names.includes(QUEUES.contactSync) || names.includes(QUEUES.knowledgeGaps))) return;
    sweeping = true;
    try {
      if (names.includes(QUEUES.contactSync))
        await sweepInbox(ctx.inbox, ctx.queues, ctx.config.CONCIERGE_SWEEP_AFTER_MS, log);
      await schedule();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'sweep failed; will try again');
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.CONCIERGE_SWEEP_INTERVAL_MS);
  timer.unref();
  // Live sentiment keeps its state in Postgres too: polls and finals whose jobs were lost are revived.
  const sentimentTimer = names.includes(QUEUES.sentimentPoll)
    ? setInterval(
        () =>
          void ctx.sentiment
            .sweep()
            .catch((err: Error) => log.warn({ err: err.message }, 'sentiment sweep failed; will try again')),
        ctx.config.CONCIERGE_SWEEP_INTERVAL_MS,
      )
    : undefined;
  sentimentTimer?.unref();
  const stopBillingSweep = names.includes(QUEUES.billingTicket)
    ? startBillingSweep(ctx, ctx.config.CONCIERGE_SWEEP_INTERVAL_MS, ctx.config.CONCIERGE_SWEEP_AFTER_MS)
    : undefined;

  return {
    workers,
    async close() {
      clearInterval(timer);
      clearInterval(sentimentTimer);
      stopBillingSweep?.();
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
    },
  };
}
