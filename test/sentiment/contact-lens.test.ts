import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import {
  ContactLensError,
  createContactLensClient,
  parsePostCallAnalysis,
  parseSegmentStream,
  type ContactLensApiClient,
} from '../../server/connect/contact-lens';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/connect');
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;

const INSTANCE = '4defbdc5-3029-456e-9bf3-a0d168cf409c';
const ARN = `arn:aws:connect:us-west-2:698414421362:instance/${INSTANCE}`;
const CONTACT = 'd5187cb8-f83f-471d-b724-bfb242b34b59';
const VOICE_HOST = 'https://contact-lens.us-west-2.amazonaws.com';
const CHAT_HOST = 'https://connect.us-west-2.amazonaws.com';

interface PostCallTurn {
  Id: string;
  ParticipantId: string;
  Content: string;
  BeginOffsetMillis: number;
  EndOffsetMillis: number;
  Sentiment: string;
}
interface ChatItem {
  Id: string;
  Type: string;
  ParticipantId: string;
  ParticipantRole: string;
  DisplayName: string;
  Content?: string;
  ContentType: string;
  AbsoluteTime: string;
}

/** Voice segments as ListRealtimeContactAnalysisSegments returns them, built from the fixtures' turns. */
function voiceSegments(): Record<string, unknown>[] {
  const turns = fixture<{ Transcript: PostCallTurn[] }>(
    'scv_contact-lens_postcall_voice_v1.1.0.json',
  ).Transcript;
  const stream = fixture<Array<{ Segments: Array<Record<string, unknown>> }>>(
    'scv_contact-lens_realtime_segments.json',
  );
  const categories = stream[1]!.Segments[0]!.Categories;
  return [
    ...turns.slice(0, 4).map((t) => ({
      Transcript: {
        Id: t.Id,
        ParticipantId: t.ParticipantId,
        ParticipantRole: t.ParticipantId,
        Content: t.Content,
        BeginOffsetMillis: t.BeginOffsetMillis,
        EndOffsetMillis: t.EndOffsetMillis,
        Sentiment: t.Sentiment,
        IssuesDetected: [],
      },
    })),
    { Categories: categories },
  ];
}

/** Chat segments as ListRealtimeContactAnalysisSegmentsV2 returns them, from the AWS docs' chat sample. */
function chatSegments(): { segments: Record<string, unknown>[]; messages: ChatItem[] } {
  const doc = fixture<{
    Transcript: ChatItem[];
    ConversationCharacteristics: {
      Sentiment: {
        DetailsByTranscriptItemGroup: Array<{ Sentiment: string; TranscriptItems: Array<{ Id: string }> }>;
      };
    };
  }>('awsdocs_contact-lens_chat_original.json');
  const sentiment = new Map<string, string>();
  for (const g of doc.ConversationCharacteristics.Sentiment.DetailsByTranscriptItemGroup)
    for (const item of g.TranscriptItems) sentiment.set(item.Id, g.Sentiment);
  const messages = doc.Transcript.filter((t) => t.Type === 'MESSAGE').slice(0, 8);
  return {
    messages,
    segments: [
      ...messages.map((m) => ({
        Transcript: {
          Id: m.Id,
          ParticipantId: m.ParticipantId,
          ParticipantRole: m.ParticipantRole,
          DisplayName: m.DisplayName,
          Content: m.Content,
          ContentType: m.ContentType,
          Time: { AbsoluteTime: m.AbsoluteTime }, // RFC 3339, as the SDK insists
          ...(sentiment.has(m.Id) ? { Sentiment: sentiment.get(m.Id) } : {}),
        },
      })),
      {
        Issues: {
          IssuesDetected: [
            {
              TranscriptItems: [
                { Id: messages[6]!.Id, CharacterOffsets: { BeginOffsetChar: 0, EndOffsetChar: 40 } },
              ],
            },
          ],
        },
      },
      { Categories: { MatchedDetails: { 'agent-intro': { PointsOfInterest: [] } } } },
    ],
  };
}

const ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_MAX_ATTEMPTS',
];
const ENDPOINTS = ['AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS', 'AWS_ENDPOINT_URL_CONNECT', 'AWS_ENDPOINT_URL'];
const saved: Record<string, string | undefined> = {};
let client: ContactLensApiClient;

beforeAll(() => {
  for (const k of [...ENV, ...ENDPOINTS]) saved[k] = process.env[k];
  for (const k of ENDPOINTS) delete process.env[k];
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
  process.env.AWS_MAX_ATTEMPTS = '1';
  nock.disableNetConnect();
});
beforeEach(() => {
  client = createContactLensClient();
});
afterEach(() => {
  client.destroy();
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('Contact Lens real-time list APIs', () => {
  test('when a voice contact is listed, then ListRealtimeContactAnalysisSegments is called in the ARN region and its turns come back normalised', async () => {
    let body: Record<string, unknown> = {};
    let signed = false;
    const scope = nock(VOICE_HOST)
      .post('/realtime-contact-analysis/analysis-segments', (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(function () {
        signed = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d+\/us-west-2\/connect\//.test(
          String(this.req.headers.authorization),
        );
        return [200, { Segments: voiceSegments(), NextToken: 'tok-2' }];
      });
    const page = await client.listSegments({
      instanceArn: ARN,
      contactId: CONTACT,
      channel: 'VOICE',
      nextToken: 'tok-1',
    });
    scope.done();
    expect(body).toEqual({ InstanceId: INSTANCE, ContactId: CONTACT, MaxResults: 100, NextToken: 'tok-1' });
    expect(signed).toBe(true);
    expect(page.nextToken).toBe('tok-2');
    expect(page.segmentCount).toBe(5);
    expect(page.categories).toEqual(['keyWord']);
    expect(page.utterances).toHaveLength(4);
    expect(page.utterances[1]).toEqual({
      segmentId: '942384ef-b973-4a74-98d8-ab4d1c242dfc',
      participant: 'CUSTOMER',
      text: 'Mhm.',
      sentiment: 'NEUTRAL',
      beginOffsetMs: 2580,
      endOffsetMs: 3095,
    });
  });

  test('when the voice analysis is over, then the page carries no NextToken', async () => {
    nock(VOICE_HOST).post('/realtime-contact-analysis/analysis-segments').reply(200, { Segments: [] });
    const page = await client.listSegments({ instanceArn: ARN, contactId: CONTACT, channel: 'VOICE' });
    expect(page.nextToken).toBeUndefined();
    expect(page.utterances).toEqual([]);
  });

  test('when a chat contact is listed, then the V2 API is called with OutputType Raw and the Transcript segment type, and offsets come from message times', async () => {
    const { segments, messages } = chatSegments();
    let body: Record<string, unknown> = {};
    const scope = nock(CHAT_HOST)
      .post(
        `/contact/list-real-time-analysis-segments-v2/${INSTANCE}/${CONTACT}`,
        (b: Record<string, unknown>) => {
          body = b;
          return true;
        },
      )
      .reply(200, { Channel: 'CHAT', Status: 'IN_PROGRESS', Segments: segments, NextToken: 'chat-2' });
    const origin = Date.parse(messages[0]!.AbsoluteTime);
    const page = await client.listSegments({
      instanceArn: ARN,
      contactId: CONTACT,
      channel: 'CHAT',
      originMs: origin,
    });
    scope.done();
    expect(body).toMatchObject({ OutputType: 'Raw', MaxResults: 100 });
    expect(body.SegmentTypes).toEqual(expect.arrayContaining(['Transcript']));
    expect(page.nextToken).toBe('chat-2');
    expect(page.categories).toEqual(['agent-intro']);
    const customer = page.utterances.find((u) => u.segmentId === messages[6]!.Id)!;
    expect(customer).toMatchObject({
      participant: 'CUSTOMER',
      text: messages[6]!.Content,
      beginOffsetMs: Date.parse(messages[6]!.AbsoluteTime) - origin,
      issues: [[0, 40]],
    });
    expect(page.utterances.filter((u) => u.participant === 'SYSTEM')).toHaveLength(3);
    expect(
      page.utterances.every(
        (u) => u.sentiment === undefined || ['POSITIVE', 'NEUTRAL', 'NEGATIVE'].includes(u.sentiment),
      ),
    ).toBe(true);
  });

  test('when the chat session is COMPLETED and the last page is read, then no NextToken is handed on', async () => {
    nock(CHAT_HOST)
      .post(`/contact/list-real-time-analysis-segments-v2/${INSTANCE}/${CONTACT}`)
      .reply(200, { Channel: 'CHAT', Status: 'COMPLETED', Segments: [], NextToken: 'stale' });
    const page = await client.listSegments({ instanceArn: ARN, contactId: CONTACT, channel: 'CHAT' });
    expect(page.nextToken).toBeUndefined();
  });

  test.each([
    [404, 'ResourceNotFoundException', 'not_found'],
    [403, 'AccessDeniedException', 'access_denied'],
    [429, 'ThrottlingException', 'throttled'],
    [400, 'InvalidRequestException', 'invalid'],
    [500, 'InternalServiceException', 'transient'],
  ])('when Contact Lens answers %i %s, then the error is classified %s', async (status, type, kind) => {
    nock(VOICE_HOST)
      .post('/realtime-contact-analysis/analysis-segments')
      .reply(status, { Message: 'no' }, { 'x-amzn-errortype': type });
    const err = await client
      .listSegments({ instanceArn: ARN, contactId: CONTACT, channel: 'VOICE' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContactLensError);
    expect((err as ContactLensError).kind).toBe(kind);
  });

  test('when AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS is set, then voice calls go there', async () => {
    process.env.AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS = 'https://lens.example.test';
    const local = createContactLensClient();
    try {
      const scope = nock('https://lens.example.test')
        .post('/realtime-contact-analysis/analysis-segments')
        .reply(200, { Segments: [], NextToken: 'x' });
      await local.listSegments({ instanceArn: ARN, contactId: CONTACT, channel: 'VOICE' });
      scope.done();
    } finally {
      local.destroy();
      delete process.env.AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS;
    }
  });
});

describe('the Contact Lens segment stream and post-call output', () => {
  const records = fixture<unknown[]>('scv_contact-lens_realtime_segments.json');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

  test('when the fixture records arrive as a Firehose delivery, then utterances and categories are decoded', () => {
    const parsed = parseSegmentStream({
      requestId: 'req-1',
      timestamp: 1,
      records: records.map((r) => ({ data: b64(r) })),
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.firehoseRequestId).toBe('req-1');
    expect(parsed.events).toHaveLength(2);
    expect(parsed.events[0]).toMatchObject({
      eventType: 'SEGMENTS',
      contactId: CONTACT,
      instanceId: INSTANCE,
      channel: 'VOICE',
      languageCode: 'en-US',
    });
    expect(parsed.events[0]!.batch.utterances).toEqual([
      {
        segmentId: '5a859b25-e047-454f-b47f-c78ee2a33f08',
        participant: 'AGENT',
        text: 'Testing.',
        sentiment: 'NEUTRAL',
        beginOffsetMs: 19230,
        endOffsetMs: 19855,
        partial: true,
        pieceId: '5a859b25-e047-454f-b47f-c78ee2a33f08',
      },
    ]);
    expect(parsed.events[1]!.batch.categories).toEqual(['keyWord']);
  });

  test.each([
    ['a Lambda Kinesis event', () => ({ Records: records.map((r) => ({ kinesis: { data: b64(r) } })) })],
    ['an EventBridge Pipes batch', () => records.map((r) => ({ data: b64(r) }))],
    ['decoded events', () => records],
  ])('when the records arrive as %s, then they parse the same', (_name, body) => {
    const parsed = parseSegmentStream(body());
    expect(parsed.ok && parsed.events.map((e) => e.batch)).toEqual([
      expect.objectContaining({ utterances: [expect.objectContaining({ text: 'Testing.' })] }),
      expect.objectContaining({ categories: ['keyWord'] }),
    ]);
  });

  test('when a record is not base64 JSON or misses a field, then the errors name where', () => {
    const bad = structuredClone(records[0]) as { Segments: Array<{ Utterance: Record<string, unknown> }> };
    delete bad.Segments[0]!.Utterance.Id;
    const parsed = parseSegmentStream({
      records: [{ data: b64(records[1]) }, { data: '%%%' }, { data: b64(bad) }],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.path)).toEqual([
      'records[1].data',
      'records[2].data.Segments[0].Utterance.Id',
    ]);
  });

  test('when the voice post-call output is read, then the customer overall and quarter scores come out', () => {
    const parsed = parsePostCallAnalysis(fixture('scv_contact-lens_postcall_voice_v1.1.0.json'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.analysis).toMatchObject({
      contactId: '7c77422d-f9ba-4111-ad48-b2f5dadf854a',
      instanceId: '5f046746-5931-45cc-a614-43b75eca2a5f',
      channel: 'VOICE',
      customerOverall: 0.8,
      agentOverall: 0,
      durationMs: 86727,
    });
    expect(parsed.analysis.customerQuarters.map((q) => q.score)).toEqual([1.3, 0, 0, 0]);
    expect(JSON.stringify(parsed.analysis)).not.toContain('Mhm');
  });

  test('when the chat post-call output is read, then the customer overall comes from DetailsByParticipantRole', () => {
    const parsed = parsePostCallAnalysis(fixture('awsdocs_contact-lens_chat_original.json'));
    expect(parsed.ok && parsed.analysis).toMatchObject({
      channel: 'CHAT',
      customerOverall: 0,
      customerQuarters: [],
      customerShift: { begin: -3.75, end: 3.75 },
    });
  });

  test('when the post-call output has no contact id, then the error names CustomerMetadata', () => {
    const parsed = parsePostCallAnalysis({ Version: '1.1.0', Channel: 'VOICE' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors[0]!.path).toBe('CustomerMetadata');
  });
});
