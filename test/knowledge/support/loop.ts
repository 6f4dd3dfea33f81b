import crypto from 'node:crypto';
import pino from 'pino';
import { LocalProvider } from '../../../server/ai/local';
import type { AiProvider } from '../../../server/ai/types';
import { HelpCenterRepo } from '../../../server/helpcenter/repo';
import { syncHelpCenter } from '../../../server/helpcenter/sync';
import { KnowledgeRepo } from '../../../server/knowledge/repo';
import { runKnowledge } from '../../../server/knowledge/pipeline';
import { ReviewQueue } from '../../../server/knowledge/review';
import { SecretBox } from '../../../server/store/crypto';
import { TenantRepo } from '../../../server/tenants/repo';
import { createZendeskClient } from '../../../server/zendesk/client';
import type { ZendeskApi } from '../../../server/zendesk/types';
import { responseToHtml, titleOf, type BitextRow } from '../../../server/suggestions/bitext';
import { startZendeskDouble, type ZendeskDouble } from '../../../doubles/zendesk-double';
import { testDb, type TestDb } from '../../helpers/env';
import { loadRows } from '../../../server/demo/corpus';

export const logger = pino({ level: 'silent' });
export const TENANT = 'acme';
export const AGENT_ID = 500;

let rows: BitextRow[] | undefined;
const byIntent = (intent: string): BitextRow[] => {
  rows ??= loadRows();
  return rows.filter((r) => r.intent === intent);
};

/** A tenant with a Zendesk double, its repositories and the local provider, in a fresh schema. */
export interface Loop {
  t: TestDb;
  zd: ZendeskDouble;
  repo: KnowledgeRepo;
  helpCenter: HelpCenterRepo;
  review: ReviewQueue;
  client: () => ZendeskApi;
  ai: AiProvider;
  /** Solved tickets of an intent (bitext utterance as the question, response as the agent's answer). */
  seed(intent: string, from: number, count: number, opts?: { firstId?: number }): number[];
  /** An article for an intent, synced into the tenant's stored Help Center. */
  article(intent: string, id: number, sectionId?: number): Promise<void>;
  run(opts?: {
    maxPages?: number;
    ai?: AiProvider;
  }): Promise<{ runId: string; run: Awaited<ReturnType<typeof runKnowledge>> }>;
  close(): Promise<void>;
}

let nextTicket = 1000;
/** Tickets change one second apart, in the order they are seeded, like a real account's updated_at. */
let clock = Date.now() - 2 * 3600_000;

/** Solved tickets of a bitext intent in the double's export, one second apart, with the agent's answer. */
export function seedTickets(
  zd: ZendeskDouble,
  intent: string,
  from: number,
  count: number,
  opts: { firstId?: number; agentId?: number } = {},
): number[] {
  const list = byIntent(intent).slice(from, from + count);
  const ids: number[] = [];
  list.forEach((r, i) => {
    const id = opts.firstId !== undefined ? opts.firstId + i : nextTicket++;
    const requester = 10_000 + id;
    zd.putExportTicket({
      id,
      subject: r.instruction.slice(0, 60),
      requesterId: requester,
      updatedAt: new Date((clock += 1000)).toISOString(),
      createdAt: new Date(Date.now() - 7 * 86_400_000 + i * 60_000).toISOString(),
      comments: [
        { authorId: requester, body: r.instruction },
        { authorId: opts.agentId ?? AGENT_ID, body: r.response.replace(/\{\{[^}]+\}\}/g, 'the page') },
      ],
    });
    ids.push(id);
  });
  return ids;
}

export async function startLoop(): Promise<Loop> {
  const t = await testDb();
  const zd = await startZendeskDouble();
  await new TenantRepo(t.db, new SecretBox(crypto.randomBytes(32))).create(
    { subdomain: TENANT, zendeskUrl: zd.url, credentials: { kind: 'oauth', token: 'x' } },
    true,
  );
  const repo = new KnowledgeRepo(t.db);
  const helpCenter = new HelpCenterRepo(t.db);
  const client = () =>
    createZendeskClient({
      tenantId: TENANT,
      baseUrl: zd.url,
      credentials: { kind: 'oauth', token: 'x' },
      logger,
    });
  const ai = new LocalProvider();
  const review = new ReviewQueue({ db: t.db, repo, helpCenter, zendesk: async () => client(), logger });
  zd.users.set(AGENT_ID, { id: AGENT_ID, name: 'Agent Ann', role: 'agent', email: 'ann@example.com' });
  const loop: Loop = {
    t,
    zd,
    repo,
    helpCenter,
    review,
    client,
    ai,
    seed: (intent, from, count, opts = {}) => seedTickets(zd, intent, from, count, opts),
    async article(intent, id, sectionId = 1) {
      const picked = byIntent(intent).slice(-2);
      zd.putArticle({
        id,
        title: titleOf(intent),
        body: picked.map((r) => responseToHtml(r.response)).join('\n'),
        section_id: sectionId,
        updated_at: new Date(Date.now() - 600_000).toISOString(),
      });
      await syncHelpCenter(helpCenter, client(), TENANT, logger, { fullCheckEveryMs: 0 });
    },
    async run(opts = {}) {
      const { run } = await repo.startRun(TENANT, crypto.randomUUID(), 'manual');
      const result = await runKnowledge(
        {
          repo,
          helpCenter,
          zendesk: client(),
          ai: opts.ai ?? ai,
          logger,
          ...(opts.maxPages !== undefined ? { maxPages: opts.maxPages } : {}),
        },
        TENANT,
        run.id,
      );
      return { runId: run.id, run: result };
    },
    async close() {
      await zd.close();
      await t.drop();
    },
  };
  return loop;
}
