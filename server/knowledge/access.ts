import type { ZendeskApi } from '../zendesk/types';
import type { KnowledgeRepo } from './repo';

/**
 * Who may approve or reject drafts: Zendesk admins, and agents in the tenant's configured approver
 * group. Decided by the service from Zendesk's own records of the user (role and group memberships,
 * read with the tenant's API credentials and cached for a minute), never from what the app says.
 */
export class KnowledgeAccess {
  private readonly cache = new Map<string, { value: Access; until: number }>();

  constructor(
    private readonly repo: KnowledgeRepo,
    private readonly zendesk: (tenantId: string) => Promise<ZendeskApi>,
    private readonly ttlMs = 60_000,
  ) {}

  async check(tenantId: string, userId: number | undefined): Promise<Access> {
    if (userId === undefined) return { canApprove: false, isAdmin: false, reason: 'no_user' };
    const key = `${tenantId}|${userId}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const [settings, access] = await Promise.all([
      this.repo.settings(tenantId),
      // A person is waiting on this answer: it draws on the live reserve, not the deferrable budget.
      (await this.zendesk(tenantId)).getUserAccess(userId, { priority: 'live' }),
    ]);
    let value: Access;
    if (!access) value = { canApprove: false, isAdmin: false, reason: 'unknown_user' };
    else if (access.role === 'admin') value = { canApprove: true, isAdmin: true };
    else if (
      access.role === 'agent' &&
      settings.approverGroupId !== null &&
      access.groupIds.includes(settings.approverGroupId)
    )
      value = { canApprove: true, isAdmin: false };
    else value = { canApprove: false, isAdmin: false, reason: 'not_approver' };
    this.cache.set(key, { value, until: Date.now() + this.ttlMs });
    return value;
  }

  /** Settings changed (approver group): decisions made under the old ones are dropped. */
  forget(tenantId: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${tenantId}|`)) this.cache.delete(k);
  }
}

export interface Access {
  canApprove: boolean;
  isAdmin: boolean;
  reason?: 'no_user' | 'unknown_user' | 'not_approver';
}
