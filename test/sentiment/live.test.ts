import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { QUEUES } from '../../server/queues/contracts';
import { syncHelpCenter } from '../../server/helpcenter/sync';
import { randomUUID } from 'node:crypto';
import { envelope, scriptCall, type CallScript } from '../helpers/calls';
import { startHarness, type Harness } from '../helpers/harness';
import { startContactLensDouble, type ContactLensDouble } from '../../doubles/contact-lens-double';
import type { DoubleTicket } from '../../doubles/zendesk-double';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/connect');
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
const streamRecords = fixture<Array<Record<string, unknown>>>('scv_contact-lens_realtime_segments.json');
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

const zafToken = (subdomain: string, secret: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${subdomain}.zendesk.com`)
    .setAudience('https://concierge.test')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(secret));

/** A customer utterance of the segment stream (a finished Transcript turn). */
const said = (
  id: string,
  participant: 'CUSTOMER' | 'AGENT',
  text: string,
  at: number,
  sentiment: string,
) => ({
  Transcript: {
    Id: id,
    ParticipantId: participant,
    ParticipantRole: participant,
    Content: text,
    BeginOffsetMillis: at,
    EndOffsetMillis: at + 2000,
    Sentiment: sentiment,
  },
});

const ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_MAX_ATTEMPTS: '1',
};
const saved: Record<string, string | undefined> = {};

let h: Harness;
let lens: ContactLensDouble;

beforeAll(async () => {
  lens = await startContactLensDouble();
  const env = { ...ENV, AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS: lens.url, AWS_ENDPOINT_URL_CONNECT: lens.url };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  h = await startHarness({ queues: [QUEUES.contactSync, QUEUES.sentimentPoll] });
});
afterAll(async () => {
  await h.stop();
  await lens.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const ingest = async (
  body: unknown,
  headers: Record<string, string> = {},
  route = '/v1/connect/contact-lens',
) => {
  const res = await fetch(`${h.url}${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${h.tenant.ingestKey}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
};

/** The fixture's records, re-addressed to one of this tenant's contacts. */
const recordsFor = (contactId: string) =>
  streamRecords.map((r) => ({ ...r, InstanceId: h.connect.instanceId, ContactId: contactId }));

async function liveCall(phone: string): Promise<CallScript> {
  const call = scriptCall(h.connect, 'answered', phone);
  await h.post(call.events.slice(0, 3));
  await h.until(
    async () =>
      (await h.running.ctx.contacts.byContactId(h.tenant.tenant, call.initialContactId))?.state ===
      'connected',
  );
  return call;
}

const ticketOf = (call: CallScript): DoubleTicket | undefined =>
  [...h.zendesk.tickets.values()].find((t) => t.external_id === call.initialContactId);
const sentimentNotes = (t: DoubleTicket | undefined) =>
  (t?.comments ?? []).filter((c) => !c.public && /^Customer sentiment:/.test(c.body ?? ''));

describe('the Contact Lens segment stream endpoint', () => {
  test('when the fixture records are posted as a Firehose delivery, then they are stored and a repeat is counted as duplicates', async () => {
    const call = await liveCall('+14155550601');
    const body = {
      requestId: 'fh-1',
      timestamp: Date.now(),
      records: recordsFor(call.initialContactId).map((r) => ({ data: b64(r) })),
    };
    const first = await ingest(body, { authorization: '', 'x-amz-firehose-access-key': h.tenant.ingestKey });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ requestId: 'fh-1', accepted: 1, duplicates: 0, events: 2 });
    const again = await ingest(recordsFor(call.initialContactId));
    expect(again).toEqual({ status: 202, body: { accepted: 0, duplicates: 1, events: 2 } });
    const rows = await h.running.ctx.db.query<{ text: string; participant: string }>(
      `SELECT text, participant FROM sentiment_utterances WHERE tenant_id = $1 AND initial_contact_id = $2`,
      [h.tenant.tenant, call.initialContactId],
    );
    expect(rows).toEqual([{ text: 'Testing.', participant: 'AGENT' }]);
  });

  test('when the input is wrong, then the answer says what and where: 401, 415, 400 naming the field, 403 for another instance', async () => {
    expect((await ingest(streamRecords, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await ingest('x', { 'content-type': 'text/plain' })).status).toBe(415);
    const bad = await ingest({ records: [{ data: b64({ ...streamRecords[0], ContactId: undefined }) }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'invalid_segments', details: [{ path: 'records[0].data.ContactId' }] },
    });
    const foreign = await ingest(streamRecords); // the fixture's own instance is not this tenant's
    expect(foreign.status).toBe(403);
    expect((foreign.body as { error: { code: string } }).error.code).toBe('instance_mismatch');
  });
});

describe('sentiment on the event stream', () => {
  test('when customer segments arrive, then the open stream receives event: sentiment with the trend and, once it stays negative, the alert', async () => {
    const call = await liveCall('+14155550602');
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const mint = await fetch(`${h.url}/v1/app/stream-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: call.initialContactId }),
    });
    const { token: streamToken } = (await mint.json()) as { token: string };
    const controller = new AbortController();
    const stream = await fetch(
      `${h.url}/v1/app/contacts/${call.initialContactId}/events?token=${encodeURIComponent(streamToken)}`,
      { signal: controller.signal },
    );
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    const lastSentiment = () => {
      const events = [...text.matchAll(/event: sentiment\ndata: (.*)\n\n/g)];
      return JSON.parse(events.at(-1)![1]!) as Record<string, unknown> & {
        alert: { active: boolean };
        trend: unknown[];
      };
    };
    try {
      await readUntil(/event: state/);
      expect(text).not.toMatch(/event: sentiment/); // nothing to say yet
      const segments = (turns: ReturnType<typeof said>[]) => ({
        records: [{ data: b64({ ...recordsFor(call.initialContactId)[0], Segments: turns }) }],
      });
      expect(
        (await ingest(segments([said('t1', 'CUSTOMER', 'My order never came.', 1000, 'NEGATIVE')]))).status,
      ).toBe(202);
      await readUntil(/event: sentiment/);
      expect(lastSentiment()).toMatchObject({
        contactId: call.initialContactId,
        label: 'NEGATIVE',
        score: -0.4,
        alert: { active: false },
      });
      await ingest(
        segments([
          said('t2', 'AGENT', 'I am sorry, let me check.', 4000, 'NEUTRAL'),
          said('t3', 'CUSTOMER', 'This is the third time.', 8000, 'NEGATIVE'),
          said('t4', 'CUSTOMER', 'I want to cancel.', 12000, 'NEGATIVE'),
        ]),
      );
      await readUntil(/"alert":\{"active":true/);
      const s = lastSentiment();
      expect(s).toMatchObject({
        customerUtterances: 3,
        utterances: 4,
        alert: { active: true, raised: 1, since: 1000 },
      });
      expect(s.trend).toHaveLength(3);
      // Sentiment events carry labels and scores only; the words come in the transcript event that
      // follows (the agent's own sidebar shows them), in spoken order.
      const sentimentData = [...text.matchAll(/event: sentiment\ndata: (.*)\n\n/g)].map((m) => m[1]);
      expect(sentimentData.join('')).not.toContain('third time');
      await readUntil(/event: transcript\ndata: .*I want to cancel/);
      const transcripts = [...text.matchAll(/event: transcript\ndata: (.*)\n\n/g)];
      const last = JSON.parse(transcripts.at(-1)![1]!) as {
        contactId: string;
        turns: Array<{ participant: string; text: string; sentiment: string }>;
      };
      expect(last.contactId).toBe(call.initialContactId);
      expect(last.turns.map((u) => [u.participant, u.text, u.sentiment])).toEqual([
        ['CUSTOMER', 'My order never came.', 'NEGATIVE'],
        ['AGENT', 'I am sorry, let me check.', 'NEUTRAL'],
        ['CUSTOMER', 'This is the third time.', 'NEGATIVE'],
        ['CUSTOMER', 'I want to cancel.', 'NEGATIVE'],
      ]);
    } finally {
      controller.abort();
    }

    const get = await fetch(`${h.url}/v1/app/contacts/${call.initialContactId}/sentiment`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ sentiment: { label: 'NEGATIVE', alert: { active: true } } });
    expect((await fetch(`${h.url}/v1/app/contacts/${call.initialContactId}/sentiment`)).status).toBe(401);
  });
});

describe('suggestions for a live contact', () => {
  test('when the sidebar asks with the contact id only, then the server reads the customer turns and suggests from the matching article; before the customer spoke it answers null', async () => {
    h.zendesk.putArticle({
      id: 9101,
      title: 'Cancel your subscription',
      body: '<p>To cancel your subscription, open Account, choose Plan and click Cancel subscription.</p>',
    });
    h.zendesk.putArticle({
      id: 9102,
      title: 'Shipping times',
      body: '<p>Orders ship within two business days.</p>',
    });
    const tenant = (await h.running.ctx.tenants.get(h.tenant.tenant))!;
    await syncHelpCenter(
      h.running.ctx.helpCenter,
      await h.running.ctx.zendeskFor(tenant),
      tenant.id,
      h.running.ctx.logger,
    );
    h.running.ctx.suggestions.invalidate(tenant.id);
    const call = await liveCall('+14155550603');
    const token = await zafToken(h.tenant.tenant, h.tenant.appSecret);
    const ask = async (body: unknown) => {
      const res = await fetch(`${h.url}/v1/app/suggestions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        body: (await res.json()) as { suggestion: Record<string, unknown> | null },
      };
    };
    expect(await ask({ contactId: call.initialContactId, ticketId: 77 })).toEqual({
      status: 200,
      body: { suggestion: null },
    });
    expect((await ask({ ticketId: 77 })).status).toBe(400);

    await ingest({
      records: [
        {
          data: b64({
            ...recordsFor(call.initialContactId)[0],
            Segments: [
              said('s1', 'AGENT', 'Shipping is two days, anything else?', 500, 'NEUTRAL'),
              said('s2', 'CUSTOMER', 'I want to cancel my subscription please.', 3000, 'NEGATIVE'),
            ],
          }),
        },
      ],
    });
    const res = await ask({ contactId: call.initialContactId, ticketId: 77 });
    expect(res.status).toBe(200);
    const suggestion = res.body.suggestion as {
      id: string;
      articles: Array<{ id: number }>;
      provider: string;
    };
    expect(suggestion.articles[0]!.id).toBe(9101);
    expect(suggestion.provider).toBe('local');
    const stored = await h.running.ctx.db.query<{
      initial_contact_id: string;
      ticket_id: string;
      locale: string;
    }>('SELECT initial_contact_id, ticket_id::text, locale FROM suggestions WHERE id = $1', [suggestion.id]);
    // The language Contact Lens heard (the fixture's) when the sidebar sends none.
    expect(stored[0]).toEqual({
      initial_contact_id: call.initialContactId,
      ticket_id: '77',
      locale: (recordsFor(call.initialContactId)[0] as Record<string, unknown>).LanguageCode,
    });
  });
});

describe('polling Contact Lens while the contact is live', () => {
  test('when the agent is connected, then segments are polled into the timeline; at DISCONNECTED polling stops and the final sentiment from the timeline is written once', async () => {
    const call = await liveCall('+14155550603');
    const id = call.initialContactId;
    lens.release(id, [
      said('p1', 'AGENT', 'Thanks for calling, how can I help?', 0, 'POSITIVE'),
      said('p2', 'CUSTOMER', 'You charged me twice.', 3000, 'NEGATIVE'),
    ]);
    const timeline = () => h.running.ctx.sentiment.summary(h.tenant.tenant, id);
    await h.until(async () => (await timeline())?.utterances === 2);
    lens.release(id, [said('p3', 'CUSTOMER', 'I am really upset.', 6000, 'NEGATIVE')]);
    await h.until(async () => (await timeline())?.utterances === 3);
    const voice = lens.requests.filter((r) => r.contactId === id);
    expect(voice[0]).toMatchObject({ api: 'v1', instanceId: h.connect.instanceId, signed: true });
    expect(voice.some((r) => typeof r.body.NextToken === 'string')).toBe(true);

    await h.post(call.events[3]); // DISCONNECTED
    await h.until(
      async () =>
        (await h.running.ctx.sentiment.deps.repo.leg(h.tenant.tenant, id))?.stopReason === 'disconnected',
    );
    const polled = lens.count(id);
    await new Promise((r) => setTimeout(r, 2500));
    expect(lens.count(id)).toBe(polled);

    await h.until(() => sentimentNotes(ticketOf(call)).length === 1, 20_000);
    const ticket = ticketOf(call)!;
    expect(sentimentNotes(ticket)[0]!.body).toMatch(
      /Customer sentiment: Negative \(−5\.0 on a −5 to \+5 scale\)/,
    );
    expect(sentimentNotes(ticket)[0]!.body).toMatch(/live sentiment timeline \(2 customer utterances\)/);
    expect(sentimentNotes(ticket)[0]!.body).not.toContain('charged');
    expect(ticket.tags).toContain('concierge_sentiment_negative');
    await h.running.ctx.queues.enqueueSentimentFinal({ tenantId: h.tenant.tenant, initialContactId: id }, 0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentimentNotes(ticketOf(call))).toHaveLength(1);
  }, 60_000);
});

describe('chat without Contact Lens sentiment', () => {
  test('when a chat is polled through the V2 API and its messages carry no sentiment, then the AI provider scores the customer', async () => {
    const id = randomUUID();
    const start = Date.now() - 60_000;
    h.connect.putContact({
      contactId: id,
      initialContactId: id,
      channel: 'CHAT',
      initiationMethod: 'API',
      initiationTimestamp: new Date(start).toISOString(),
      agentId: 'agent-1',
      connectedToAgentTimestamp: new Date(start + 5000).toISOString(),
      nextContactIds: [],
      attributes: {},
    });
    const arn = h.connect.instanceArn;
    await h.post([
      envelope(arn, { contactId: id, eventType: 'INITIATED', channel: 'CHAT' }, new Date(start)),
      envelope(
        arn,
        { contactId: id, eventType: 'CONNECTED_TO_AGENT', channel: 'CHAT', agentArn: `${arn}/agent/agent-1` },
        new Date(start + 5000),
      ),
    ]);
    const message = (mid: string, role: string, text: string, at: number) => ({
      Transcript: {
        Id: mid,
        ParticipantId: role,
        ParticipantRole: role,
        Content: text,
        Time: { AbsoluteTime: new Date(at).toISOString() },
      },
    });
    lens.release(id, [
      message(
        'c1',
        'CUSTOMER',
        'This is terrible, the app crashed again and I lost my work. I am very angry.',
        start + 6000,
      ),
      message('c2', 'AGENT', 'I am sorry about that, let me help.', start + 9000),
      message('c3', 'CUSTOMER', 'Thank you, that works great now, wonderful!', start + 20000),
    ]);
    const summary = () => h.running.ctx.sentiment.summary(h.tenant.tenant, id);
    await h.until(async () => (await summary())?.trend.length === 2, 20_000);
    const s = (await summary())!;
    expect(s.last?.source).toBe('provider');
    expect(s.trend[0]!.score).toBeLessThan(s.trend[1]!.score);
    expect(s.trend[1]!.t - s.trend[0]!.t).toBe(14_000); // placed by message time
    const chat = lens.requests.filter((r) => r.contactId === id);
    expect(chat[0]).toMatchObject({ api: 'v2', body: { OutputType: 'Raw' } });
  }, 60_000);
});

describe('post-call analysis', () => {
  test('when the post-call output arrives, then its overall and quarters go to the ticket as one note with a trigger tag, and a repeat writes nothing', async () => {
    const call = scriptCall(h.connect, 'answered', '+14155550604');
    await h.post(call.events);
    await h.until(() => ticketOf(call)?.comments.some((c) => c.voice_comment) === true);
    const output = fixture<{ CustomerMetadata: Record<string, string> }>(
      'scv_contact-lens_postcall_voice_v1.1.0.json',
    );
    output.CustomerMetadata = {
      ...output.CustomerMetadata,
      ContactId: call.initialContactId,
      InstanceId: h.connect.instanceId,
    };
    const first = await ingest(output, {}, '/v1/connect/contact-lens/post-call');
    expect(first).toEqual({
      status: 202,
      body: { contactId: call.initialContactId, accepted: 1, duplicates: 0 },
    });
    await h.until(() => sentimentNotes(ticketOf(call)).length === 1, 20_000);
    const note = sentimentNotes(ticketOf(call))[0]!.body!;
    expect(note).toContain('Customer sentiment: Neutral (+0.8 on a −5 to +5 scale)');
    expect(note).toContain('By quarter of the conversation: Q1 +1.3 · Q2 0.0 · Q3 0.0 · Q4 0.0');
    expect(note).toContain('Contact Lens post-call analysis');
    expect(ticketOf(call)!.tags).toContain('concierge_sentiment_neutral');

    const again = await ingest(output, {}, '/v1/connect/contact-lens/post-call');
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const bad = await ingest({ Version: '1.1.0' }, {}, '/v1/connect/contact-lens/post-call');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('CustomerMetadata');
    await new Promise((r) => setTimeout(r, 1500));
    expect(sentimentNotes(ticketOf(call))).toHaveLength(1);
    expect(h.zendesk.specViolations).toEqual([]);
  }, 60_000);
});
