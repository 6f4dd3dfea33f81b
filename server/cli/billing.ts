import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { openDb, type Db } from '../store/db';
import { migrate } from '../store/migrate';
import { SecretBox, loadEncryptionKey } from '../store/crypto';
import { TenantRepo, type Tenant } from '../tenants/repo';
import { ContactRepo } from '../contacts/repo';
import type { createZendeskClient as CreateZendeskClient } from '../zendesk/client';
import { createBilling, type Billing } from '../billing/service';
import { setupWebhooks } from '../billing/setup';
import { checkDueResolutions } from '../billing/finalize';
import { runExport } from '../billing/export';
import { reportCsv } from '../billing/reports';
import { BadRequestError, NotFoundError } from '../errors';

/** `concierge tenant setup-webhooks` and `concierge billing …`: one-off operator commands. */

interface Deps {
  cfg: Config;
  db: Db;
  tenants: TenantRepo;
  billing: Billing;
  tenant(id: string): Promise<Tenant>;
}

// Loaded on demand, like the runtime in main.ts: other commands need no Zendesk client.
const createZendeskClient: typeof CreateZendeskClient = (opts) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load that tsx resolves
  (require('../zendesk/client') as typeof import('../zendesk/client')).createZendeskClient(opts);

async function withBilling<T>(fn: (d: Deps) => Promise<T>): Promise<T> {
  const cfg = loadConfig(process.env);
  const db = await openDb({ databaseUrl: cfg.DATABASE_URL, dataDir: cfg.dataDir });
  const logger = createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
  try {
    await migrate(db);
    const box = new SecretBox(loadEncryptionKey(cfg.CONCIERGE_ENCRYPTION_KEY, cfg.dataDir));
    const tenants = new TenantRepo(db, box);
    const contacts = new ContactRepo(db);
    const zendesk = async (t: Tenant) =>
      createZendeskClient({
        tenantId: t.id,
        baseUrl: t.zendeskUrl,
        credentials: await tenants.credentials(t.id),
        logger,
      });
    const billing = createBilling({
      db,
      box,
      logger,
      tenant: (id) => tenants.get(id),
      zendesk,
      contactOf: async (tenantId, ticketId) => {
        const c = await contacts.byTicket(tenantId, ticketId);
        return c ? { initialContactId: c.initialContactId, outcome: c.outcome } : null;
      },
    });
    try {
      return await fn({
        cfg,
        db,
        tenants,
        billing,
        async tenant(id) {
          const t = await tenants.get(id);
          if (!t) throw new NotFoundError(`unknown tenant ${id}`, 'unknown_tenant');
          return t;
        },
      });
    } finally {
      billing.close();
    }
  } finally {
    await db.close();
  }
}

const out = (v: unknown) =>
  process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number');
  return n;
};
const idList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(positiveInt);

export function registerBillingCommands(program: Command, tenant: Command): void {
  tenant
    .command('setup-webhooks')
    .description(
      'create (or find) the Zendesk webhook and triggers that send ticket solved / reopened / end-user comment events; idempotent',
    )
    .requiredOption('--tenant <subdomain>', 'tenant')
    .option(
      '--webhook-secret <secret>',
      "the tenant's webhookSecret from `tenant create` (else a new one is generated)",
    )
    .action(async (o: { tenant: string; webhookSecret?: string }) => {
      const result = await withBilling(async (d) => {
        const t = await d.tenant(o.tenant);
        const local = /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(d.cfg.publicUrl);
        if (local && !d.cfg.CONCIERGE_ALLOW_LOCAL_ZENDESK)
          throw new BadRequestError(
            `CONCIERGE_PUBLIC_URL must be the https URL Zendesk can reach (it is ${d.cfg.publicUrl})`,
          );
        const logger = createLogger('warn');
        const zendesk = createZendeskClient({
          tenantId: t.id,
          baseUrl: t.zendeskUrl,
          credentials: await d.tenants.credentials(t.id),
          logger,
        });
        return setupWebhooks(
          { auth: d.billing.auth, settings: d.billing.settings, zendesk, publicUrl: d.cfg.publicUrl, logger },
          t.id,
          o.webhookSecret ? { webhookSecret: o.webhookSecret } : {},
        );
      });
      out(result);
    });

  const billing = program
    .command('billing')
    .description('resolution billing: settings, usage report, export');
  billing
    .command('configure')
    .description('set the reopen window and how the tenant is billed; prints the settings')
    .requiredOption('--tenant <subdomain>', 'tenant')
    .option(
      '--window-hours <n>',
      'hours an automated resolution must stand before it is billable (default 72)',
      positiveInt,
    )
    .option(
      '--aws-customer-account-id <id>',
      'AWS Marketplace buyer account id (12 digits, from ResolveCustomer)',
    )
    .option('--aws-product-code <code>', 'AWS Marketplace product code')
    .option('--no-aws', 'bill outside AWS Marketplace (usage report only)')
    .option(
      '--bot-user-ids <ids>',
      'comma-separated Zendesk user ids whose public replies are automation',
      idList,
    )
    .action(
      async (o: {
        tenant: string;
        windowHours?: number;
        awsCustomerAccountId?: string;
        awsProductCode?: string;
        aws: boolean;
        botUserIds?: number[];
      }) => {
        const settings = await withBilling(async (d) => {
          await d.tenant(o.tenant);
          return d.billing.settings.update(o.tenant, {
            ...(o.windowHours !== undefined ? { windowHours: o.windowHours } : {}),
            ...(o.aws === false
              ? { awsCustomerAccountId: null, awsProductCode: null }
              : {
                  ...(o.awsCustomerAccountId !== undefined
                    ? { awsCustomerAccountId: o.awsCustomerAccountId }
                    : {}),
                  ...(o.awsProductCode !== undefined ? { awsProductCode: o.awsProductCode } : {}),
                }),
            ...(o.botUserIds !== undefined ? { botUserIds: o.botUserIds } : {}),
          });
        });
        out(settings);
      },
    );
  billing
    .command('report')
    .description('monthly usage: resolutions by kind, billable, credits, net, per day')
    .requiredOption('--tenant <subdomain>', 'tenant')
    .option('--month <YYYY-MM>', 'month (default: the current one)')
    .option('--format <json|csv>', 'output format', 'json')
    .action(async (o: { tenant: string; month?: string; format: string }) => {
      if (o.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month))
        throw new InvalidArgumentError('--month: YYYY-MM');
      if (o.format !== 'json' && o.format !== 'csv') throw new InvalidArgumentError('--format: json or csv');
      const now = new Date();
      const report = await withBilling(async (d) => {
        await d.tenant(o.tenant);
        return d.billing.reports.monthly(o.tenant, o.month ?? now.toISOString().slice(0, 7), now);
      });
      out(o.format === 'csv' ? reportCsv(report).trimEnd() : report);
    });
  billing
    .command('export')
    .description(
      'check due resolutions and send pending usage to AWS Marketplace now (the worker does it every 5 minutes)',
    )
    .option('--tenant <subdomain>', 'only this tenant')
    .action(async (o: { tenant?: string }) => {
      const result = await withBilling(async (d) => {
        const now = new Date();
        const list = o.tenant ? [await d.tenant(o.tenant)] : await d.tenants.list();
        const logger = createLogger('warn');
        let checked = 0;
        for (const t of list) {
          const r = await checkDueResolutions(
            {
              db: d.db,
              ledger: d.billing.ledger,
              tenant: (id) => d.tenants.get(id),
              zendesk: async (x) =>
                createZendeskClient({
                  tenantId: x.id,
                  baseUrl: x.zendeskUrl,
                  credentials: await d.tenants.credentials(x.id),
                  logger,
                }),
              logger,
            },
            t.id,
            now,
          );
          checked += r.checked;
        }
        const summary = await runExport(
          { db: d.db, settings: d.billing.settings, metering: d.billing.metering(), logger, now: () => now },
          o.tenant ? { tenantId: o.tenant } : {},
        );
        return { checked, ...summary };
      });
      out(result);
    });
}
