import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { billingCyclePayload, type Queues } from '../server/queues/contracts';
import type { Billing } from '../server/billing/service';
import { checkDueResolutions } from '../server/billing/finalize';
import { runExport, type ExportSummary } from '../server/billing/export';
import type { Tenant, TenantRepo } from '../server/tenants/repo';
import type { ZendeskApi } from '../server/zendesk/types';

export interface BillingCycleDeps {
  billing: Billing;
  tenants: TenantRepo;
  queues: Queues;
  zendeskFor: (tenant: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
  now?: () => Date;
}

export const BILLING_CYCLE_EVERY_MS = 5 * 60_000;
const SWEEP_AFTER_MS = 60_000;

/**
 * Wakes the drain of every tenant with pending ticket events nobody holds for a while (Redis lost the
 * wake-up, a worker died holding them, a backoff has passed); returns how many events that covers.
 */
export async function sweepTicketEvents(
  billing: Billing,
  queues: Queues,
  olderThanMs = SWEEP_AFTER_MS,
): Promise<number> {
  const stale = await billing.inbox.stale(olderThanMs);
  if (stale.length === 0) return 0;
  await queues.wakeBillingDrains(stale.map((s) => s.tenantId));
  return stale.reduce((n, s) => n + s.events, 0);
}

/**
 * billing-cycle (every 5 minutes): checks automated resolutions whose window has passed (deleted or merged
 * tickets are voided), then plans and sends AWS Marketplace usage. The hour bucket is fixed when planned,
 * so running more often than hourly only retries what is pending.
 */
export function billingCycleProcessor(deps: BillingCycleDeps) {
  return async (job: Job): Promise<{ checked: number; voided: number; export: ExportSummary }> => {
    const { tenantId } = billingCyclePayload.parse(job.data ?? {});
    const now = deps.now?.() ?? new Date();
    const tenants = tenantId
      ? [await deps.tenants.get(tenantId)].filter((t) => t !== null)
      : await deps.tenants.list();
    let checked = 0;
    let voided = 0;
    const finalizeDeps = {
      db: deps.billing.db,
      ledger: deps.billing.ledger,
      tenant: async (id: string) => tenants.find((t) => t.id === id) ?? deps.tenants.get(id),
      zendesk: deps.zendeskFor,
      logger: deps.logger,
    };
    for (const t of tenants) {
      try {
        const r = await checkDueResolutions(finalizeDeps, t.id, now);
        checked += r.checked;
        voided += r.voided;
      } catch (err) {
        deps.logger.warn(
          { tenantId: t.id, err: (err as Error).message },
          'resolution checks failed for tenant',
        );
      }
    }
    const summary = await runExport(
      {
        db: finalizeDeps.db,
        settings: deps.billing.settings,
        metering: deps.billing.metering(),
        logger: deps.logger.child({ module: 'billing-export' }),
        now: () => now,
        onStatus: (status, n) => deps.billing.metrics.metering.inc({ status }, n),
      },
      tenantId ? { tenantId } : {},
    );
    return { checked, voided, export: summary };
  };
}

/**
 * Sweeps the ticket event inbox on a timer (it survives Redis losing its data, like the contact sweeper).
 * The cycle itself is a job scheduler declared in server/runtime/workers.ts. Returns a stop function.
 */
export function startBillingSweep(
  deps: Pick<BillingCycleDeps, 'billing' | 'queues' | 'logger'>,
  intervalMs: number,
  olderThanMs = SWEEP_AFTER_MS,
): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    sweepTicketEvents(deps.billing, deps.queues, olderThanMs)
      .then((n) => {
        if (n > 0) deps.logger.info({ count: n }, 'sweeper woke the drain of unfinished ticket events');
      })
      .catch((err: Error) => deps.logger.warn({ err: err.message }, 'billing sweep failed; will try again'))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
