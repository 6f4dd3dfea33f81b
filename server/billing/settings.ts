import type { Db } from '../store/db';
import { BadRequestError } from '../errors';
import {
  billingSettingsSchema,
  DEFAULT_WINDOW_HOURS,
  suggestionUseSchema,
  type BillingSettings,
  type BillingSettingsInput,
  type SuggestionUse,
} from './types';

interface SettingsRow {
  tenant_id: string;
  window_hours: number;
  aws_customer_account_id: string | null;
  aws_product_code: string | null;
  bot_user_ids: Array<string | number>;
}

const toSettings = (r: SettingsRow): BillingSettings => ({
  tenantId: r.tenant_id,
  windowHours: r.window_hours,
  awsCustomerAccountId: r.aws_customer_account_id,
  awsProductCode: r.aws_product_code,
  botUserIds: (r.bot_user_ids ?? []).map(Number),
});

/** Per-tenant billing settings; a tenant without a row gets the defaults (72 h, no AWS Marketplace). */
export class BillingSettingsRepo {
  private cache = new Map<string, { value: BillingSettings; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly cacheMs = 30_000,
  ) {}

  async get(tenantId: string): Promise<BillingSettings> {
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.value;
    const rows = await this.db.query<SettingsRow>(`SELECT * FROM billing_settings WHERE tenant_id = $1`, [
      tenantId,
    ]);
    const value = rows[0]
      ? toSettings(rows[0])
      : {
          tenantId,
          windowHours: DEFAULT_WINDOW_HOURS,
          awsCustomerAccountId: null,
          awsProductCode: null,
          botUserIds: [],
        };
    this.cache.set(tenantId, { value, until: Date.now() + this.cacheMs });
    return value;
  }

  async update(tenantId: string, input: BillingSettingsInput): Promise<BillingSettings> {
    const parsed = billingSettingsSchema.safeParse(input);
    if (!parsed.success) throw new BadRequestError('Invalid billing settings', parsed.error.issues);
    const s = parsed.data;
    const both = s.awsCustomerAccountId !== undefined || s.awsProductCode !== undefined;
    const current = await this.get(tenantId);
    const account =
      s.awsCustomerAccountId !== undefined ? s.awsCustomerAccountId : current.awsCustomerAccountId;
    const product = s.awsProductCode !== undefined ? s.awsProductCode : current.awsProductCode;
    if (both && (account === null) !== (product === null))
      throw new BadRequestError('An AWS customer account id and a product code go together');
    const rows = await this.db.query<SettingsRow>(
      `INSERT INTO billing_settings (tenant_id, window_hours, aws_customer_account_id, aws_product_code, bot_user_ids)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id) DO UPDATE SET window_hours = EXCLUDED.window_hours,
         aws_customer_account_id = EXCLUDED.aws_customer_account_id, aws_product_code = EXCLUDED.aws_product_code,
         bot_user_ids = EXCLUDED.bot_user_ids, updated_at = now()
       RETURNING *`,
      [tenantId, s.windowHours ?? current.windowHours, account, product, s.botUserIds ?? current.botUserIds],
    );
    this.cache.delete(tenantId);
    return toSettings(rows[0]!);
  }

  /** Adds a bot user (the Concierge API user, found by setup-webhooks) without touching the rest. */
  async addBotUser(tenantId: string, userId: number): Promise<void> {
    await this.db.query(
      `INSERT INTO billing_settings (tenant_id, bot_user_ids) VALUES ($1, ARRAY[$2::bigint])
       ON CONFLICT (tenant_id) DO UPDATE SET
         bot_user_ids = (SELECT array_agg(DISTINCT x) FROM unnest(billing_settings.bot_user_ids || $2::bigint) x),
         updated_at = now()`,
      [tenantId, userId],
    );
    this.cache.delete(tenantId);
  }

  async awsTenants(): Promise<BillingSettings[]> {
    const rows = await this.db.query<SettingsRow>(
      `SELECT * FROM billing_settings WHERE aws_customer_account_id IS NOT NULL AND aws_product_code IS NOT NULL
        ORDER BY tenant_id`,
    );
    return rows.map(toSettings);
  }
}

export interface StoredSuggestionUse {
  suggestionId: string;
  action: string;
  userId: string;
  at: number;
}

/** Suggestions an agent inserted or copied: evidence for AI-assisted resolutions. */
export class SuggestionUses {
  constructor(private readonly db: Db) {}

  /** Idempotent: the first use of a suggestion by an agent on a ticket is kept. */
  async record(tenantId: string, ticketId: number, use: SuggestionUse): Promise<void> {
    const parsed = suggestionUseSchema.safeParse(use);
    if (!parsed.success) throw new BadRequestError('Invalid suggestion use', parsed.error.issues);
    if (!Number.isSafeInteger(ticketId) || ticketId <= 0) throw new BadRequestError('Invalid ticket id');
    const u = parsed.data;
    await this.db.query(
      `INSERT INTO suggestion_uses (tenant_id, ticket_id, suggestion_id, action, user_id, used_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [tenantId, ticketId, u.suggestionId, u.action, u.userId, u.at.toISOString()],
    );
  }

  async forTicket(tenantId: string, ticketId: number): Promise<StoredSuggestionUse[]> {
    const rows = await this.db.query<{
      suggestion_id: string;
      action: string;
      user_id: string;
      used_at: Date | string;
    }>(
      `SELECT suggestion_id, action, user_id, used_at FROM suggestion_uses
        WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY used_at`,
      [tenantId, ticketId],
    );
    return rows.map((r) => ({
      suggestionId: r.suggestion_id,
      action: r.action,
      userId: r.user_id,
      at: new Date(r.used_at).getTime(),
    }));
  }
}
