import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { tenantLifecyclePayload } from '../server/queues/contracts';
import type { TenantLifecycle } from '../server/tenants/lifecycle';

/** Hourly: a tenant is purged within an hour of its grace period ending. */
export const TENANT_PURGE_EVERY_MS = 3_600_000;

/** tenant-lifecycle: deletes the data of suspended tenants whose grace period is over. */
export function tenantLifecycleProcessor(deps: { lifecycle: TenantLifecycle; logger: Logger }) {
  const log = deps.logger.child({ queue: 'tenant-lifecycle' });
  return async (job: Job): Promise<{ purged: string[]; failed: string[] }> => {
    tenantLifecyclePayload.parse(job.data ?? {});
    const purged: string[] = [];
    const failed: string[] = [];
    for (const id of await deps.lifecycle.dueForPurge()) {
      try {
        const r = await deps.lifecycle.purge(id);
        purged.push(id);
        log.warn({ tenantId: id, deleted: r.deleted }, 'tenant purged after its grace period');
      } catch (err) {
        failed.push(id);
        log.error({ tenantId: id, err: (err as Error).message }, 'tenant purge failed; next run tries again');
      }
    }
    return { purged, failed };
  };
}
