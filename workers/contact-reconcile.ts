import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { reconcilePayload } from '../server/queues/contracts';
import type { Queues } from '../server/queues/contracts';
import { reconcileTenant } from '../server/contacts/reconcile';
import type { Inbox } from '../server/contacts/inbox';
import type { ConnectApi } from '../server/connect/types';
import type { TenantRepo } from '../server/tenants/repo';

/** contact-reconcile: SearchContacts over the recent window for each tenant (or the one named). */
export function reconcileProcessor(deps: {
  tenants: TenantRepo;
  connect: ConnectApi;
  inbox: Inbox;
  queues: Queues;
  logger: Logger;
  windowMs: number;
}) {
  return async (job: Job): Promise<{ found: number }> => {
    const { tenantId } = reconcilePayload.parse(job.data ?? {});
    const tenants = tenantId
      ? [await deps.tenants.get(tenantId)].filter((t) => t !== null)
      : await deps.tenants.list();
    let found = 0;
    for (const tenant of tenants) {
      try {
        found += await reconcileTenant(tenant, deps, deps.windowMs);
      } catch (err) {
        // One tenant's broken Connect permissions must not stop the others.
        deps.logger.warn(
          { tenantId: tenant.id, err: (err as Error).message },
          'reconciliation failed for tenant',
        );
      }
    }
    return { found };
  };
}
