import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type {
  ContactLensApi,
  ListSegmentsRequest,
  SegmentPage,
  Utterance,
} from '../../server/connect/contact-lens';
import { ContactLensError } from '../../server/connect/contact-lens';
import type { StoredEvent } from '../../server/contacts/inbox';
import type { ContactNews } from '../../server/contacts/live';
import { ContactRepo } from '../../server/contacts/repo';
import type { Queues, SentimentFinalPayload, SentimentPollPayload } from '../../server/queues/contracts';
import { pollLeg } from '../../server/sentiment/poller';
import { SentimentRepo } from '../../server/sentiment/repo';
import { SentimentService } from '../../server/sentiment/service';
import { sentimentOptions } from '../../server/sentiment/types';
import { SecretBox } from '../../server/store/crypto';
import { TenantRepo } from '../../server/tenants/repo';
import { testDb, type TestDb } from '../helpers/env';

const ARN = 'arn:aws:connect:us-west-2:123456789012:instance/00000000-0000-4000-8000-000000000001';
const SECRET_TEXT = 'my card number is 4111 1111 1111 1111 and I am furious';

interface Harness {
  t: TestDb;
  service: SentimentService;
  repo: SentimentRepo;
  tenantId: string;
  polls: SentimentPollPayload[];
  finals: Array<{ payload: SentimentFinalPayload; delayMs: number }>;
  published: string[];
  logs: string[];
  lens: { pages: Array<SegmentPage | ContactLensError>; requests: ListSegmentsRequest[] };
  scored: string[];
}

async function setup(opts: { scorer?: boolean } = {}): Promise<Harness> {
  const t = await testDb();
  const tenants = new TenantRepo(t.db, new SecretBox(crypto.randomBytes(32)));
  const tenantId = `t${crypto.randomUUID().slice(0, 8)}`;
  await tenants.create({ subdomain: tenantId, credentials: { kind: 'oauth', token: 'x' } }, false);
  const polls: SentimentPollPayload[] = [];
  const finals: Array<{ payload: SentimentFinalPayload; delayMs: number }> = [];
  const published: string[] = [];
  const logs: string[] = [];
  const lens = { pages: [] as Array<SegmentPage | ContactLensError>, requests: [] as ListSegmentsRequest[] };
  const scored: string[] = [];
  const contactLens: ContactLensApi = {
    async listSegments(req) {
      lens.requests.push(req);
      const next = lens.pages.shift() ?? {
        utterances: [],
        categories: [],
        segmentCount: 0,
        nextToken: req.nextToken ?? 't0',
      };
      if (next instanceof ContactLensError) throw next;
      return next;
    },
  };
  const repo = new SentimentRepo(t.db);
  const service = new SentimentService({
    repo,
    contacts: new ContactRepo(t.db),
    queues: {
      enqueueSentimentPoll: async (p: SentimentPollPayload) => void polls.push(p),
      enqueueSentimentFinal: async (p: SentimentFinalPayload, delayMs: number) =>
        void finals.push({ payload: p, delayMs }),
    } as unknown as Queues,
    news: { publish: async (_t: string, c: string) => void published.push(c) } as unknown as ContactNews,
    contactLens,
    ...(opts.scorer
      ? {
          scorer: {
            async sentiment(text: string) {
              scored.push(text);
              return /furious|angry/.test(text)
                ? { label: 'NEGATIVE' as const, score: -0.9 }
                : { label: 'NEUTRAL' as const, score: 0.1 };
            },
          },
        }
      : {}),
    tenant: () => tenants.get(tenantId),
    zendesk: () => Promise.reject(new Error('not used')),
    logger: pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          logs.push(chunk.toString());
          cb();
        },
      }),
    ),
    options: sentimentOptions(),
    instanceId: 'test',
  });
  return { t, service, repo, tenantId, polls, finals, published, logs, lens, scored };
}

const turn = (
  id: string,
  participant: string,
  text: string,
  begin: number,
  sentiment?: Utterance['sentiment'],
): Utterance => ({
  segmentId: id,
  participant,
  text,
  beginOffsetMs: begin,
  endOffsetMs: begin + 1500,
  ...(sentiment ? { sentiment } : {}),
});

function storedEvent(
  contactId: string,
  eventType: string,
  initialContactId = contactId,
  channel = 'VOICE',
): StoredEvent {
  const time = new Date().toISOString();
  return {
    tenantId: 'x',
    eventId: crypto.randomUUID(),
    contactId,
    initialContactId,
    eventType,
    channel,
    eventTime: time,
    detail: { eventId: 'e', time, eventType, contactId, initialContactId, instanceArn: ARN, channel },
    status: 'pending',
    attempts: 0,
    lastError: null,
  };
}

describe('the sentiment timeline in Postgres', () => {
  let h: Harness;
  afterEach(() => h.t.drop());

  test('when the same segments arrive from the stream and from polling, then each is stored once and the repeats are counted as duplicates', async () => {
    h = await setup();
    const batch = [
      turn('s1', 'CUSTOMER', 'hello', 0, 'NEUTRAL'),
      turn('s2', 'AGENT', 'hi there', 2000, 'POSITIVE'),
    ];
    const first = await h.repo.ingest(h.tenantId, [
      { contactId: 'c1', channel: 'VOICE', utterances: batch, categories: [], source: 'stream' },
    ]);
    const again = await h.repo.ingest(h.tenantId, [
      { contactId: 'c1', channel: 'VOICE', utterances: batch, categories: [], source: 'api' },
    ]);
    expect(first).toMatchObject({ accepted: 2, duplicates: 0, changed: ['c1'] });
    expect(again).toMatchObject({ accepted: 0, duplicates: 2, changed: [] });
    expect(first.snapshots.get('c1')?.rows).toHaveLength(2); // the write also read the timeline back
    expect(await h.repo.timeline(h.tenantId, 'c1')).toHaveLength(2);
  });

  test("when a turn's utterance pieces arrive, then they form one turn that its transcript later replaces", async () => {
    h = await setup();
    const piece = (id: string, text: string, begin: number): Utterance => ({
      ...turn('T1', 'CUSTOMER', text, begin, 'NEGATIVE'),
      partial: true,
      pieceId: id,
    });
    const r1 = await h.repo.ingest(h.tenantId, [
      {
        contactId: 'c1',
        channel: 'VOICE',
        utterances: [piece('u1', 'I want', 0), piece('u2', 'a refund', 1600), piece('u1', 'I want', 0)],
        categories: [],
        source: 'stream',
      },
    ]);
    expect(r1).toMatchObject({ accepted: 2, duplicates: 1 });
    const [partial] = await h.t.db.query<{ text: string; partial: boolean; end_offset_ms: number }>(
      `SELECT text, partial, end_offset_ms FROM sentiment_utterances WHERE tenant_id = $1`,
      [h.tenantId],
    );
    expect(partial).toEqual({ text: 'I want a refund', partial: true, end_offset_ms: 3100 });
    const r2 = await h.repo.ingest(h.tenantId, [
      {
        contactId: 'c1',
        channel: 'VOICE',
        utterances: [
          turn('T1', 'CUSTOMER', 'I want a refund now.', 0, 'NEGATIVE'),
          piece('u3', 'late piece', 4000),
        ],
        categories: [],
        source: 'stream',
      },
    ]);
    expect(r2).toMatchObject({ accepted: 1, duplicates: 1 });
    const rows = await h.t.db.query<{ text: string; partial: boolean; score: number }>(
      `SELECT text, partial, score FROM sentiment_utterances WHERE tenant_id = $1`,
      [h.tenantId],
    );
    expect(rows).toEqual([{ text: 'I want a refund now.', partial: false, score: -1 }]);
  });

  test("when Contact Lens gives no sentiment, then only the customer's turns are scored by the provider, and no text reaches a log line", async () => {
    h = await setup({ scorer: true });
    await h.repo.ingest(h.tenantId, [
      {
        contactId: 'c1',
        channel: 'CHAT',
        utterances: [
          turn('m1', 'CUSTOMER', SECRET_TEXT, 0),
          turn('m2', 'AGENT', 'I am sorry to hear that', 1000),
          turn('m3', 'CUSTOMER', 'ok', 2000),
        ],
        categories: ['refund'],
        source: 'stream',
      },
    ]);
    await h.service.refresh(h.tenantId, ['c1']);
    expect(h.scored).toEqual([SECRET_TEXT, 'ok']);
    const summary = await h.service.summary(h.tenantId, 'c1');
    expect(summary).toMatchObject({
      utterances: 3,
      customerUtterances: 2,
      categories: ['refund'],
      last: { score: 0.1, source: 'provider' },
    });
    expect(summary!.trend.map((p) => p.score)).toEqual([-0.9, 0.1]);
    expect(JSON.stringify(summary)).not.toContain('furious');
    expect(h.published).toEqual(['c1']);
    expect(h.logs.join('')).not.toContain('4111');
  });

  test("when chat messages arrive, then they are placed by time from the leg's first message, across batches", async () => {
    h = await setup();
    const t0 = Date.parse('2022-10-27T03:32:03.462Z');
    const msg = (id: string, at: number): Utterance => ({
      ...turn(id, 'CUSTOMER', id, 0, 'NEUTRAL'),
      atMs: at,
    });
    await h.repo.ingest(h.tenantId, [
      {
        contactId: 'chat1',
        channel: 'CHAT',
        utterances: [msg('m2', t0 + 5000), msg('m1', t0)],
        categories: [],
        source: 'api',
      },
    ]);
    await h.repo.ingest(h.tenantId, [
      {
        contactId: 'chat1',
        channel: 'CHAT',
        utterances: [msg('m3', t0 + 9000)],
        categories: [],
        source: 'stream',
      },
    ]);
    const rows = await h.repo.timeline(h.tenantId, 'chat1');
    expect(rows.map((r) => r.beginOffsetMs).sort((a, b) => a - b)).toEqual([0, 5000, 9000]);
  });

  test("when another tenant asks for a conversation, then it sees nothing of this tenant's", async () => {
    h = await setup();
    await h.repo.ingest(h.tenantId, [
      {
        contactId: 'c1',
        channel: 'VOICE',
        utterances: [turn('s1', 'CUSTOMER', 'x', 0, 'NEGATIVE')],
        categories: [],
        source: 'api',
      },
    ]);
    expect(await h.service.summary(h.tenantId, 'c1')).not.toBeNull();
    expect(await h.service.summary('someone-else', 'c1')).toBeNull();
  });

  test('when segments arrived before their leg was known, then the contact events re-home them and start polling the connected leg with ids only', async () => {
    h = await setup();
    await h.repo.ingest(h.tenantId, [
      {
        contactId: 'leg-2',
        channel: 'VOICE',
        utterances: [turn('s1', 'CUSTOMER', 'x', 0, 'NEGATIVE')],
        categories: [],
        source: 'stream',
      },
    ]);
    await h.t.db.query(
      `INSERT INTO contact_legs (tenant_id, contact_id, initial_contact_id) VALUES ($1, 'leg-2', 'conv-1')`,
      [h.tenantId],
    );
    await h.service.onContactEvents(h.tenantId, 'conv-1', [
      storedEvent('conv-1', 'DISCONNECTED'),
      storedEvent('leg-2', 'INITIATED', 'conv-1'),
      storedEvent('leg-2', 'CONNECTED_TO_AGENT', 'conv-1'),
    ]);
    expect((await h.service.summary(h.tenantId, 'conv-1'))?.utterances).toBe(1);
    expect(await h.service.summary(h.tenantId, 'leg-2')).toBeNull();
    expect(h.polls).toEqual([{ tenantId: h.tenantId, contactId: 'leg-2', initialContactId: 'conv-1' }]);
    expect(h.finals).toEqual([]); // leg-2 is still live
  });
});

describe('adaptive polling of one leg', () => {
  let h: Harness;
  afterEach(() => h.t.drop());
  const page = (utterances: Utterance[], nextToken?: string): SegmentPage => ({
    utterances,
    categories: [],
    segmentCount: utterances.length,
    ...(nextToken ? { nextToken } : {}),
  });
  const job = (h: Harness) => ({ tenantId: h.tenantId, contactId: 'c1', initialContactId: 'c1' });

  test('when segments keep coming it polls every second, backs off to 5 s when quiet, continues from the NextToken, and stops after DISCONNECTED', async () => {
    h = await setup();
    await h.service.onContactEvents(h.tenantId, 'c1', [storedEvent('c1', 'CONNECTED_TO_AGENT')]);
    h.lens.pages.push(
      page([turn('s1', 'CUSTOMER', 'a', 0, 'NEUTRAL')], 'tok-1'),
      page([turn('s2', 'CUSTOMER', 'b', 2000, 'NEGATIVE')], 'tok-2'),
      page([], 'tok-2'),
      page([], 'tok-2'),
      page([], 'tok-2'),
      page([], 'tok-2'),
    );
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await pollLeg(h.service, job(h));
      if (r.outcome === 'continue') delays.push(r.delayMs);
    }
    expect(delays).toEqual([1000, 1000, 2000, 4000, 5000, 5000]);
    expect(h.lens.requests.map((r) => r.nextToken)).toEqual([
      undefined,
      'tok-1',
      'tok-2',
      'tok-2',
      'tok-2',
      'tok-2',
    ]);
    expect(h.lens.requests[0]).toMatchObject({ instanceArn: ARN, contactId: 'c1', channel: 'VOICE' });

    await h.service.onContactEvents(h.tenantId, 'c1', [
      storedEvent('c1', 'CONNECTED_TO_AGENT'),
      storedEvent('c1', 'DISCONNECTED'),
    ]);
    h.lens.pages.push(page([turn('s3', 'CUSTOMER', 'bye', 4000, 'NEUTRAL')], 'tok-3'));
    expect(await pollLeg(h.service, job(h))).toEqual({
      outcome: 'stopped',
      reason: 'disconnected',
      newSegments: 1,
    });
    const calls = h.lens.requests.length;
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'stopped' });
    expect(h.lens.requests.length).toBe(calls); // nothing asked once stopped
    expect((await h.service.summary(h.tenantId, 'c1'))?.utterances).toBe(3);
    expect(h.finals).toEqual([
      { payload: { tenantId: h.tenantId, initialContactId: 'c1' }, delayMs: expect.any(Number) },
    ]);
  });

  test('when Contact Lens says the session is over (no NextToken), then polling stops', async () => {
    h = await setup();
    await h.service.onContactEvents(h.tenantId, 'c1', [storedEvent('c1', 'CONNECTED_TO_AGENT')]);
    h.lens.pages.push(page([turn('s1', 'CUSTOMER', 'a', 0, 'NEUTRAL')]));
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'stopped', reason: 'analysis_ended' });
  });

  test('when the contact is not analysed, then polling waits a while and then gives up', async () => {
    h = await setup();
    await h.service.onContactEvents(h.tenantId, 'c1', [storedEvent('c1', 'CONNECTED_TO_AGENT')]);
    h.lens.pages.push(new ContactLensError('ResourceNotFoundException', 'not_found', 404));
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'continue', delayMs: 5000 });
    h.lens.pages.push(new ContactLensError('ResourceNotFoundException', 'not_found', 404));
    expect(await pollLeg(h.service, job(h), Date.now() + 61_000)).toMatchObject({
      outcome: 'stopped',
      reason: 'not_analysed',
    });
  });

  test('when Contact Lens throttles, then the poll backs off instead of failing', async () => {
    h = await setup();
    await h.service.onContactEvents(h.tenantId, 'c1', [storedEvent('c1', 'CONNECTED_TO_AGENT')]);
    h.lens.pages.push(
      new ContactLensError('ThrottlingException', 'throttled', 429),
      new ContactLensError('ThrottlingException', 'throttled', 429),
    );
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'continue', delayMs: 5000 });
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'continue', delayMs: 10_000 });
  });

  test('when the segment stream is delivering for the leg, then polling stands aside', async () => {
    h = await setup();
    await h.service.onContactEvents(h.tenantId, 'c1', [storedEvent('c1', 'CONNECTED_TO_AGENT')]);
    await h.service.ingestStream(h.tenantId, [
      {
        eventType: 'STARTED',
        instanceId: 'i',
        contactId: 'c1',
        channel: 'VOICE',
        batch: { utterances: [], categories: [] },
      },
    ]);
    expect(await pollLeg(h.service, job(h))).toMatchObject({ outcome: 'continue', delayMs: 5000 });
    expect(h.lens.requests).toEqual([]);
  });
});
