import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { helpCenterSyncPayload } from '../server/queues/contracts';
import type { HelpCenterRepo } from '../server/helpcenter/repo';
import { syncHelpCenter } from '../server/helpcenter/sync';
import type { Tenant, TenantRepo } from '../server/tenants/repo';
import type { ZendeskApi } from '../server/zendesk/types';

/** help-center-sync: keeps each tenant's stored Help Center articles (and so the suggestions index) fresh. */
export function helpCenterSyncProcessor(deps: {
  tenants: TenantRepo;
  helpCenter: HelpCenterRepo;
  zendeskFor: (t: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
}) {
  return async (job: Job): Promise<{ tenants: number; changed: number; removed: number }> => {
    const { tenantId } = helpCenterSyncPayload.parse(job.data ?? {});
    const tenants = tenantId
      ? [await deps.tenants.get(tenantId)].filter((t) => t !== null)
      : await deps.tenants.list();
    let changed = 0;
    let removed = 0;
    for (const tenant of tenants) {
      try {
        const r = await syncHelpCenter(
          deps.helpCenter,
          await deps.zendeskFor(tenant),
          tenant.id,
          deps.logger,
        );
        changed += r.changed;
        removed += r.removed;
      } catch (err) {
        // One tenant's Help Center being unreachable must not hold up the others; the next run resumes.
        deps.logger.warn(
          { tenantId: tenant.id, err: (err as Error).message },
          'help center sync failed for tenant',
        );
        if (tenantId) throw err;
      }
    }
    return { tenants: tenants.length, changed, removed };
  };
}
