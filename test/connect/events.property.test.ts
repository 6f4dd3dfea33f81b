import fc from 'fast-check';
import {
  DEFAULT_MAX_EVENTS,
  parseContactEvents,
  type ParseContactEventsResult,
} from '../../server/connect/events';

/** Checks the result's shape: ok with at least one well-formed event, or a non-empty list of errors. */
function assertWellFormed(result: ParseContactEventsResult): void {
  if (result.ok) {
    expect(result.events.length).toBeGreaterThan(0);
    for (const e of result.events) {
      expect(typeof e.eventId).toBe('string');
      expect(e.contactId.trim().length).toBeGreaterThan(0);
      expect(e.instanceArn).toMatch(/^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[A-Za-z0-9-]+$/);
    }
  } else {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const err of result.errors) {
      expect(typeof err.path).toBe('string');
      expect(err.path.length).toBeGreaterThan(0);
      expect(typeof err.message).toBe('string');
    }
  }
}

/** A key in one of the casings AWS has been seen to use (or shouting, for good measure). */
const anyCase = (key: string) =>
  fc.constantFrom(key, key.charAt(0).toUpperCase() + key.slice(1), key.toUpperCase(), key.toLowerCase());

const id = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
);
const optionalValue = <T>(arb: fc.Arbitrary<T>) =>
  fc
    .option(arb, { nil: undefined, freq: 3 })
    .chain((v) => (v === undefined ? fc.constantFrom<undefined | null>(undefined, null) : fc.constant(v)));
const instanceArn = fc
  .record({
    region: fc.constantFrom('us-east-1', 'us-west-2', 'eu-west-2', 'ap-southeast-2', 'ca-central-1'),
    account: fc.stringMatching(/^\d{12}$/),
    instance: fc.uuid(),
  })
  .map(({ region, account, instance }) => `arn:aws:connect:${region}:${account}:instance/${instance}`);
const channel = fc
  .constantFrom('VOICE', 'CHAT', 'TASK', 'EMAIL')
  .chain((c) => fc.constantFrom(c, c.toLowerCase(), c.charAt(0) + c.slice(1).toLowerCase()));
const isoTime = fc
  .date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
/** Extra keys that cannot collide with a known field, whatever their casing. */
const extras = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => `x-${s}`),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);

interface Generated {
  body: Record<string, unknown>;
  contactId: string;
  initialContactId: string | undefined | null;
  instanceArn: string;
}

const validEnvelope: fc.Arbitrary<Generated> = fc
  .record({
    eventId: fc.uuid(),
    time: isoTime,
    contactId: id,
    initialContactId: optionalValue(id),
    previousContactId: optionalValue(id),
    instanceArn,
    eventType: fc.constantFrom(
      'INITIATED',
      'QUEUED',
      'CONNECTED_TO_AGENT',
      'DISCONNECTED',
      'COMPLETED',
      'NEW_THING',
    ),
    channel: optionalValue(channel),
    agentInfo: optionalValue(
      fc.record({ agentArn: optionalValue(fc.string()), connectedToAgentTimestamp: optionalValue(isoTime) }),
    ),
    keys: fc.record({
      contactId: anyCase('contactId'),
      initialContactId: anyCase('initialContactId'),
      previousContactId: anyCase('previousContactId'),
      instanceArn: anyCase('instanceArn'),
      eventType: anyCase('eventType'),
      channel: anyCase('channel'),
      agentInfo: anyCase('agentInfo'),
    }),
    detailExtras: extras,
    topExtras: extras,
  })
  .map((g) => {
    const detail: Record<string, unknown> = { ...g.detailExtras };
    const put = (k: keyof typeof g.keys, v: unknown) => {
      if (v !== undefined) detail[g.keys[k]] = v;
    };
    put('contactId', g.contactId);
    put('initialContactId', g.initialContactId);
    put('previousContactId', g.previousContactId);
    put('instanceArn', g.instanceArn);
    put('eventType', g.eventType);
    put('channel', g.channel);
    put('agentInfo', g.agentInfo);
    return {
      body: {
        ...g.topExtras,
        version: '0',
        id: g.eventId,
        'detail-type': 'Amazon Connect Contact Event',
        source: 'aws.connect',
        time: g.time,
        detail,
      },
      contactId: g.contactId,
      initialContactId: g.initialContactId,
      instanceArn: g.instanceArn,
    };
  });

describe('parseContactEvents properties', () => {
  test('when given arbitrary values, then it never throws and always answers ok or errors', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true }),
        (body) => {
          assertWellFormed(parseContactEvents(body));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('when given arbitrary JSON shaped like an envelope, then it never throws and always answers ok or errors', () => {
    const junk = fc.jsonValue({ maxDepth: 3 });
    const envelopeLike = fc.record(
      {
        id: junk,
        'detail-type': fc.oneof(fc.constant('Amazon Connect Contact Event'), junk),
        source: fc.oneof(fc.constant('aws.connect'), junk),
        time: fc.oneof(isoTime, junk),
        detail: fc.oneof(
          fc.record(
            {
              contactId: fc.oneof(id, junk),
              eventType: junk,
              instanceArn: fc.oneof(instanceArn, junk),
              agentInfo: junk,
            },
            { requiredKeys: [] },
          ),
          junk,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(envelopeLike, fc.array(envelopeLike, { maxLength: 5 })), (body) => {
        assertWellFormed(parseContactEvents(body));
      }),
      { numRuns: 500 },
    );
  });

  test('when given a valid envelope in any key casing with nulls and extra fields, then it parses with its own ids', () => {
    fc.assert(
      fc.property(validEnvelope, (g) => {
        const result = parseContactEvents(g.body);
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
        expect(result.events).toHaveLength(1);
        const [event] = result.events;
        expect(event?.contactId).toBe(g.contactId);
        expect(event?.initialContactId).toBe(g.initialContactId ?? g.contactId);
        expect(event?.instanceArn).toBe(g.instanceArn);
        expect(event?.eventId).toBe(g.body.id);
      }),
      { numRuns: 300 },
    );
  });

  test('when given an array of valid envelopes within the limit, then every one parses in order', () => {
    fc.assert(
      fc.property(fc.array(validEnvelope, { minLength: 1, maxLength: DEFAULT_MAX_EVENTS }), (gs) => {
        const result = parseContactEvents(gs.map((g) => g.body));
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
        expect(result.events.map((e) => e.contactId)).toEqual(gs.map((g) => g.contactId));
      }),
      { numRuns: 30 },
    );
  });

  test('when one required field of a valid envelope is removed, then the error names exactly that path', () => {
    const required = fc.constantFrom(
      'id',
      'detail-type',
      'source',
      'detail.contactId',
      'detail.eventType',
      'detail.instanceArn',
    );
    fc.assert(
      fc.property(validEnvelope, required, (g, field) => {
        const body = structuredClone(g.body);
        if (field.startsWith('detail.')) {
          const detail = body.detail as Record<string, unknown>;
          const name = field.slice('detail.'.length).toLowerCase();
          for (const k of Object.keys(detail)) if (k.toLowerCase() === name) delete detail[k];
        } else {
          delete body[field];
        }
        const result = parseContactEvents(body);
        expect(result.ok).toBe(false);
        expect(!result.ok && result.errors.map((e) => e.path)).toEqual([field]);
      }),
      { numRuns: 200 },
    );
  });
});
