import crypto from 'node:crypto';
import type { Db } from '../store/db';
import type { RequestPriority, ZendeskApi } from '../zendesk/types';

/**
 * Resolves Zendesk users for callers (by phone) and agents (by Connect user), cached per tenant in
 * Postgres so a returning caller costs no Zendesk request. Phone numbers are stored only as a keyed hash.
 */
export class UserDirectory {
  private readonly memory = new Map<string, number | null>();
  /** Look-ups in flight in this process: two first calls from one number share one search (and create). */
  private readonly inFlight = new Map<string, Promise<number>>();

  constructor(
    private readonly db: Db,
    private readonly hashKey: Buffer,
  ) {}

  private key(tenantId: string, kind: string, value: string): string {
    return crypto.createHmac('sha256', this.hashKey).update(`${tenantId}\0${kind}\0${value}`).digest('hex');
  }

  private async cached(
    tenantId: string,
    kind: 'caller' | 'agent',
    lookupKey: string,
  ): Promise<number | null | undefined> {
    const memoKey = `${tenantId}|${kind}|${lookupKey}`;
    if (this.memory.has(memoKey)) return this.memory.get(memoKey);
    const rows = await this.db.query<{ zendesk_user_id: string | null }>(
      // A "not in Zendesk" answer is re-checked after an hour (the agent may have been added since).
      `SELECT zendesk_user_id FROM zendesk_users WHERE tenant_id = $1 AND kind = $2 AND lookup_key = $3
          AND (zendesk_user_id IS NOT NULL OR resolved_at > now() - interval '1 hour')`,
      [tenantId, kind, lookupKey],
      { prepared: true },
    );
    if (!rows[0]) return undefined;
    const id = rows[0].zendesk_user_id === null ? null : Number(rows[0].zendesk_user_id);
    this.remember(memoKey, id);
    return id;
  }

  private remember(memoKey: string, id: number | null) {
    if (this.memory.size > 50_000) this.memory.clear(); // bounded; Postgres keeps the full cache
    this.memory.set(memoKey, id);
  }

  private async store(tenantId: string, kind: 'caller' | 'agent', lookupKey: string, id: number | null) {
    await this.db.query(
      `INSERT INTO zendesk_users (tenant_id, kind, lookup_key, zendesk_user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, kind, lookup_key) DO UPDATE SET zendesk_user_id = EXCLUDED.zendesk_user_id, resolved_at = now()`,
      [tenantId, kind, lookupKey, id],
      { prepared: true },
    );
    this.remember(`${tenantId}|${kind}|${lookupKey}`, id);
  }

  /** The caller's Zendesk user: cached, else found by phone, else created as an end user. */
  async caller(
    zd: ZendeskApi,
    tenantId: string,
    phoneE164: string,
    priority: RequestPriority,
  ): Promise<number> {
    const lookupKey = this.key(tenantId, 'caller', phoneE164);
    const flightKey = `${tenantId}|${lookupKey}`;
    const shared = this.inFlight.get(flightKey);
    if (shared) return shared;
    const lookup = (async () => {
      const known = await this.cached(tenantId, 'caller', lookupKey);
      if (typeof known === 'number') return known;
      const found = await zd.findUserByPhone(phoneE164, { priority });
      const id =
        found ??
        (await zd.createEndUser({ name: `Caller ${maskPhone(phoneE164)}`, phone: phoneE164 }, { priority }));
      await this.store(tenantId, 'caller', lookupKey, id);
      return id;
    })();
    this.inFlight.set(flightKey, lookup);
    try {
      return await lookup;
    } finally {
      this.inFlight.delete(flightKey);
    }
  }

  /** The agent's Zendesk user by email (Connect username when it is an email); null when not in Zendesk. */
  async agent(
    zd: ZendeskApi,
    tenantId: string,
    connectUserId: string,
    email: string | undefined,
    priority: RequestPriority,
  ): Promise<number | null> {
    const known = await this.cached(tenantId, 'agent', connectUserId);
    if (known !== undefined) return known;
    const id = email ? await zd.findUserByEmail(email, { priority }) : null;
    await this.store(tenantId, 'agent', connectUserId, id);
    return id;
  }
}

/** "+14155550123" → "+1 ••• ••• 0123": enough for an agent to recognise, not enough to leak. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d]/g, '');
  if (digits.length < 4) return '•••';
  return `+${digits.slice(0, Math.max(1, digits.length - 10))} ••• ••• ${digits.slice(-4)}`;
}
