/**
 * Amazon Connect Contact Lens, real time and post-call: the two list APIs we poll, the segment stream
 * Contact Lens pushes to Kinesis, and the post-call output file. Everything is normalised here into
 * the few shapes the sentiment domain works with; AWS shapes never leave this module.
 *
 *   voice → ListRealtimeContactAnalysisSegments   (@aws-sdk/client-connect-contact-lens)
 *   chat  → ListRealtimeContactAnalysisSegmentsV2 (@aws-sdk/client-connect; OutputType, SegmentTypes)
 *
 * SDK standard configuration: region from the instance ARN, default credential chain, and the SDK's
 * own AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS / AWS_ENDPOINT_URL_CONNECT overrides.
 * Transcript text is personal data: it is returned to the caller, never logged here.
 */
import {
  ConnectContactLensClient,
  ListRealtimeContactAnalysisSegmentsCommand,
  type RealtimeContactAnalysisSegment,
} from '@aws-sdk/client-connect-contact-lens';
import {
  ConnectClient,
  ListRealtimeContactAnalysisSegmentsV2Command,
  type RealtimeContactAnalysisSegment as RealtimeSegmentV2,
} from '@aws-sdk/client-connect';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatPath, instanceIdFromArn, regionFromArn, type ParseError } from './events';

// ---------------------------------------------------------------------------------------------
// Normalised shapes

export type SentimentLabel = 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE';
export type Participant = 'CUSTOMER' | 'AGENT' | 'SYSTEM' | 'CUSTOM_BOT' | 'SUPERVISOR' | (string & {});

export interface Utterance {
  /** Transcript id; for a stream `Utterance` piece, the transcript it belongs to (see `partial`). */
  segmentId: string;
  participant: Participant;
  text: string;
  sentiment?: SentimentLabel;
  /** From the start of the analysed contact; chat messages are placed by their time (see `atMs`). */
  beginOffsetMs: number;
  endOffsetMs: number;
  /** Chat: the message's absolute time (epoch ms). Offsets are then relative to `originMs`. */
  atMs?: number;
  /** A piece (stream `Utterance`) of a transcript turn still being spoken; `pieceId` is its own id. */
  partial?: boolean;
  pieceId?: string;
  /** Character ranges of `text` where Contact Lens detected an issue. */
  issues?: Array<[number, number]>;
}

export interface SegmentBatch {
  utterances: Utterance[];
  /** Contact Lens rule categories matched so far. */
  categories: string[];
}

export interface SegmentPage extends SegmentBatch {
  /** Continue with this token; absent once the analysis session is over (nothing more will come). */
  nextToken?: string;
  /** How many segments the page held (a full page means more may be waiting right now). */
  segmentCount: number;
}

export type ContactLensChannel = 'VOICE' | 'CHAT';

export interface ListSegmentsRequest {
  instanceArn: string;
  contactId: string;
  channel: ContactLensChannel;
  nextToken?: string;
  maxResults?: number;
  /** Chat: the time offsets are measured from (epoch ms); defaults to the first message of the page. */
  originMs?: number;
}

export interface ContactLensApi {
  listSegments(req: ListSegmentsRequest): Promise<SegmentPage>;
}

export type ContactLensErrorKind = 'not_found' | 'access_denied' | 'invalid' | 'throttled' | 'transient';

/** A failed list call, classified so the poller knows whether to wait, back off or give up. */
export class ContactLensError extends Error {
  constructor(
    message: string,
    readonly kind: ContactLensErrorKind,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ContactLensError';
  }
}

export const MAX_RESULTS = 100;
const CHAT_SEGMENT_TYPES = ['Transcript', 'Categories', 'Issues'] as const;

// ---------------------------------------------------------------------------------------------
// Client

export interface ContactLensClientOptions {
  logger?: Logger;
  /** SDK client builders per region; the defaults use the SDK's standard configuration. */
  voiceClientFor?: (region: string) => ConnectContactLensClient;
  chatClientFor?: (region: string) => ConnectClient;
}

export interface ContactLensApiClient extends ContactLensApi {
  /** Closes the SDK clients this module built; injected ones are left alone. */
  destroy(): void;
}

export function createContactLensClient(opts: ContactLensClientOptions = {}): ContactLensApiClient {
  const log = opts.logger?.child({ module: 'contact-lens' });
  const voice = new Map<string, ConnectContactLensClient>();
  const chat = new Map<string, ConnectClient>();
  const voiceFor = (region: string) => {
    let c = voice.get(region);
    if (!c)
      voice.set(region, (c = opts.voiceClientFor?.(region) ?? new ConnectContactLensClient({ region })));
    return c;
  };
  const chatFor = (region: string) => {
    let c = chat.get(region);
    if (!c) chat.set(region, (c = opts.chatClientFor?.(region) ?? new ConnectClient({ region })));
    return c;
  };

  return {
    async listSegments(req) {
      const instanceId = instanceIdFromArn(req.instanceArn);
      const region = regionFromArn(req.instanceArn);
      const maxResults = Math.min(MAX_RESULTS, Math.max(1, req.maxResults ?? MAX_RESULTS));
      const ids = { instanceId, contactId: req.contactId, channel: req.channel };
      const started = Date.now();
      try {
        if (req.channel === 'VOICE') {
          const out = await voiceFor(region).send(
            new ListRealtimeContactAnalysisSegmentsCommand({
              InstanceId: instanceId,
              ContactId: req.contactId,
              MaxResults: maxResults,
              NextToken: req.nextToken,
            }),
          );
          const segments = out.Segments ?? [];
          log?.debug({ ...ids, segments: segments.length, ms: Date.now() - started }, 'contact lens page');
          return {
            ...normaliseVoiceSegments(segments),
            nextToken: out.NextToken || undefined,
            segmentCount: segments.length,
          };
        }
        const out = await chatFor(region).send(
          new ListRealtimeContactAnalysisSegmentsV2Command({
            InstanceId: instanceId,
            ContactId: req.contactId,
            OutputType: 'Raw',
            SegmentTypes: [...CHAT_SEGMENT_TYPES],
            MaxResults: maxResults,
            NextToken: req.nextToken,
          }),
        );
        const segments = out.Segments ?? [];
        log?.debug({ ...ids, segments: segments.length, ms: Date.now() - started }, 'contact lens page');
        // V2 says when the session is over; V1 says it by leaving NextToken out.
        const over = out.Status === 'COMPLETED' || out.Status === 'FAILED';
        return {
          ...normaliseChatSegments(segments, req.originMs),
          nextToken: out.NextToken && !(over && segments.length < maxResults) ? out.NextToken : undefined,
          segmentCount: segments.length,
        };
      } catch (err) {
        const classified = classify(err);
        // Ids, error name and status only: the SDK's message can echo request data.
        log?.[classified.kind === 'access_denied' || classified.kind === 'invalid' ? 'warn' : 'info'](
          { ...ids, err: { name: (err as Error)?.name, status: classified.status, kind: classified.kind } },
          'contact lens call failed',
        );
        throw classified;
      }
    },
    destroy() {
      if (!opts.voiceClientFor) for (const c of voice.values()) c.destroy();
      if (!opts.chatClientFor) for (const c of chat.values()) c.destroy();
      voice.clear();
      chat.clear();
    },
  };
}

function classify(err: unknown): ContactLensError {
  const e = (err ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const kind: ContactLensErrorKind =
    name === 'ResourceNotFoundException' || status === 404
      ? 'not_found'
      : name === 'AccessDeniedException' || status === 403 || status === 401
        ? 'access_denied'
        : name === 'ThrottlingException' || name === 'TooManyRequestsException' || status === 429
          ? 'throttled'
          : name === 'InvalidRequestException' || name === 'InvalidParameterException' || status === 400
            ? 'invalid'
            : 'transient';
  return new ContactLensError(`${name}${status ? ` (${status})` : ''}`, kind, status, { cause: err });
}

// ---------------------------------------------------------------------------------------------
// AWS segments → utterances

const LABELS = new Set(['POSITIVE', 'NEUTRAL', 'NEGATIVE']);
/** Transcribe's MIXED (seen in some streams) carries no direction: neutral. */
const label = (v: string | undefined): SentimentLabel | undefined =>
  v === undefined ? undefined : LABELS.has(v) ? (v as SentimentLabel) : v === 'MIXED' ? 'NEUTRAL' : undefined;

const role = (r: string | undefined, id: string | undefined): Participant =>
  (r || id || 'UNKNOWN').toUpperCase();

const issueRanges = (
  issues: Array<{ CharacterOffsets?: { BeginOffsetChar?: number; EndOffsetChar?: number } }> | undefined,
): Array<[number, number]> | undefined => {
  const out = (issues ?? [])
    .map((i) => [i.CharacterOffsets?.BeginOffsetChar, i.CharacterOffsets?.EndOffsetChar])
    .filter((r): r is [number, number] => typeof r[0] === 'number' && typeof r[1] === 'number');
  return out.length ? out : undefined;
};

const categoriesOf = (c: { MatchedCategories?: string[]; MatchedDetails?: object } | undefined) => [
  ...(c?.MatchedCategories ?? []),
  ...Object.keys(c?.MatchedDetails ?? {}),
];

/** ListRealtimeContactAnalysisSegments (voice): Transcript and Categories segments. */
export function normaliseVoiceSegments(segments: RealtimeContactAnalysisSegment[]): SegmentBatch {
  const utterances: Utterance[] = [];
  const categories = new Set<string>();
  for (const s of segments) {
    const t = s.Transcript;
    if (t?.Id && t.Content !== undefined) {
      const issues = issueRanges(t.IssuesDetected);
      utterances.push({
        segmentId: t.Id,
        participant: role(t.ParticipantRole, t.ParticipantId),
        text: t.Content,
        ...opt('sentiment', label(t.Sentiment)),
        beginOffsetMs: t.BeginOffsetMillis ?? 0,
        endOffsetMs: t.EndOffsetMillis ?? t.BeginOffsetMillis ?? 0,
        ...opt('issues', issues),
      });
    }
    for (const c of categoriesOf(s.Categories)) categories.add(c);
  }
  return { utterances, categories: [...categories] };
}

/**
 * ListRealtimeContactAnalysisSegmentsV2 (chat): Transcript, Categories and Issues segments. Chat
 * messages carry an absolute time, not offsets: offsets are measured from `originMs`.
 */
export function normaliseChatSegments(segments: RealtimeSegmentV2[], originMs?: number): SegmentBatch {
  const times = segments
    .map((s) => s.Transcript?.Time?.AbsoluteTime)
    .filter((d): d is Date => d instanceof Date)
    .map((d) => d.getTime());
  const origin = originMs ?? (times.length ? Math.min(...times) : 0);
  const utterances: Utterance[] = [];
  const issuesById = new Map<string, Array<[number, number]>>();
  const categories = new Set<string>();
  for (const s of segments) {
    for (const issue of s.Issues?.IssuesDetected ?? [])
      for (const item of issue.TranscriptItems ?? []) {
        const o = item.CharacterOffsets;
        if (item.Id && o)
          issuesById.set(item.Id, [
            ...(issuesById.get(item.Id) ?? []),
            [o.BeginOffsetChar ?? 0, o.EndOffsetChar ?? 0],
          ]);
      }
    for (const c of Object.keys(s.Categories?.MatchedDetails ?? {})) categories.add(c);
  }
  for (const s of segments) {
    const t = s.Transcript;
    if (!t?.Id || t.Content === undefined) continue;
    const at = t.Time?.AbsoluteTime instanceof Date ? t.Time.AbsoluteTime.getTime() : undefined;
    const offset = at === undefined ? 0 : at - origin;
    utterances.push({
      segmentId: t.Id,
      participant: role(t.ParticipantRole, t.ParticipantId),
      text: t.Content,
      ...opt('sentiment', label(t.Sentiment)),
      beginOffsetMs: offset,
      endOffsetMs: offset,
      ...opt('atMs', at),
      ...opt('issues', issuesById.get(t.Id)),
    });
  }
  return { utterances, categories: [...categories] };
}

function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

// ---------------------------------------------------------------------------------------------
// The real-time segment stream (Kinesis): STARTED / SEGMENTS / COMPLETED / FAILED events

const id = z.string().min(1).max(256);
const offset = z.number().int().min(0);
const sentimentValue = z.enum(['POSITIVE', 'NEUTRAL', 'NEGATIVE', 'MIXED']);
const charOffsets = z.object({ BeginOffsetChar: z.number().int(), EndOffsetChar: z.number().int() });
const issuesDetected = z.array(z.object({ CharacterOffsets: charOffsets.optional() }).loose()).optional();
const absoluteTime = z.iso.datetime({ offset: true });

const streamUtterance = z
  .object({
    Id: id,
    TranscriptId: id.optional(),
    ParticipantId: z.string().optional(),
    ParticipantRole: z.string().optional(),
    PartialContent: z.string(),
    BeginOffsetMillis: offset,
    EndOffsetMillis: offset,
    Sentiment: sentimentValue.optional(),
    IssuesDetected: issuesDetected,
  })
  .loose();

const streamTranscript = z
  .object({
    Id: id,
    ParticipantId: z.string().optional(),
    ParticipantRole: z.string().optional(),
    Content: z.string(),
    BeginOffsetMillis: offset.optional(),
    EndOffsetMillis: offset.optional(),
    // Chat streams place messages in time instead of offsets.
    AbsoluteTime: absoluteTime.optional(),
    Time: z.object({ AbsoluteTime: absoluteTime.optional() }).loose().optional(),
    Sentiment: sentimentValue.optional(),
    IssuesDetected: issuesDetected,
  })
  .loose()
  .refine((t) => t.BeginOffsetMillis !== undefined || t.AbsoluteTime || t.Time?.AbsoluteTime, {
    message: 'needs BeginOffsetMillis (voice) or AbsoluteTime (chat)',
  });

const streamSegment = z
  .object({
    Utterance: streamUtterance.optional(),
    Transcript: streamTranscript.optional(),
    Categories: z
      .object({
        MatchedCategories: z.array(z.string()),
        MatchedDetails: z.record(z.string(), z.unknown()).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const streamEvent = z
  .object({
    Version: z.string().optional(),
    Channel: z.string().optional(),
    AccountId: z.string().optional(),
    InstanceId: id,
    ContactId: id,
    LanguageCode: z.string().optional(),
    EventType: z.enum(['STARTED', 'SEGMENTS', 'COMPLETED', 'FAILED']),
    Segments: z.array(streamSegment).max(1000).optional(),
  })
  .loose();

export type StreamEventType = 'STARTED' | 'SEGMENTS' | 'COMPLETED' | 'FAILED';

/** One decoded record of the segment stream, with its segments already normalised. */
export interface StreamEvent {
  eventType: StreamEventType;
  instanceId: string;
  contactId: string;
  channel: ContactLensChannel;
  languageCode?: string;
  batch: SegmentBatch;
}

export type ParseStreamResult =
  { ok: true; events: StreamEvent[]; firehoseRequestId?: string } | { ok: false; errors: ParseError[] };

export const MAX_STREAM_RECORDS = 500;

/**
 * Accepts the ways a Kinesis record of the segment stream can reach an HTTPS endpoint:
 *   - Firehose HTTP endpoint delivery: `{ requestId, timestamp, records: [{ data: <base64> }] }`
 *   - a Lambda Kinesis event passed on as is: `{ Records: [{ kinesis: { data: <base64> } }] }`
 *   - EventBridge Pipes (batch or single): `[{ data: <base64> }]` / `{ data: <base64> }`
 *   - already decoded events: one event object or an array of them.
 * All or nothing: an invalid record fails the whole request, naming where (`records[2].data.ContactId`).
 */
export function parseSegmentStream(body: unknown): ParseStreamResult {
  const errors: ParseError[] = [];
  const decoded: Array<{ value: unknown; path: PropertyKey[] }> = [];
  let firehoseRequestId: string | undefined;

  const decode = (data: unknown, path: PropertyKey[]) => {
    if (typeof data !== 'string' || data.length === 0) {
      errors.push({ path: formatPath(path), message: 'expected base64-encoded JSON' });
      return;
    }
    try {
      decoded.push({ value: JSON.parse(Buffer.from(data, 'base64').toString('utf8')), path });
    } catch {
      errors.push({ path: formatPath(path), message: 'not base64-encoded JSON' });
    }
  };
  const fromRecords = (
    records: unknown,
    key: string,
    pick: (r: Record<string, unknown>) => unknown,
    dataKey: PropertyKey[],
  ) => {
    if (!Array.isArray(records) || records.length === 0) {
      errors.push({ path: key, message: 'expected a non-empty array of records' });
      return;
    }
    if (records.length > MAX_STREAM_RECORDS) {
      errors.push({
        path: key,
        message: `too many records: ${records.length} (the limit is ${MAX_STREAM_RECORDS})`,
      });
      return;
    }
    records.forEach((r, i) => decode(isObject(r) ? pick(r) : undefined, [key, i, ...dataKey]));
  };

  if (isObject(body) && 'records' in body) {
    if (typeof body.requestId === 'string') firehoseRequestId = body.requestId;
    fromRecords(body.records, 'records', (r) => r.data, ['data']);
  } else if (isObject(body) && 'Records' in body) {
    fromRecords(body.Records, 'Records', (r) => (isObject(r.kinesis) ? r.kinesis.data : undefined), [
      'kinesis',
      'data',
    ]);
  } else if (isObject(body) && typeof body.data === 'string' && !('EventType' in body)) {
    decode(body.data, ['data']);
  } else if (
    Array.isArray(body) &&
    body.length > 0 &&
    body.every((r) => isObject(r) && typeof r.data === 'string')
  ) {
    fromRecords(body, '(root)', (r) => r.data, ['data']);
    for (const d of decoded) d.path = d.path.slice(1); // `[2].data`, not `(root)[2].data`
  } else if (Array.isArray(body)) {
    if (body.length === 0) errors.push({ path: '(root)', message: 'expected at least one event' });
    else if (body.length > MAX_STREAM_RECORDS)
      errors.push({ path: '(root)', message: `too many events: ${body.length}` });
    else body.forEach((value, i) => decoded.push({ value, path: [i] }));
  } else {
    decoded.push({ value: body, path: [] });
  }

  const events: StreamEvent[] = [];
  for (const { value, path } of decoded) {
    const parsed = streamEvent.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({ path: formatPath([...path, ...issue.path]), message: issue.message });
      continue;
    }
    const e = parsed.data;
    const channel: ContactLensChannel = (e.Channel ?? 'VOICE').toUpperCase() === 'CHAT' ? 'CHAT' : 'VOICE';
    events.push({
      eventType: e.EventType,
      instanceId: e.InstanceId,
      contactId: e.ContactId,
      channel,
      ...opt('languageCode', e.LanguageCode),
      batch: normaliseStreamSegments(e.Segments ?? []),
    });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, events, ...opt('firehoseRequestId', firehoseRequestId) };
}

function normaliseStreamSegments(segments: z.infer<typeof streamSegment>[]): SegmentBatch {
  const utterances: Utterance[] = [];
  const categories = new Set<string>();
  for (const s of segments) {
    const u = s.Utterance;
    if (u) {
      utterances.push({
        // Pieces of one turn share their transcript's id; the turn is one row of the timeline.
        segmentId: u.TranscriptId ?? u.Id,
        participant: role(u.ParticipantRole, u.ParticipantId),
        text: u.PartialContent,
        ...opt('sentiment', label(u.Sentiment)),
        beginOffsetMs: u.BeginOffsetMillis,
        endOffsetMs: u.EndOffsetMillis,
        partial: true,
        pieceId: u.Id,
        ...opt('issues', issueRanges(u.IssuesDetected)),
      });
    }
    const t = s.Transcript;
    if (t) {
      const abs = t.AbsoluteTime ?? t.Time?.AbsoluteTime;
      const at = abs ? Date.parse(abs) : undefined;
      utterances.push({
        segmentId: t.Id,
        participant: role(t.ParticipantRole, t.ParticipantId),
        text: t.Content,
        ...opt('sentiment', label(t.Sentiment)),
        beginOffsetMs: t.BeginOffsetMillis ?? 0,
        endOffsetMs: t.EndOffsetMillis ?? t.BeginOffsetMillis ?? 0,
        ...opt('atMs', at),
        ...opt('issues', issueRanges(t.IssuesDetected)),
      });
    }
    for (const c of categoriesOf(s.Categories)) categories.add(c);
  }
  return { utterances, categories: [...categories] };
}

// ---------------------------------------------------------------------------------------------
// Post-call output (S3 JSON): the sentiment figures only

const score = z.number().min(-5).max(5);
const period = z.object({ BeginOffsetMillis: offset, EndOffsetMillis: offset, Score: score }).loose();

const postCallSchema = z
  .object({
    Version: z.string().optional(),
    Channel: z.string().optional(),
    JobStatus: z.string().optional(),
    LanguageCode: z.string().optional(),
    CustomerMetadata: z.object({ ContactId: id, InstanceId: id.optional() }).loose(),
    ConversationCharacteristics: z
      .object({
        TotalConversationDurationMillis: offset.optional(),
        Sentiment: z
          .object({
            // Voice: { AGENT, CUSTOMER }; chat: { DetailsByParticipantRole: { AGENT, CUSTOMER } }.
            OverallSentiment: z
              .object({
                CUSTOMER: score.optional(),
                AGENT: score.optional(),
                DetailsByParticipantRole: z
                  .object({ CUSTOMER: score.optional(), AGENT: score.optional() })
                  .loose()
                  .optional(),
              })
              .loose()
              .optional(),
            SentimentByPeriod: z
              .object({
                QUARTER: z
                  .object({ CUSTOMER: z.array(period).optional(), AGENT: z.array(period).optional() })
                  .loose()
                  .optional(),
              })
              .loose()
              .optional(),
            SentimentShift: z
              .object({
                DetailsByParticipantRole: z
                  .object({ CUSTOMER: z.object({ BeginScore: score, EndScore: score }).loose().optional() })
                  .loose()
                  .optional(),
              })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export interface PeriodScore {
  beginOffsetMs: number;
  endOffsetMs: number;
  /** −5 (negative) … +5 (positive), as Contact Lens scores. */
  score: number;
}

/** What we keep of a post-call output: figures only, no transcript. */
export interface PostCallAnalysis {
  contactId: string;
  instanceId?: string;
  channel: string;
  languageCode?: string;
  jobStatus?: string;
  durationMs?: number;
  customerOverall?: number;
  agentOverall?: number;
  customerQuarters: PeriodScore[];
  customerShift?: { begin: number; end: number };
}

export type ParsePostCallResult =
  { ok: true; analysis: PostCallAnalysis } | { ok: false; errors: ParseError[] };

/** Contact Lens post-call output, voice (v1.1.0) or chat; only the sentiment figures are read. */
export function parsePostCallAnalysis(body: unknown): ParsePostCallResult {
  const parsed = postCallSchema.safeParse(body);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    };
  const d = parsed.data;
  const s = d.ConversationCharacteristics?.Sentiment;
  const overall = s?.OverallSentiment;
  const shift = s?.SentimentShift?.DetailsByParticipantRole?.CUSTOMER;
  return {
    ok: true,
    analysis: {
      contactId: d.CustomerMetadata.ContactId,
      ...opt('instanceId', d.CustomerMetadata.InstanceId),
      channel: (d.Channel ?? 'VOICE').toUpperCase(),
      ...opt('languageCode', d.LanguageCode),
      ...opt('jobStatus', d.JobStatus),
      ...opt('durationMs', d.ConversationCharacteristics?.TotalConversationDurationMillis),
      ...opt('customerOverall', overall?.CUSTOMER ?? overall?.DetailsByParticipantRole?.CUSTOMER),
      ...opt('agentOverall', overall?.AGENT ?? overall?.DetailsByParticipantRole?.AGENT),
      customerQuarters: (s?.SentimentByPeriod?.QUARTER?.CUSTOMER ?? []).map((p) => ({
        beginOffsetMs: p.BeginOffsetMillis,
        endOffsetMs: p.EndOffsetMillis,
        score: p.Score,
      })),
      ...opt('customerShift', shift ? { begin: shift.BeginScore, end: shift.EndScore } : undefined),
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
