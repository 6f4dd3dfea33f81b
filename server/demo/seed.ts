import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConnectDouble } from '../../doubles/connect-double';
import type { DoubleUser, ZendeskDouble } from '../../doubles/zendesk-double';
import { setupWebhooks } from '../billing/setup';
import { syncHelpCenter } from '../helpcenter/sync';
import type { Context } from '../runtime/context';
import type { CreatedTenant } from '../tenants/repo';
import { ZendeskError } from '../zendesk/types';
import { HIDDEN_INTENTS, buildArticles, buildTickets, loadRows } from './corpus';

/** The demo account: one Zendesk, one Connect instance, the agent who watches the replay. */
export const DEMO_SUBDOMAIN = 'demo';
export const AGENT = { connectUserId: 'agent-alex', name: 'Alex Agent', email: 'alex@demo.example.com' };
export const BOT = { name: 'Voice Bot', email: 'voicebot@demo.example.com' };
/** Solved tickets of the last 12 weeks, for the knowledge gaps. */
export const HISTORY_TICKETS = 300;
/** Live tickets get ids after the history, as in an account that has been running for a while. */
export const FIRST_LIVE_TICKET_ID = 5001;

export interface Seeded {
  tenant: CreatedTenant;
  agent: DoubleUser;
  bot: DoubleUser;
  articles: number;
  historyTickets: number;
  /** Intents the Help Center leaves out on purpose. */
  gaps: readonly string[];
}

async function connectWebhooks(ctx: Context, tenantId: string, logger: Logger): Promise<void> {
  const tenant = (await ctx.tenants.get(tenantId))!;
  await setupWebhooks(
    {
      auth: ctx.billing.auth,
      settings: ctx.billing.settings,
      zendesk: await ctx.zendeskFor(tenant),
      publicUrl: ctx.config.publicUrl,
      logger,
    },
    tenantId,
  );
}

const AGENT_IN_CONNECT = {
  userId: AGENT.connectUserId,
  username: AGENT.email,
  email: AGENT.email,
  firstName: 'Alex',
  lastName: 'Agent',
};

/**
 * --keep: the tenant and everything in the database stay (its Zendesk URL already points at the
 * restored double); the service has another URL, so the webhook is pointed at it.
 */
export async function reattachDemo(
  ctx: Context,
  zendesk: ZendeskDouble,
  connect: ConnectDouble,
  tenant: CreatedTenant,
  logger: Logger,
): Promise<Seeded> {
  connect.putUser(AGENT_IN_CONNECT);
  await connectWebhooks(ctx, tenant.tenant, logger);
  const byEmail = (email: string) => [...zendesk.users.values()].find((u) => u.email === email);
  const agent = byEmail(AGENT.email);
  const bot = byEmail(BOT.email);
  if (!agent || !bot) throw new Error('the kept Zendesk account has no demo agent; run without --keep');
  return {
    tenant,
    agent,
    bot,
    articles: zendesk.articles.size,
    historyTickets: HISTORY_TICKETS,
    gaps: HIDDEN_INTENTS,
  };
}

/**
 * Creates the demo tenant and fills its doubles: agents in Zendesk and Connect, the resolution webhooks
 * and triggers (through the real setup code), a Help Center written from the Bitext dataset minus the
 * gap intents (pulled into the service by the real sync), and a few hundred solved tickets.
 */
export async function seedDemo(
  ctx: Context,
  zendesk: ZendeskDouble,
  connect: ConnectDouble,
  logger: Logger,
): Promise<Seeded> {
  if (await ctx.tenants.get(DEMO_SUBDOMAIN))
    throw new Error('the demo tenant already exists; run without --keep for a fresh start');
  const tenant = await ctx.tenants.create(
    {
      subdomain: DEMO_SUBDOMAIN,
      zendeskUrl: zendesk.url,
      credentials: { kind: 'api_token', email: 'admin@demo.example.com', token: 'demo-zendesk-token' },
      connectInstanceArn: connect.instanceArn,
    },
    true,
  );

  // An admin, so the Resolutions view (admins only, confirmed with Zendesk) opens for the visitor too.
  const agent = zendesk.addUser({ name: AGENT.name, email: AGENT.email, role: 'admin' });
  const bot = zendesk.addUser({ name: BOT.name, email: BOT.email, role: 'agent' });
  connect.putUser(AGENT_IN_CONNECT);
  await connectWebhooks(ctx, tenant.tenant, logger);
  const zd = await ctx.zendeskFor((await ctx.tenants.get(tenant.tenant))!);
  await ctx.billing.settings.update(tenant.tenant, { botUserIds: [bot.id] });

  const rows = loadRows();
  // The sections the corpus's articles live in (and approved drafts can be published to).
  ['Orders', 'Shipping', 'Returns and refunds', 'Payments', 'Your account', 'Invoices', 'Contact us'].forEach(
    (name, i) => zendesk.sections.set(360000 + i, { id: 360000 + i, name, locale: 'en-us' }),
  );
  const articles = buildArticles(rows, HIDDEN_INTENTS);
  for (const { value } of articles) zendesk.putArticle(value);
  // On a busy machine the first call after a long start can meet a reset keep-alive socket: a retriable
  // error (nothing was written), so the demo tries again instead of stopping.
  for (let attempt = 1; ; attempt++) {
    try {
      await syncHelpCenter(ctx.helpCenter, zd, tenant.tenant, logger);
      break;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ZendeskError && err.retriable)) throw err;
      logger.warn({ attempt, err: err.message }, 'demo Help Center sync failed; retrying');
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }

  // History: solved tickets answered by a few agents, covered and uncovered topics alike.
  const historyAgents = ['Robin', 'Kim', 'Ana'].map((first) =>
    zendesk.addUser({
      name: `${first} Support`,
      email: `${first.toLowerCase()}@demo.example.com`,
      role: 'agent',
    }),
  );
  const requesters = new Map<number, number>();
  let n = 0;
  // The dataset is grouped by intent: an even sample gives every topic (covered or not) its tickets.
  const step = Math.max(1, Math.floor(rows.length / HISTORY_TICKETS));
  const sample = rows.filter((_, i) => i % step === 0).slice(0, HISTORY_TICKETS);
  for (const { value } of buildTickets(sample, {
    count: HISTORY_TICKETS,
    seed: 11,
    firstId: 1001,
    end: Date.now() - 86_400_000,
  })) {
    const requester =
      requesters.get(value.requester_id) ??
      zendesk.addUser({ name: `Customer ${value.requester_id}`, role: 'end-user' }).id;
    requesters.set(value.requester_id, requester);
    const agentId = historyAgents[n++ % historyAgents.length]!.id;
    zendesk.tickets.set(value.id, {
      id: value.id,
      subject: value.subject,
      status: 'solved',
      requester_id: requester,
      assignee_id: agentId,
      tags: value.tags,
      comments: value.comments.map((c, i) => ({
        body: c.body,
        public: c.public,
        author_id: i === 0 ? requester : agentId,
        created_at: c.created_at,
      })),
      created_at: value.created_at,
      updated_at: value.updated_at,
    });
  }
  // 300 tickets spread over every intent leave each seeded gap a handful of tickets: draft from 3 (the
  // default, 8, suits a real account's volume) so the Knowledge view has drafts to review.
  await ctx.knowledge.saveSettings(tenant.tenant, { draftMinSize: 3 });
  // A first knowledge-gaps analysis over those tickets, as an admin would start it from the Knowledge view.
  const { run } = await ctx.knowledge.startRun(tenant.tenant, randomUUID(), 'manual', agent.id);
  await ctx.queues.enqueueKnowledgeRun(tenant.tenant, run.id);
  return {
    tenant,
    agent,
    bot,
    articles: articles.length,
    historyTickets: HISTORY_TICKETS,
    gaps: HIDDEN_INTENTS,
  };
}
