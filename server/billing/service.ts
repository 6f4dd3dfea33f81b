import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Db } from '../store/db';
import type { SecretBox } from '../store/crypto';
import type { Tenant } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import { TicketInbox } from './inbox';
import { LedgerRepo } from './ledger';
import { createMeteringApi, type MeteringApi } from './marketplace';
import type { ProcessDeps } from './process';
import { BillingReports } from './reports';
import { BillingSettingsRepo, SuggestionUses } from './settings';
import type { SuggestionUse } from './types';
import { WebhookAuthRepo } from './webhook-auth';

export interface BillingDeps {
  db: Db;
  box: SecretBox;
  logger: Logger;
  tenant: (id: string) => Promise<Tenant | null>;
  zendesk: (tenant: Tenant) => Promise<ZendeskApi>;
  contactOf: ProcessDeps['contactOf'];
  registry?: Registry;
  /** Tests and benches pass their own (nock, a double); production builds the SDK client on first use. */
  metering?: MeteringApi;
}

export interface BillingMetrics {
  webhooks: Counter<'outcome'>;
  metering: Counter<'status'>;
}

/** Resolution billing, wired once per process (see server/runtime/context.ts). */
export interface Billing {
  db: Db;
  inbox: TicketInbox;
  ledger: LedgerRepo;
  settings: BillingSettingsRepo;
  suggestions: SuggestionUses;
  auth: WebhookAuthRepo;
  reports: BillingReports;
  metrics: BillingMetrics;
  metering(): MeteringApi;
  processDeps(): ProcessDeps;
  /**
   * Records that an agent inserted or copied a Concierge suggestion on a ticket: the evidence of an
   * AI-assisted resolution. For the suggestions capability to call; idempotent.
   */
  recordSuggestionUse(tenantId: string, ticketId: number, use: SuggestionUse): Promise<void>;
  close(): void;
}

export function createBilling(deps: BillingDeps): Billing {
  const inbox = new TicketInbox(deps.db);
  const ledger = new LedgerRepo(deps.db);
  const settings = new BillingSettingsRepo(deps.db);
  const suggestions = new SuggestionUses(deps.db);
  const auth = new WebhookAuthRepo(deps.db, deps.box);
  const reports = new BillingReports(deps.db);
  const registers = deps.registry ? [deps.registry] : [];
  const metrics: BillingMetrics = {
    webhooks: new Counter({
      name: 'concierge_billing_webhook_events_total',
      help: 'Zendesk ticket events received, by outcome (accepted, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    metering: new Counter({
      name: 'concierge_billing_metering_records_total',
      help: 'AWS Marketplace usage records by final status (accepted, duplicate_record, customer_not_subscribed, failed, expired)',
      labelNames: ['status'] as const,
      registers,
    }),
  };
  let metering = deps.metering;
  let owned: ReturnType<typeof createMeteringApi> | undefined;
  return {
    db: deps.db,
    inbox,
    ledger,
    settings,
    suggestions,
    auth,
    reports,
    metrics,
    metering() {
      if (!metering) metering = owned = createMeteringApi();
      return metering;
    },
    processDeps: () => ({
      db: deps.db,
      inbox,
      ledger,
      settings,
      suggestions,
      contactOf: deps.contactOf,
      tenant: deps.tenant,
      zendesk: deps.zendesk,
      logger: deps.logger.child({ module: 'billing' }),
    }),
    recordSuggestionUse: (tenantId, ticketId, use) => suggestions.record(tenantId, ticketId, use),
    close() {
      owned?.destroy();
    },
  };
}
