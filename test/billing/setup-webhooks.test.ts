import { setupWebhooks } from '../../server/billing/setup';
import { createLogger } from '../../server/logger';
import { sha256 } from '../../server/store/crypto';
import { startHarness, type Harness } from '../helpers/harness';
import { deliver, event, setUpWebhooks } from './support';

jest.setTimeout(90_000);
describe('tenant setup-webhooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ queues: [] });
  }, 120_000);
  afterAll(() => h.stop());

  const creates = () =>
    h.zendesk.requests.filter((r) => r.kind === 'webhook_create' || r.kind === 'trigger_create').length;

  test('when run on a new tenant, then one webhook with bearer auth and three triggers calling it exist, every request as the specs say', async () => {
    const z = await setUpWebhooks(h);
    expect(h.zendesk.specViolations).toEqual([]);
    expect([...h.zendesk.webhooks.values()]).toEqual([
      expect.objectContaining({
        endpoint: `https://concierge.test/v1/zendesk/webhooks/${h.tenant.tenant}`,
        subscriptions: ['conditional_ticket_events'],
        authentication: {
          type: 'bearer_token',
          data: { token: expect.stringMatching(/^cwh_/) },
          add_position: 'header',
        },
      }),
    ]);
    const triggers = [...h.zendesk.triggers.values()];
    expect(triggers.map((t) => t.title).sort()).toEqual([
      'Concierge: end-user comment',
      'Concierge: ticket reopened',
      'Concierge: ticket solved',
    ]);
    for (const t of triggers) {
      expect(t.actions).toHaveLength(1);
      const [webhookId, body] = t.actions[0]!.value as [string, string];
      expect(t.actions[0]!.field).toBe('notification_webhook');
      expect(webhookId).toBe(z.hook.id);
      expect(JSON.parse(body)).toMatchObject({
        ticket_id: '{{ticket.id}}',
        at: '{{ticket.updated_at_with_timestamp}}',
      });
    }
    // The tenant had only the hash of its webhookSecret: a new one was made, and its hash replaces the old.
    expect(z.setup.webhookSecretRotated).toBe(true);
    const [row] = await h.running.ctx.db.query<{ webhook_secret_hash: string; webhook_secret: string }>(
      `SELECT webhook_secret_hash, webhook_secret FROM tenants WHERE id = $1`,
      [h.tenant.tenant],
    );
    expect(row!.webhook_secret_hash).toBe(sha256(z.bearer));
    expect(row!.webhook_secret).not.toContain(z.bearer);
    const [stored] = await h.running.ctx.db.query<{ signing_secret: string }>(
      `SELECT signing_secret FROM zendesk_webhooks WHERE tenant_id = $1`,
      [h.tenant.tenant],
    );
    expect(stored!.signing_secret).toMatch(/^v1\./);
    expect(stored!.signing_secret).not.toContain(z.signingSecret);
    // The API user's replies count as automation from now on.
    expect((await h.running.ctx.billing.settings.get(h.tenant.tenant)).botUserIds).toEqual([1]);

    // What Zendesk now sends is accepted.
    expect((await deliver(h, z, event('solved', 9001, new Date()))).status).toBe(200);
  });

  test('when run again, then nothing new is created and nothing is re-sent', async () => {
    const before = { creates: creates(), requests: h.zendesk.requests.length };
    const again = await setUpWebhooks(h);
    expect(creates()).toBe(before.creates);
    expect(again.setup).toMatchObject({
      webhookCreated: false,
      webhookUpdated: false,
      webhookSecretRotated: false,
    });
    expect(again.setup.triggers.every((t) => !t.created && !t.updated)).toBe(true);
    const kinds = h.zendesk.requests.slice(before.requests).map((r) => r.kind);
    expect(kinds).not.toContain('webhook_update');
    expect(kinds).not.toContain('trigger_update');
    expect(h.zendesk.webhooks.size).toBe(1);
    expect(h.zendesk.triggers.size).toBe(3);
  });

  test("when a tenant's printed webhookSecret is given, then it is kept (not rotated) and the webhook uses it", async () => {
    const other = await h.running.ctx.tenants.create(
      {
        subdomain: `w${Date.now().toString(36)}`,
        zendeskUrl: h.zendesk.url,
        credentials: { kind: 'oauth', token: 't' },
      },
      true,
    );
    h.zendesk.reset();
    const deps = {
      auth: h.running.ctx.billing.auth,
      settings: h.running.ctx.billing.settings,
      zendesk: await h.running.ctx.zendeskFor((await h.running.ctx.tenants.get(other.tenant))!),
      publicUrl: 'https://concierge.test',
      logger: createLogger('silent'),
    };
    await expect(setupWebhooks(deps, other.tenant, { webhookSecret: 'cwh_wrong' })).rejects.toThrow(
      /not the webhookSecret/,
    );
    const result = await setupWebhooks(deps, other.tenant, { webhookSecret: other.webhookSecret });
    expect(result.webhookSecretRotated).toBe(false);
    const hook = h.zendesk.webhooks.get(result.webhookId)!;
    expect((hook.authentication as { data: { token: string } }).data.token).toBe(other.webhookSecret);
    expect(h.zendesk.specViolations).toEqual([]);
  });
});
