import { z } from 'zod';
import type { ContactEvent } from './types';

/**
 * Parses what an EventBridge API destination POSTs for "Amazon Connect Contact Event": one envelope
 * or an array of them. Strict about the fields we key on (envelope id, contact id, event type,
 * instance ARN); lenient about everything else, because AWS's own samples mix key casing
 * (agentInfo/AgentInfo), enum casing ("Voice"/"VOICE"), nulls and fields added over time.
 */

export const CONTACT_EVENT_DETAIL_TYPE = 'Amazon Connect Contact Event';
export const CONTACT_EVENT_SOURCE = 'aws.connect';
export const DEFAULT_MAX_EVENTS = 100;

export interface ParseError {
  path: string;
  message: string;
}

export type ParseContactEventsResult =
  { ok: true; events: ContactEvent[] } | { ok: false; errors: ParseError[] };

export interface ParseContactEventsOptions {
  /** Larger arrays are refused before any element is looked at. */
  maxEvents?: number;
  /** Stands in for a missing envelope `time` (EventBridge always sends one; hand-made tests may not). */
  receivedAt?: Date;
}

// ---------------------------------------------------------------------------------------------
// ARNs

export interface ConnectArn {
  /** Canonical form `arn:<partition>:connect:<region>:<account>:<resource>`. */
  arn: string;
  partition: string;
  region: string;
  accountId: string;
  instanceId: string;
  /** Whatever follows `instance/<id>` (e.g. `/agent/<userId>`), empty for the instance itself. */
  rest: string;
}

// The AWS docs' sample events print `arn:aws::connect:…` (an extra empty segment); the optional
// `:` below accepts that so the samples parse, and the canonical form is what we hand on.
const CONNECT_ARN =
  /^arn:(aws(?:-[a-z]+)*):(?::)?connect:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):instance\/([A-Za-z0-9-]{1,100})((?:\/[^/\s]+)*)$/;

/** Splits any Connect ARN rooted at an instance (the instance, or an agent/queue/contact in it). */
export function parseConnectArn(arn: string): ConnectArn | undefined {
  const m = CONNECT_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', accountId = '', instanceId = '', rest = ''] = m;
  return {
    arn: `arn:${partition}:connect:${region}:${accountId}:instance/${instanceId}${rest}`,
    partition,
    region,
    accountId,
    instanceId,
    rest,
  };
}

function requireConnectArn(arn: string): ConnectArn {
  const parsed = parseConnectArn(arn);
  if (!parsed) throw new Error(`Not an Amazon Connect instance ARN: ${JSON.stringify(arn)}`);
  return parsed;
}

/** `arn:aws:connect:us-west-2:123456789012:instance/abc` → `abc`; throws on anything else. */
export function instanceIdFromArn(arn: string): string {
  return requireConnectArn(arn).instanceId;
}

/** `arn:aws:connect:us-west-2:123456789012:instance/abc` → `us-west-2`; throws on anything else. */
export function regionFromArn(arn: string): string {
  return requireConnectArn(arn).region;
}

// ---------------------------------------------------------------------------------------------
// Schema helpers

type Shape = Record<string, z.ZodType>;

/**
 * An object whose keys match case-insensitively (AWS samples use both `agentInfo` and
 * `AgentInfo`). Only the shape's keys are copied, so unknown keys (including `__proto__`) never
 * reach the output; an exact-case key wins over a differently cased duplicate.
 */
function anyCaseObject<S extends Shape>(shape: S, what?: string) {
  const canonical = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  return z.preprocess(
    (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const target = canonical.get(key.toLowerCase());
        if (target === undefined) continue;
        if (key === target || !Object.hasOwn(value, target)) out[target] = v;
      }
      return out;
    },
    z.object(shape, {
      error: (iss) => `${what ?? 'value'} is required as an object (got ${describeInput(iss.input)})`,
    }),
  );
}

const describeInput = (input: unknown): string =>
  input === undefined
    ? 'missing'
    : input === null
      ? 'null'
      : Array.isArray(input)
        ? 'an array'
        : typeof input;

/** Strings are quoted (cut short: they come from the caller), everything else is named by type. */
const describeValue = (input: unknown): string =>
  typeof input === 'string' ? JSON.stringify(input.slice(0, 100)) : describeInput(input);

/** A required identifier: a non-blank string of at most 256 characters (Connect's own limit). */
const requiredId = (what: string) =>
  z
    .string({ error: (iss) => `${what} is required as a string (got ${describeInput(iss.input)})` })
    .max(256, `${what} is longer than 256 characters`)
    .refine((s) => s.trim().length > 0, `${what} must not be blank`);

/** Optional text: anything but a non-empty string (null, numbers, objects) reads as absent. */
const optionalText = z.preprocess(
  (v) => (typeof v === 'string' && v.trim().length > 0 ? v : undefined),
  z.string().optional(),
);

/** Optional upper-cased enum-ish text ("Voice" → "VOICE"). */
const optionalUpper = optionalText.transform((v) => v?.toUpperCase());

/** Optional timestamp: a parseable date string becomes ISO-8601; anything else reads as absent. */
const optionalTimestamp = optionalText.transform((v) => {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
});

/** An optional nested object: a wrong type or null reads as absent rather than failing the event. */
const optionalObject = <S extends Shape>(shape: S) => anyCaseObject(shape).optional().catch(undefined);

/** IDs that link contacts: absent/null is fine, but a present value must be a proper id. */
const optionalLinkId = (what: string) =>
  z.preprocess((v) => (v === null || v === '' ? undefined : v), requiredId(what).optional());

const instanceArn = z
  .string({ error: (iss) => `instanceArn is required as a string (got ${describeInput(iss.input)})` })
  .transform((arn, ctx) => {
    const parsed = parseConnectArn(arn);
    if (!parsed || parsed.rest !== '') {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an Amazon Connect instance ARN (arn:aws:connect:<region>:<account>:instance/<id>)',
      });
      return z.NEVER;
    }
    return parsed.arn;
  });

const detailSchema = anyCaseObject(
  {
    eventType: requiredId('eventType').transform((v) => v.toUpperCase()),
    contactId: requiredId('contactId'),
    initialContactId: optionalLinkId('initialContactId'),
    previousContactId: optionalLinkId('previousContactId'),
    instanceArn,
    channel: optionalUpper,
    initiationMethod: optionalUpper,
    initiationTimestamp: optionalTimestamp,
    disconnectTimestamp: optionalTimestamp,
    disconnectReason: optionalText,
    agentInfo: optionalObject({ agentArn: optionalText, connectedToAgentTimestamp: optionalTimestamp }),
    queueInfo: optionalObject({ queueArn: optionalText }),
  },
  'detail',
);

const envelopeSchema = anyCaseObject({
  id: requiredId('id'),
  'detail-type': z.literal(CONTACT_EVENT_DETAIL_TYPE, {
    error: (iss) => `detail-type must be "${CONTACT_EVENT_DETAIL_TYPE}" (got ${describeValue(iss.input)})`,
  }),
  source: z.literal(CONTACT_EVENT_SOURCE, {
    error: (iss) => `source must be "${CONTACT_EVENT_SOURCE}" (got ${describeValue(iss.input)})`,
  }),
  // Absent is tolerated (see receivedAt); present must be a date, since it orders our timeline.
  time: z.preprocess(
    (v) => (v === null ? undefined : v),
    z
      .string({ error: (iss) => `time must be an ISO-8601 string (got ${describeInput(iss.input)})` })
      .refine((s) => !Number.isNaN(Date.parse(s)), 'time must be an ISO-8601 date-time')
      .optional(),
  ),
  detail: detailSchema,
});

type Envelope = z.output<typeof envelopeSchema>;

function toContactEvent(e: Envelope, receivedAt: Date): ContactEvent {
  const d = e.detail;
  const required: ContactEvent = {
    eventId: e.id,
    time: e.time === undefined ? receivedAt.toISOString() : new Date(Date.parse(e.time)).toISOString(),
    eventType: d.eventType,
    contactId: d.contactId,
    initialContactId: d.initialContactId ?? d.contactId,
    instanceArn: d.instanceArn,
    // Rarely absent (fragments, CONTACT_DATA_UPDATED); DescribeContact has the authoritative channel.
    channel: d.channel ?? 'UNKNOWN',
  };
  // Only defined values, so results compare cleanly and serialise without `undefined` keys.
  const optional: Partial<ContactEvent> = {
    previousContactId: d.previousContactId,
    initiationMethod: d.initiationMethod,
    agentArn: d.agentInfo?.agentArn,
    queueArn: d.queueInfo?.queueArn,
    connectedToAgentTimestamp: d.agentInfo?.connectedToAgentTimestamp,
    disconnectTimestamp: d.disconnectTimestamp,
    initiationTimestamp: d.initiationTimestamp,
    disconnectReason: d.disconnectReason,
  };
  return { ...required, ...withoutUndefined(optional) };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `[2, 'detail', 'contactId']` → `[2].detail.contactId`; the root is `(root)`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function parseOne(
  value: unknown,
  prefix: PropertyKey[],
  receivedAt: Date,
  errors: ParseError[],
): ContactEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({
      path: formatPath(prefix),
      message: `expected an event object (got ${describeInput(value)})`,
    });
    return undefined;
  }
  const result = envelopeSchema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      errors.push({ path: formatPath([...prefix, ...issue.path]), message: issue.message });
    }
    return undefined;
  }
  return toContactEvent(result.data, receivedAt);
}

export function parseContactEvents(
  body: unknown,
  opts: ParseContactEventsOptions = {},
): ParseContactEventsResult {
  const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  const receivedAt = opts.receivedAt ?? new Date();
  const errors: ParseError[] = [];

  if (!Array.isArray(body)) {
    const event = parseOne(body, [], receivedAt, errors);
    return event ? { ok: true, events: [event] } : { ok: false, errors };
  }
  if (body.length === 0) {
    return {
      ok: false,
      errors: [{ path: '(root)', message: 'expected at least one event (got an empty array)' }],
    };
  }
  if (body.length > maxEvents) {
    return {
      ok: false,
      errors: [
        {
          path: '(root)',
          message: `too many events: ${body.length} (the limit is ${maxEvents} per request)`,
        },
      ],
    };
  }
  const events: ContactEvent[] = [];
  // An index loop, not forEach: forEach skips the holes of a sparse array, which must be reported.
  for (let i = 0; i < body.length; i++) {
    const event = parseOne(body[i], [i], receivedAt, errors);
    if (event) events.push(event);
  }
  // All or nothing: EventBridge retries the whole request, so a partial accept would only confuse.
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
