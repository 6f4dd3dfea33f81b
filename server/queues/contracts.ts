import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Queue names: the one place they are spelled. */
export const QUEUES = {
  contactSync: 'contact-sync',
  reconcile: 'contact-reconcile',
  helpCenterSync: 'help-center-sync',
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

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
