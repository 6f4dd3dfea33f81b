import { z } from 'zod';
import type { Db } from '../store/db';
import { newSecret, sha256, type SecretBox } from '../store/crypto';
import type { ZendeskCredentials } from '../zendesk/types';
import { ConflictError } from '../errors';

export interface Tenant {
  id: string;
  zendeskUrl: string;
  connectInstanceArn: string | null;
  connectUrl: string | null;
  zendeskRpm: number;
}

export interface CreatedTenant {
  tenant: string;
  ingestKey: string;
  webhookSecret: string;
  appSecret: string;
}

export const subdomainSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a Zendesk subdomain: lower-case letters, digits and dashes');

export const connectArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[0-9a-f-]{36}$/,
    'an Amazon Connect instance ARN',
  );

export const createTenantInput = z.object({
  subdomain: subdomainSchema,
  zendeskUrl: z.string().url().optional(),
  credentials: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('api_token'), email: z.string().email(), token: z.string().min(1) }),
    z.object({ kind: z.literal('oauth'), token: z.string().min(1) }),
  ]),
  connectInstanceArn: connectArnSchema.optional(),
  connectUrl: z
    .string()
    .regex(
      /^https:\/\/[a-z0-9-]+\.(my\.connect\.aws|awsapps\.com\/connect)$/,
      'https://<alias>.my.connect.aws',
    )
    .optional(),
  zendeskRpm: z.number().int().positive().optional(),
});
export type CreateTenantInput = z.infer<typeof createTenantInput>;

/** Refuses any Zendesk URL but https://<subdomain>.zendesk.com unless local URLs are allowed (demo, tests). */
export function resolveZendeskUrl(subdomain: string, url: string | undefined, allowLocal: boolean): string {
  const official = `https://${subdomain}.zendesk.com`;
  if (!url) return official;
  const normalised = url.replace(/\/+$/, '');
  if (normalised === official) return official;
  if (!allowLocal) {
    throw new ConflictError(
      `--zendesk-url must be ${official}; other URLs are refused unless CONCIERGE_ALLOW_LOCAL_ZENDESK=1`,
      'zendesk_url_refused',
    );
  }
  return normalised;
}

interface TenantRow {
  id: string;
  zendesk_url: string;
  connect_instance_arn: string | null;
  connect_url: string | null;
  zendesk_rpm: number;
}
const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  zendeskUrl: r.zendesk_url,
  connectInstanceArn: r.connect_instance_arn,
  connectUrl: r.connect_url,
  zendeskRpm: r.zendesk_rpm,
});

/**
 * Reads see active tenants only: a suspended tenant (uninstalled, token revoked; migration 007) is
 * unknown to ingest, app calls, workers and schedulers alike, which is what stops all its work.
 */
export class TenantRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async create(input: CreateTenantInput, allowLocalZendesk: boolean): Promise<CreatedTenant> {
    const zendeskUrl = resolveZendeskUrl(input.subdomain, input.zendeskUrl, allowLocalZendesk);
    const ingestKey = newSecret('cik');
    const webhookSecret = newSecret('cwh');
    const appSecret = newSecret('cas');
    const rows = await this.db.query(
      `INSERT INTO tenants (id, zendesk_url, zendesk_credentials, connect_instance_arn, connect_url,
                            ingest_key_hash, webhook_secret_hash, app_secret, zendesk_rpm)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        input.subdomain,
        zendeskUrl,
        this.box.encrypt(JSON.stringify(input.credentials), input.subdomain),
        input.connectInstanceArn ?? null,
        input.connectUrl ?? null,
        sha256(ingestKey),
        sha256(webhookSecret),
        this.box.encrypt(appSecret, input.subdomain),
        input.zendeskRpm ?? 400,
      ],
    );
    if (rows.length === 0)
      throw new ConflictError(`tenant ${input.subdomain} already exists`, 'tenant_exists');
    return { tenant: input.subdomain, ingestKey, webhookSecret, appSecret };
  }

  async byIngestKey(key: string): Promise<Tenant | null> {
    const rows = await this.db.query<TenantRow>(
      `SELECT id, zendesk_url, connect_instance_arn, connect_url, zendesk_rpm FROM tenants WHERE ingest_key_hash = $1 AND status = 'active'`,
      [sha256(key)],
    );
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async get(id: string): Promise<Tenant | null> {
    const rows = await this.db.query<TenantRow>(
      `SELECT id, zendesk_url, connect_instance_arn, connect_url, zendesk_rpm FROM tenants WHERE id = $1 AND status = 'active'`,
      [id],
    );
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.query<TenantRow>(
      `SELECT id, zendesk_url, connect_instance_arn, connect_url, zendesk_rpm FROM tenants WHERE status = 'active' ORDER BY id`,
    );
    return rows.map(toTenant);
  }

  async credentials(id: string): Promise<ZendeskCredentials> {
    const rows = await this.db.query<{ zendesk_credentials: string }>(
      `SELECT zendesk_credentials FROM tenants WHERE id = $1`,
      [id],
    );
    if (!rows[0]) throw new Error(`unknown tenant ${id}`);
    return JSON.parse(this.box.decrypt(rows[0].zendesk_credentials, id)) as ZendeskCredentials;
  }

  async appSecret(id: string): Promise<string | null> {
    const rows = await this.db.query<{ app_secret: string }>(
      `SELECT app_secret FROM tenants WHERE id = $1 AND status = 'active'`,
      [id],
    );
    return rows[0] ? this.box.decrypt(rows[0].app_secret, id) : null;
  }
}
