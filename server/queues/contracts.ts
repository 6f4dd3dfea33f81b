import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Queue names: the one place they are spelled. */
export const QUEUES = {
  contactSync: 'contact-sync',
  reconcile: 'contact-reconcile',
  helpCenterSync: 'help-center-sync',
  sentimentPoll: 'sentiment-poll',
  billingTicket: 'billing-ticket',
  billingCycle: 'billing-cycle',
  knowledgeGaps: 'knowledge-gaps',
  tenantLifecycle: 'tenant-lifecycle',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);

/** Job payloads carry ids only: never tokens, phone numbers or transcripts (job data sits in Redis in clear). */
export const contactSyncPayload = z.object({
  tenantId: z.string().min(1),
  eventId: z.string().min(1),
  initialContactId: z.string().min(1),
});
export type ContactSyncPayload = z.infer<typeof contactSyncPayload>;

export const reconcilePayload = z.object({ tenantId: z.string().min(1).optional() });
/** Help Center sync: one tenant, or every tenant when absent (the scheduled run). */
export const helpCenterSyncPayload = z.object({ tenantId: z.string().min(1).optional() });
export type ReconcilePayload = z.infer<typeof reconcilePayload>;

/**
 * sentiment-poll carries two job kinds: `poll` (one analysed leg, re-delayed until it ends) and
 * `final` (a conversation's final sentiment, written to its ticket once).
 */
export const sentimentPollPayload = z.object({
  tenantId: z.string().min(1),
  contactId: z.string().min(1),
  initialContactId: z.string().min(1),
});
export type SentimentPollPayload = z.infer<typeof sentimentPollPayload>;

export const sentimentFinalPayload = z.object({
  tenantId: z.string().min(1),
  initialContactId: z.string().min(1),
});
export type SentimentFinalPayload = z.infer<typeof sentimentFinalPayload>;

export const sentimentPollJobId = (p: SentimentPollPayload): string => `poll|${p.tenantId}|${p.contactId}`;
export const sentimentFinalJobId = (p: SentimentFinalPayload): string =>
  `final|${p.tenantId}|${p.initialContactId}`;

/**
 * billing-ticket: a wake-up call to drain one tenant's ticket event inbox (the events and which of them
 * are pending are in Postgres; the worker claims tickets from there). Jobs of the earlier one-job-per-event
 * shape ({ tenantId, ticketId, eventKey }) parse too, as a wake-up for their tenant.
 */
export const billingDrainPayload = z.object({ tenantId: z.string().min(1) });
export type BillingDrainPayload = z.infer<typeof billingDrainPayload>;
/** billing-cycle: sweep, check due resolutions, export usage; every tenant (scheduled) or one. */
export const billingCyclePayload = z.object({ tenantId: z.string().min(1).optional() });

/** knowledge-gaps: one tenant's analysis run; without runId (the weekly schedule) a run is started or joined. */
export const knowledgeGapsPayload = z.object({
  tenantId: z.string().min(1),
  runId: z.string().uuid().optional(),
});
export type KnowledgeGapsPayload = z.infer<typeof knowledgeGapsPayload>;
export const knowledgeRunJobId = (tenantId: string, runId: string): string =>
  `knowledge|${tenantId}|${runId}`;
export const knowledgeSchedulerId = (tenantId: string): string => `knowledge|${tenantId}`;
/** tenant-lifecycle: purge the tenants whose grace period is over (scheduled; no payload). */
export const tenantLifecyclePayload = z.object({}).strict();

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ job ids may not contain ':'; subdomains and Connect ids never contain '|'. */
export const contactSyncJobId = (p: ContactSyncPayload): string => `${p.tenantId}|${p.eventId}`;

export class Queues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  get(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      q.on('error', () => undefined); // surfaced through the caller's rejected promise instead
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Deterministic job ids make a second enqueue of the same event harmless. Live events (a call in
   * progress) get priority over post-call work when workers are busy.
   */
  async enqueueContactSync(
    payloads: ContactSyncPayload[],
    live: (p: ContactSyncPayload) => boolean,
  ): Promise<void> {
    if (payloads.length === 0) return;
    await this.get(QUEUES.contactSync).addBulk(
      payloads.map((p) => ({
        name: 'sync',
        data: contactSyncPayload.parse(p),
        opts: { jobId: contactSyncJobId(p), priority: live(p) ? 1 : 5 },
      })),
    );
  }

  /** Starts polling a leg; a second enqueue while it polls is a no-op (deterministic job id). */
  async enqueueSentimentPoll(payload: SentimentPollPayload): Promise<void> {
    await this.get(QUEUES.sentimentPoll).add('poll', sentimentPollPayload.parse(payload), {
      jobId: sentimentPollJobId(payload),
      priority: 1,
    });
  }

  /** Schedules a conversation's final sentiment; an earlier, still waiting one is brought forward. */
  async enqueueSentimentFinal(payload: SentimentFinalPayload, delayMs: number): Promise<void> {
    const queue = this.get(QUEUES.sentimentPoll);
    const jobId = sentimentFinalJobId(payload);
    const existing = await queue.getJob(jobId);
    const state = existing ? await existing.getState() : undefined;
    if (existing && state === 'delayed') {
      if (delayMs <= 0) await existing.promote().catch(() => undefined);
      return;
    }
    // A finished job keeps its id for a while; new evidence (a post-call output) deserves a new run.
    if (existing && (state === 'completed' || state === 'failed')) await existing.remove();
    else if (existing) return; // waiting or running: it will read the latest state
    await queue.add('final', sentimentFinalPayload.parse(payload), {
      jobId,
      delay: Math.max(0, delayMs),
      priority: 5,
    });
  }

  /**
   * Wakes the billing worker for these tenants (now, or after `delayMs`). Every call is a new job: one
   * that finds nothing left to claim ends at once, so a wake-up is never lost to one still running.
   */
  async wakeBillingDrains(tenantIds: string[], delayMs = 0): Promise<void> {
    if (tenantIds.length === 0) return;
    await this.get(QUEUES.billingTicket).addBulk(
      tenantIds.map((tenantId) => ({
        name: 'drain',
        data: billingDrainPayload.parse({ tenantId }),
        opts: {
          ...(delayMs > 0 ? { delay: delayMs } : {}),
          removeOnComplete: { age: 3600, count: 1000 },
        },
      })),
    );
  }

  /** An analysis run on demand (or revived after Redis lost it): one job per run. */
  async enqueueKnowledgeRun(tenantId: string, runId: string): Promise<void> {
    await this.get(QUEUES.knowledgeGaps).add('run', knowledgeGapsPayload.parse({ tenantId, runId }), {
      jobId: knowledgeRunJobId(tenantId, runId),
      attempts: 5,
      backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
    });
  }

  /** The tenant's recurring analysis (weekly by default); declaring it again with a new period replaces it. */
  async upsertKnowledgeSchedule(tenantId: string, everyMs: number): Promise<void> {
    await this.get(QUEUES.knowledgeGaps).upsertJobScheduler(
      knowledgeSchedulerId(tenantId),
      { every: everyMs },
      { name: 'scheduled', data: knowledgeGapsPayload.parse({ tenantId }), opts: { attempts: 5 } },
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
