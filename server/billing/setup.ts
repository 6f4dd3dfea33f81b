import type { Logger } from 'pino';
import { sha256 } from '../store/crypto';
import { ConflictError } from '../errors';
import type { TriggerWrite, WebhookWrite, ZendeskApi, ZendeskWebhook } from '../zendesk/types';
import type { BillingSettingsRepo } from './settings';
import type { TicketEventKind } from './types';
import type { WebhookAuthRepo } from './webhook-auth';

export const WEBHOOK_NAME = 'Concierge resolutions';
const TRIGGER_PREFIX = 'Concierge:';

/**
 * The triggers that call the webhook. Conditions follow Zendesk's conditions reference: `value` is
 * "changed to", `value_previous` "changed from"; a reopen is "changed from solved" to a status below
 * solved (closing a solved ticket is not a reopen); an end-user comment is a public comment on an
 * update made by an end user.
 */
const TRIGGERS: Array<{ event: TicketEventKind; title: string; conditions: TriggerWrite['conditions'] }> = [
  {
    event: 'solved',
    title: `${TRIGGER_PREFIX} ticket solved`,
    conditions: { all: [{ field: 'status', operator: 'value', value: 'solved' }], any: [] },
  },
  {
    event: 'reopened',
    title: `${TRIGGER_PREFIX} ticket reopened`,
    conditions: {
      all: [
        { field: 'status', operator: 'value_previous', value: 'solved' },
        { field: 'status', operator: 'less_than', value: 'solved' },
      ],
      any: [],
    },
  },
  {
    event: 'end_user_comment',
    title: `${TRIGGER_PREFIX} end-user comment`,
    conditions: {
      all: [
        { field: 'update_type', operator: 'is', value: 'Change' },
        { field: 'comment_is_public', operator: 'is', value: 'true' },
        { field: 'role', operator: 'is', value: 'end_user' },
      ],
      any: [],
    },
  },
];

/** The JSON body each trigger sends (see webhookPayloadSchema): ids and a time, nothing personal. */
export const triggerPayload = (event: TicketEventKind): string =>
  JSON.stringify({
    event,
    ticket_id: '{{ticket.id}}',
    at: '{{ticket.updated_at_with_timestamp}}',
    actor_id: '{{current_user.id}}',
  });

export interface SetupDeps {
  auth: WebhookAuthRepo;
  settings: BillingSettingsRepo;
  zendesk: ZendeskApi;
  publicUrl: string;
  logger: Logger;
}

export interface SetupResult {
  tenant: string;
  endpoint: string;
  webhookId: string;
  webhookCreated: boolean;
  webhookUpdated: boolean;
  /** True when the tenant had no stored bearer secret and got a new one (the old one only served this webhook). */
  webhookSecretRotated: boolean;
  triggers: Array<{ event: TicketEventKind; id: number; created: boolean; updated: boolean }>;
  apiUserId: number;
}

const opts = { priority: 'deferrable' as const };

/**
 * Creates (or finds) the tenant's webhook and triggers. Idempotent: a second run finds everything by name
 * and creates nothing; it re-sends the bearer token only when it changed, and re-points triggers only
 * when they call another webhook. The webhook and its signing secret are stored before the triggers
 * exist, so the first delivery can already be verified.
 */
export async function setupWebhooks(
  deps: SetupDeps,
  tenantId: string,
  options: { webhookSecret?: string } = {},
): Promise<SetupResult> {
  const zd = deps.zendesk;
  const endpoint = `${deps.publicUrl.replace(/\/+$/, '')}/v1/zendesk/webhooks/${tenantId}`;
  let secret = await deps.auth.bearerSecret(tenantId);
  let rotated = false;
  if (!secret && options.webhookSecret) {
    if (!(await deps.auth.adoptSecret(tenantId, options.webhookSecret)))
      throw new ConflictError(
        '--webhook-secret is not the webhookSecret of this tenant',
        'webhook_secret_mismatch',
      );
    secret = options.webhookSecret;
  }
  if (!secret) {
    secret = await deps.auth.rotateSecret(tenantId);
    rotated = true;
  }
  const authentication = {
    type: 'bearer_token' as const,
    data: { token: secret },
    add_position: 'header' as const,
  };
  const stored = await deps.auth.setup(tenantId);

  const hooks = await zd.listWebhooks(WEBHOOK_NAME, opts);
  const existing: ZendeskWebhook | undefined =
    hooks.find((h) => h.id === stored?.webhookId) ??
    hooks.find((h) => h.endpoint === endpoint) ??
    hooks.find((h) => h.name === WEBHOOK_NAME);
  let webhook: ZendeskWebhook;
  let created = false;
  let updated = false;
  if (!existing) {
    const body: WebhookWrite = {
      name: WEBHOOK_NAME,
      description: 'Ticket solved / reopened / end-user comment events for Concierge resolution billing',
      endpoint,
      http_method: 'POST',
      request_format: 'json',
      status: 'active',
      subscriptions: ['conditional_ticket_events'],
      authentication,
    };
    webhook = await zd.createWebhook(body, opts);
    created = true;
  } else {
    webhook = existing;
    const bearerHash = sha256(secret);
    if (
      existing.endpoint !== endpoint ||
      stored?.webhookId !== existing.id ||
      stored.bearerHash !== bearerHash
    ) {
      await zd.updateWebhook(existing.id, { endpoint, authentication }, opts);
      updated = true;
    }
  }
  const signingSecret = await zd.getWebhookSigningSecret(webhook.id, opts);
  const apiUserId = await zd.getCurrentUserId(opts);
  const triggerIds: Record<string, number> = { ...(stored?.triggerIds ?? {}) };
  await deps.auth.saveSetup(tenantId, {
    webhookId: webhook.id,
    endpoint,
    signingSecret,
    bearerHash: sha256(secret),
    triggerIds,
    apiUserId,
  });
  // Replies written with Concierge's own credentials are automation, not an agent's.
  await deps.settings.addBotUser(tenantId, apiUserId);

  const found = await zd.searchTriggers(TRIGGER_PREFIX, opts);
  const triggers: SetupResult['triggers'] = [];
  for (const spec of TRIGGERS) {
    const body: TriggerWrite = {
      title: spec.title,
      description: 'Created by Concierge (resolution billing). Calls the Concierge resolutions webhook.',
      active: true,
      conditions: spec.conditions,
      actions: [{ field: 'notification_webhook', value: [webhook.id, triggerPayload(spec.event)] }],
    };
    const current = found.find((t) => t.title === spec.title);
    if (!current) {
      const t = await zd.createTrigger(body, opts);
      triggers.push({ event: spec.event, id: t.id, created: true, updated: false });
    } else {
      const callsUs = current.actions.some(
        (a) => a.field === 'notification_webhook' && Array.isArray(a.value) && a.value[0] === webhook.id,
      );
      if (!callsUs || !current.active) await zd.updateTrigger(current.id, body, opts);
      triggers.push({
        event: spec.event,
        id: current.id,
        created: false,
        updated: !callsUs || !current.active,
      });
    }
    triggerIds[spec.event] = triggers.at(-1)!.id;
  }
  await deps.auth.saveSetup(tenantId, {
    webhookId: webhook.id,
    endpoint,
    signingSecret,
    bearerHash: sha256(secret),
    triggerIds,
    apiUserId,
  });
  deps.logger.info(
    { tenantId, webhookId: webhook.id, created, updated, rotated, triggers: triggers.map((t) => t.id) },
    'Zendesk webhook and triggers set up',
  );
  return {
    tenant: tenantId,
    endpoint,
    webhookId: webhook.id,
    webhookCreated: created,
    webhookUpdated: updated,
    webhookSecretRotated: rotated,
    triggers,
    apiUserId,
  };
}
