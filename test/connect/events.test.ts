import fs from 'node:fs';
import path from 'node:path';
import { parse as parseJson5 } from 'json5';
import {
  DEFAULT_MAX_EVENTS,
  instanceIdFromArn,
  parseConnectArn,
  parseContactEvents,
  regionFromArn,
} from '../../server/connect/events';

// Shared fixtures live beside the repository (same convention as test/helpers/zendesk-spec.ts).
const FIXTURES =
  process.env.CONNECT_FIXTURES_DIR ?? path.resolve(__dirname, '../../../shared/fixtures/connect');
const readFixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const INSTANCE_ARN = 'arn:aws:connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012';

function envelope(
  detail: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'Amazon Connect Contact Event',
    source: 'aws.connect',
    account: '123456789012',
    time: '2024-05-01T10:00:00Z',
    region: 'us-west-2',
    resources: [INSTANCE_ARN],
    detail: {
      eventType: 'INITIATED',
      contactId: 'c-1',
      instanceArn: INSTANCE_ARN,
      channel: 'VOICE',
      ...detail,
    },
    ...top,
  };
}

function errorsOf(body: unknown) {
  const result = parseContactEvents(body);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.events)}`);
  return result.errors;
}

function eventsOf(body: unknown) {
  const result = parseContactEvents(body);
  if (!result.ok) throw new Error(`expected events, got ${JSON.stringify(result.errors)}`);
  return result.events;
}

describe('contact event fixtures', () => {
  const CONTACT_EVENT_FIXTURES = [
    'awsdocs_contact-event_connected-to-agent_detail.json',
    'awsdocs_contact-event_disconnected_AS-PUBLISHED-invalid-json.txt',
    'scv_eventbridge_contact-event_contact-data-updated_fragment.json',
    'scv_eventbridge_contact-event_disconnected.json',
  ];

  test('when the fixture folder is listed, then every contact-event fixture is one this suite covers', () => {
    const present = fs.readdirSync(FIXTURES).filter((f) => /contact-event/.test(f));
    expect(present.sort()).toEqual([...CONTACT_EVENT_FIXTURES].sort());
  });

  test('when the recorded DISCONNECTED envelope is parsed, then its ids, channel and method come through', () => {
    const [event] = eventsOf(JSON.parse(readFixture('scv_eventbridge_contact-event_disconnected.json')));
    expect(event).toEqual({
      eventId: 'bc198b12-2a16-c92b-5925-5a0a06a39bf2',
      time: '2021-08-29T18:39:44.000Z',
      eventType: 'DISCONNECTED',
      contactId: '58092a11-6075-4025-a57d-6ada88b26d5b',
      initialContactId: '58092a11-6075-4025-a57d-6ada88b26d5b',
      instanceArn: 'arn:aws:connect:us-west-2:352672060859:instance/f75946c0-bc38-4252-8174-468f6ac2543d',
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
    });
  });

  test('when the AWS docs CONNECTED_TO_AGENT detail is wrapped in an envelope, then agent, queue and the docs ARN typo are handled', () => {
    const detail = JSON.parse(readFixture('awsdocs_contact-event_connected-to-agent_detail.json')) as Record<
      string,
      unknown
    >;
    // The docs publish this sample as `detail` only; EventBridge always wraps it.
    const [event] = eventsOf({ ...envelope(), detail });
    expect(event).toMatchObject({
      eventType: 'CONNECTED_TO_AGENT',
      contactId: '11111111-1111-1111-1111-111111111111',
      initialContactId: '11111111-1111-1111-1111-111111111111',
      // Published as `arn:aws::connect:…`; handed on in canonical form so it matches a tenant's ARN.
      instanceArn: 'arn:aws:connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012',
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
      agentArn: expect.stringContaining('/agent/12345678-1234-1234-1234-123456789012'),
      queueArn: expect.stringContaining('/queue/12345678-1234-1234-1234-123456789012'),
      connectedToAgentTimestamp: '2021-08-04T17:29:09.000Z',
      initiationTimestamp: '2021-08-04T17:17:53.000Z',
    });
  });

  test('when the docs DISCONNECTED sample (trailing comma) is read, then JSON.parse refuses it but a JSON5 repair parses with AgentInfo/"Voice" normalised', () => {
    const text = readFixture('awsdocs_contact-event_disconnected_AS-PUBLISHED-invalid-json.txt');
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    const [event] = eventsOf(parseJson5(text));
    expect(event).toEqual({
      eventId: 'abcabcab-abca-abca-abca-abcabcabcabc',
      time: '2021-08-04T17:43:48.000Z',
      eventType: 'DISCONNECTED',
      contactId: '11111111-1111-1111-1111-111111111111',
      initialContactId: '11111111-2222-3333-4444-555555555555',
      previousContactId: '11111111-2222-3333-4444-555555555555',
      instanceArn: 'arn:aws:connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012',
      channel: 'VOICE',
      initiationMethod: 'OUTBOUND',
      agentArn: 'arn',
      queueArn: 'arn',
      connectedToAgentTimestamp: '2021-08-04T17:29:09.000Z',
      initiationTimestamp: '2021-08-04T17:17:53.000Z',
      disconnectTimestamp: '2021-08-04T17:18:37.000Z',
    });
  });

  test('when the CONTACT_DATA_UPDATED fragment is posted as-is, then the missing envelope and key fields are each named', () => {
    const fragment = JSON.parse(
      readFixture('scv_eventbridge_contact-event_contact-data-updated_fragment.json'),
    );
    expect(errorsOf(fragment).map((e) => e.path)).toEqual([
      'id',
      'source',
      'detail.contactId',
      'detail.instanceArn',
    ]);
  });

  test('when the CONTACT_DATA_UPDATED fragment is completed with ids, then it parses and its unknown routingCriteria is ignored', () => {
    const fragment = JSON.parse(
      readFixture('scv_eventbridge_contact-event_contact-data-updated_fragment.json'),
    ) as {
      detail: Record<string, unknown>;
    };
    const base = envelope();
    const [event] = eventsOf({
      ...base,
      ...fragment,
      detail: { contactId: 'c-9', instanceArn: INSTANCE_ARN, ...fragment.detail },
    });
    expect(event).toEqual({
      eventId: 'evt-1',
      time: '2024-05-01T10:00:00.000Z',
      eventType: 'CONTACT_DATA_UPDATED',
      contactId: 'c-9',
      initialContactId: 'c-9',
      instanceArn: INSTANCE_ARN,
      channel: 'UNKNOWN',
      initiationMethod: 'TRANSFER',
    });
  });

  test('when a Contact Lens payload is posted to the contact-event parser, then it is refused', () => {
    const segments = JSON.parse(readFixture('scv_contact-lens_realtime_segments.json'));
    const errors = errorsOf(segments);
    expect(errors.map((e) => e.path)).toContain('[0].id');
    expect(errors.map((e) => e.path)).toContain('[1].detail');
  });
});

describe('leniency', () => {
  test('when detail keys use PascalCase and the channel is "Chat", then they read as their camelCase/upper-case forms', () => {
    const [event] = eventsOf({
      ...envelope(),
      detail: {
        EventType: 'connected_to_agent',
        ContactId: 'c-2',
        InitialContactId: 'c-1',
        InstanceArn: INSTANCE_ARN,
        Channel: 'Chat',
        AgentInfo: {
          AgentArn: `${INSTANCE_ARN}/agent/u-1`,
          ConnectedToAgentTimestamp: '2024-05-01T10:01:00Z',
        },
        QueueInfo: { QueueArn: `${INSTANCE_ARN}/queue/q-1` },
      },
    });
    expect(event).toMatchObject({
      eventType: 'CONNECTED_TO_AGENT',
      contactId: 'c-2',
      initialContactId: 'c-1',
      channel: 'CHAT',
      agentArn: `${INSTANCE_ARN}/agent/u-1`,
      queueArn: `${INSTANCE_ARN}/queue/q-1`,
      connectedToAgentTimestamp: '2024-05-01T10:01:00.000Z',
    });
  });

  test('when both contactId and ContactId are present, then the exact-case key wins', () => {
    const [event] = eventsOf(envelope({ contactId: 'exact', ContactId: 'other' }));
    expect(event?.contactId).toBe('exact');
  });

  test('when optional fields are null, unknown fields appear and a timestamp is malformed, then the event still parses without them', () => {
    const [event] = eventsOf(
      envelope({
        previousContactId: null,
        initialContactId: null,
        agentInfo: null,
        queueInfo: 'not an object',
        channel: null,
        initiationTimestamp: 'yesterday-ish',
        disconnectTimestamp: 1714557600,
        somethingNew: { nested: [1, 2, 3] },
        tags: { 'aws:connect:instanceId': 'x' },
      }),
    );
    expect(event).toEqual({
      eventId: 'evt-1',
      time: '2024-05-01T10:00:00.000Z',
      eventType: 'INITIATED',
      contactId: 'c-1',
      initialContactId: 'c-1',
      instanceArn: INSTANCE_ARN,
      channel: 'UNKNOWN',
    });
  });

  test('when the envelope has no time, then receivedAt stands in', () => {
    const body = envelope();
    delete body.time;
    const result = parseContactEvents(body, { receivedAt: new Date('2024-06-01T00:00:00Z') });
    expect(result.ok && result.events[0]?.time).toBe('2024-06-01T00:00:00.000Z');
  });

  test('when a DISCONNECTED detail carries disconnectReason, then it is kept', () => {
    const [event] = eventsOf(
      envelope({ eventType: 'DISCONNECTED', disconnectReason: 'CUSTOMER_DISCONNECT' }),
    );
    expect(event?.disconnectReason).toBe('CUSTOMER_DISCONNECT');
  });
});

describe('arrays', () => {
  test('when an array of envelopes is posted, then every event is returned in order', () => {
    const events = eventsOf([
      envelope({ contactId: 'a' }, { id: 'e-a' }),
      envelope({ contactId: 'b', eventType: 'QUEUED' }, { id: 'e-b' }),
      envelope({ contactId: 'c', eventType: 'DISCONNECTED' }, { id: 'e-c' }),
    ]);
    expect(events.map((e) => [e.eventId, e.contactId, e.eventType])).toEqual([
      ['e-a', 'a', 'INITIATED'],
      ['e-b', 'b', 'QUEUED'],
      ['e-c', 'c', 'DISCONNECTED'],
    ]);
  });

  test('when one element of an array is invalid, then nothing is accepted and the error names its index', () => {
    const result = parseContactEvents([envelope(), envelope(), envelope({ contactId: 5 })]);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '[2].detail.contactId', message: expect.stringContaining('contactId') }],
    });
  });

  test('when an array element is not an object, then its index is the path', () => {
    expect(errorsOf([envelope(), 'oops'])).toEqual([
      { path: '[1]', message: expect.stringContaining('string') },
    ]);
  });

  test(`when more than ${DEFAULT_MAX_EVENTS} events arrive, then the error names the limit`, () => {
    const errors = errorsOf(Array.from({ length: DEFAULT_MAX_EVENTS + 1 }, () => envelope()));
    expect(errors).toEqual([
      { path: '(root)', message: expect.stringContaining(`limit is ${DEFAULT_MAX_EVENTS}`) },
    ]);
  });

  test('when exactly the limit arrives, then all are accepted', () => {
    expect(eventsOf(Array.from({ length: DEFAULT_MAX_EVENTS }, () => envelope()))).toHaveLength(
      DEFAULT_MAX_EVENTS,
    );
  });

  test('when maxEvents is lowered, then the lower limit applies', () => {
    const result = parseContactEvents([envelope(), envelope(), envelope()], { maxEvents: 2 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toContain('limit is 2');
  });

  test('when an empty array is posted, then it is refused', () => {
    expect(errorsOf([])).toEqual([{ path: '(root)', message: expect.stringContaining('empty') }]);
  });
});

describe('required fields', () => {
  type Mutation = [description: string, path: string, mutate: (e: Record<string, unknown>) => void];
  const setDetail = (key: string, value: unknown) => (e: Record<string, unknown>) => {
    const detail = e.detail as Record<string, unknown>;
    if (value === undefined) delete detail[key];
    else detail[key] = value;
  };
  const setTop = (key: string, value: unknown) => (e: Record<string, unknown>) => {
    if (value === undefined) delete e[key];
    else e[key] = value;
  };

  const cases: Mutation[] = [
    ['id is missing', 'id', setTop('id', undefined)],
    ['id is a number', 'id', setTop('id', 42)],
    ['id is empty', 'id', setTop('id', '')],
    ['id is over 256 characters', 'id', setTop('id', 'x'.repeat(257))],
    ['detail-type is missing', 'detail-type', setTop('detail-type', undefined)],
    ['detail-type is another event', 'detail-type', setTop('detail-type', 'Amazon Connect Agent Event')],
    ['source is missing', 'source', setTop('source', undefined)],
    ['source is another service', 'source', setTop('source', 'aws.ec2')],
    ['time is not a date', 'time', setTop('time', 'soon')],
    ['time is a number', 'time', setTop('time', 1714557600)],
    ['detail is missing', 'detail', setTop('detail', undefined)],
    ['detail is a string', 'detail', setTop('detail', '{}')],
    ['detail is an array', 'detail', setTop('detail', [])],
    ['detail.contactId is missing', 'detail.contactId', setDetail('contactId', undefined)],
    ['detail.contactId is a number', 'detail.contactId', setDetail('contactId', 7)],
    ['detail.contactId is blank', 'detail.contactId', setDetail('contactId', '   ')],
    ['detail.contactId is null', 'detail.contactId', setDetail('contactId', null)],
    ['detail.eventType is missing', 'detail.eventType', setDetail('eventType', undefined)],
    ['detail.eventType is an object', 'detail.eventType', setDetail('eventType', {})],
    ['detail.instanceArn is missing', 'detail.instanceArn', setDetail('instanceArn', undefined)],
    ['detail.instanceArn is a number', 'detail.instanceArn', setDetail('instanceArn', 123)],
    [
      'detail.instanceArn is an S3 ARN',
      'detail.instanceArn',
      setDetail('instanceArn', 'arn:aws:s3:::bucket'),
    ],
    [
      'detail.instanceArn is an agent ARN',
      'detail.instanceArn',
      setDetail('instanceArn', `${INSTANCE_ARN}/agent/u-1`),
    ],
    ['detail.instanceArn is just an id', 'detail.instanceArn', setDetail('instanceArn', '12345678-1234')],
    ['detail.initialContactId is a number', 'detail.initialContactId', setDetail('initialContactId', 3)],
    ['detail.previousContactId is an object', 'detail.previousContactId', setDetail('previousContactId', {})],
  ];

  test.each(cases)('when %s, then the single error names %s', (_d, expectedPath, mutate) => {
    const e = envelope();
    mutate(e);
    const errors = errorsOf(e);
    expect(errors.map((x) => x.path)).toEqual([expectedPath]);
    expect(errors[0]?.message.length).toBeGreaterThan(5);
  });

  test.each(cases)(
    'when %s in the fourth element of an array, then the path starts with [3]',
    (_d, expectedPath, mutate) => {
      const bad = envelope();
      mutate(bad);
      const errors = errorsOf([envelope(), envelope(), envelope(), bad]);
      expect(errors.map((x) => x.path)).toEqual([`[3].${expectedPath}`]);
    },
  );

  test('when the body is not an object or array, then the root is named', () => {
    for (const body of [null, undefined, 'text', 12, true]) {
      expect(errorsOf(body)).toEqual([
        { path: '(root)', message: expect.stringContaining('expected an event object') },
      ]);
    }
  });

  test('when initialContactId is absent, then it defaults to contactId', () => {
    expect(eventsOf(envelope({ contactId: 'c-7' }))[0]?.initialContactId).toBe('c-7');
  });
});

describe('ARN helpers', () => {
  test('when given an instance ARN, then the instance id and region come out', () => {
    expect(instanceIdFromArn(INSTANCE_ARN)).toBe('12345678-1234-1234-1234-123456789012');
    expect(regionFromArn(INSTANCE_ARN)).toBe('us-west-2');
  });

  test('when given a GovCloud or China ARN, then the partition is accepted', () => {
    expect(regionFromArn('arn:aws-us-gov:connect:us-gov-west-1:123456789012:instance/abc')).toBe(
      'us-gov-west-1',
    );
    expect(instanceIdFromArn('arn:aws-cn:connect:cn-north-1:123456789012:instance/abc')).toBe('abc');
  });

  test('when given an agent ARN inside an instance, then the instance id still comes out', () => {
    expect(instanceIdFromArn(`${INSTANCE_ARN}/agent/u-1`)).toBe('12345678-1234-1234-1234-123456789012');
    expect(parseConnectArn(`${INSTANCE_ARN}/agent/u-1`)?.rest).toBe('/agent/u-1');
  });

  test('when given the docs-style ARN with an empty segment, then it is read and canonicalised', () => {
    const parsed = parseConnectArn('arn:aws::connect:eu-west-2:123456789012:instance/abc');
    expect(parsed).toMatchObject({
      arn: 'arn:aws:connect:eu-west-2:123456789012:instance/abc',
      region: 'eu-west-2',
    });
  });

  test.each(['', 'arn', 'arn:aws:s3:::bucket', 'arn:aws:connect:us-west-2:123:instance/abc', 'instance/abc'])(
    'when given %j, then both helpers throw',
    (arn) => {
      expect(() => instanceIdFromArn(arn)).toThrow(/Connect instance ARN/);
      expect(() => regionFromArn(arn)).toThrow(/Connect instance ARN/);
    },
  );
});
