import { Writable } from 'node:stream';
import { ConnectClient, ThrottlingException } from '@aws-sdk/client-connect';
import nock from 'nock';
import pino from 'pino';
import {
  createConnectClient,
  type ConnectApiClient,
  type ConnectClientOptions,
} from '../../server/connect/client';
import { ConnectNotFoundError, type ContactSummary } from '../../server/connect/types';
import { startConnectDouble, type ConnectDouble } from '../../doubles/connect-double';

const ENV_KEYS = [
  'AWS_ENDPOINT_URL_CONNECT',
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;
const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

let double: ConnectDouble;
const clients: ConnectApiClient[] = [];

/** A client for one test, destroyed afterwards (the SDK keeps sockets alive). */
function connect(opts: ConnectClientOptions = {}): ConnectApiClient {
  const c = createConnectClient(opts);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  for (const k of ENV_KEYS) delete process.env[k];
  // Dummy credentials and no shared config files: nothing here can reach or sign for real AWS.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  process.env.AWS_REGION = 'eu-central-1'; // deliberately not the ARN's region
  process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  double = await startConnectDouble();
});

beforeEach(() => {
  process.env.AWS_ENDPOINT_URL_CONNECT = double.url;
  double.reset();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  nock.cleanAll();
});

afterAll(async () => {
  await double.close();
  nock.enableNetConnect();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const T0 = new Date('2024-05-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('describeContact', () => {
  test('when the contact exists, then phones, queue, agent, timestamps, recording, next contacts and attributes are mapped', async () => {
    double.putContact({
      Id: 'c-2',
      InitialContactId: 'c-1',
      PreviousContactId: 'c-1',
      Channel: 'VOICE',
      InitiationMethod: 'TRANSFER',
      CustomerEndpoint: { Type: 'TELEPHONE_NUMBER', Address: '+15555550100' },
      SystemEndpoint: { Type: 'TELEPHONE_NUMBER', Address: '+15555550199' },
      QueueInfo: { Id: 'q-1', EnqueueTimestamp: at(5) },
      AgentInfo: { Id: 'u-1', ConnectedToAgentTimestamp: at(30) },
      InitiationTimestamp: T0,
      DisconnectTimestamp: at(300.5),
      DisconnectReason: 'CUSTOMER_DISCONNECT',
      Recordings: [
        { Location: 'bucket/old.wav', Status: 'DELETED', StorageType: 'S3' },
        {
          Location: 'bucket/connect/call.wav',
          Status: 'AVAILABLE',
          StorageType: 'S3',
          MediaStreamType: 'AUDIO',
        },
        {
          Location: 'bucket/connect/screen.webm',
          Status: 'AVAILABLE',
          StorageType: 'S3',
          MediaStreamType: 'VIDEO',
        },
      ],
      NextContacts: [
        { Type: 'QUICK_CONNECT', NextContactMetadata: { QuickConnectContactData: { ContactId: 'c-3' } } },
      ],
      Attributes: { reason: 'billing', tier: 'gold' },
    });

    const details = await connect().describeContact(double.instanceArn, 'c-2');

    expect(details).toEqual({
      contactId: 'c-2',
      initialContactId: 'c-1',
      previousContactId: 'c-1',
      channel: 'VOICE',
      initiationMethod: 'TRANSFER',
      customerPhone: '+15555550100',
      systemPhone: '+15555550199',
      queueId: 'q-1',
      agentId: 'u-1',
      initiationTimestamp: '2024-05-01T10:00:00.000Z',
      connectedToAgentTimestamp: '2024-05-01T10:00:30.000Z',
      disconnectTimestamp: '2024-05-01T10:05:00.500Z',
      disconnectReason: 'CUSTOMER_DISCONNECT',
      recordingUrl: 'bucket/connect/call.wav',
      nextContactIds: ['c-3'],
      attributes: { reason: 'billing', tier: 'gold' },
    });
    expect(double.requests).toEqual([
      expect.objectContaining({
        operation: 'DescribeContact',
        method: 'GET',
        path: `/contacts/${double.instanceId}/c-2`,
        signed: true,
      }),
    ]);
  });

  test('when the customer endpoint is an email address, then it is not reported as a phone', async () => {
    double.putContact({
      Id: 'c-mail',
      Channel: 'EMAIL',
      CustomerEndpoint: { Type: 'EMAIL_ADDRESS', Address: 'someone@example.com' },
    });
    const details = await connect().describeContact(double.instanceArn, 'c-mail');
    expect(details.customerPhone).toBeUndefined();
    expect(details).toMatchObject({ channel: 'EMAIL', nextContactIds: [], attributes: {} });
  });

  test('when the contact does not exist, then ConnectNotFoundError is thrown', async () => {
    const err = await connect()
      .describeContact(double.instanceArn, 'missing')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectNotFoundError);
    expect((err as Error).message).toContain('missing');
  });

  test('when the instance is unknown, then ConnectNotFoundError is thrown', async () => {
    double.putContact({ Id: 'c-1' });
    const other = double.instanceArn.replace(double.instanceId, '99999999-9999-4999-8999-999999999999');
    await expect(connect().describeContact(other, 'c-1')).rejects.toBeInstanceOf(ConnectNotFoundError);
  });

  test('when the ARN is not a Connect instance ARN, then it rejects without any request', async () => {
    await expect(connect().describeContact('arn:aws:s3:::bucket', 'c-1')).rejects.toThrow(
      /Connect instance ARN/,
    );
    expect(double.count()).toBe(0);
  });

  test('when Connect throttles every attempt, then the SDK ThrottlingException is rethrown as-is', async () => {
    double.putContact({ Id: 'c-1' });
    double.failNext(429, { times: 2 });
    const api = connect({ clientFor: (region) => new ConnectClient({ region, maxAttempts: 2 }) });
    const err = await api.describeContact(double.instanceArn, 'c-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err).not.toBeInstanceOf(ConnectNotFoundError);
    expect(double.count('DescribeContact')).toBe(2);
  });

  test('when Connect answers 500 once, then the SDK retries and the call succeeds', async () => {
    double.putContact({ Id: 'c-1', Channel: 'CHAT' });
    double.failNext(500);
    const details = await connect().describeContact(double.instanceArn, 'c-1');
    expect(details.channel).toBe('CHAT');
    expect(double.count('DescribeContact')).toBe(2);
  });

  test('when calls are logged at debug level, then phone numbers never reach the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    double.putContact({ Id: 'c-1', CustomerEndpoint: { Type: 'TELEPHONE_NUMBER', Address: '+15555550123' } });
    const api = connect({ logger });
    await api.describeContact(double.instanceArn, 'c-1');
    await api.describeContact(double.instanceArn, 'nope').catch(() => undefined);
    const log = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(log).toContain('c-1');
    expect(log).not.toContain('5555550123');
  });
});

describe('region and endpoint', () => {
  test('when the SDK builds the client, then the region comes from the ARN and one client is kept per region', async () => {
    double.putContact({ Id: 'c-1' });
    double.putContact({ Id: 'c-1' }, { instanceId: 'inst-eu' });
    const regions: string[] = [];
    const api = connect({
      clientFor: (region) => {
        regions.push(region);
        return new ConnectClient({ region });
      },
    });
    const euArn = 'arn:aws:connect:eu-west-2:123456789012:instance/inst-eu';
    await api.describeContact(double.instanceArn, 'c-1');
    await api.describeContact(double.instanceArn, 'c-1');
    await api.describeContact(euArn, 'c-1');
    expect(regions).toEqual(['us-west-2', 'eu-west-2']);
    expect(double.count('DescribeContact')).toBe(3);
  });

  test('when no endpoint override is set, then the call goes to the regional Connect endpoint named by the ARN', async () => {
    delete process.env.AWS_ENDPOINT_URL_CONNECT;
    const scope = nock('https://connect.ap-southeast-2.amazonaws.com')
      .get('/contacts/inst-1/c-1')
      .reply(200, { Contact: { Id: 'c-1', Channel: 'TASK' } });
    const details = await connect().describeContact(
      'arn:aws:connect:ap-southeast-2:123456789012:instance/inst-1',
      'c-1',
    );
    expect(details.channel).toBe('TASK');
    scope.done();
    expect(double.count()).toBe(0);
  });
});

describe('describeUser', () => {
  test('when a user is described twice, then the second answer comes from the cache without a request', async () => {
    double.putUser({
      Id: 'u-1',
      Username: 'ada',
      IdentityInfo: { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' },
    });
    const api = connect();
    const first = await api.describeUser(double.instanceArn, 'u-1');
    const second = await api.describeUser(double.instanceArn, 'u-1');
    expect(first).toEqual({
      userId: 'u-1',
      username: 'ada',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
    });
    expect(second).toEqual(first);
    expect(double.count('DescribeUser')).toBe(1);
    expect(double.requests[0]?.path).toBe(`/users/${double.instanceId}/u-1`);
  });

  test('when the same user is asked for concurrently, then only one request is made', async () => {
    double.putUser({ userId: 'u-1', username: 'ada' });
    double.setLatency(30);
    try {
      const api = connect();
      const answers = await Promise.all([1, 2, 3].map(() => api.describeUser(double.instanceArn, 'u-1')));
      expect(answers.map((a) => a.username)).toEqual(['ada', 'ada', 'ada']);
      expect(double.count('DescribeUser')).toBe(1);
    } finally {
      double.setLatency(0);
    }
  });

  test('when the cache entry is older than the TTL, then the user is fetched again', async () => {
    double.putUser({ userId: 'u-1', username: 'ada' });
    let clock = 1_000;
    const api = connect({ userCacheTtlMs: 60_000, now: () => clock });
    await api.describeUser(double.instanceArn, 'u-1');
    clock += 59_000;
    await api.describeUser(double.instanceArn, 'u-1');
    expect(double.count('DescribeUser')).toBe(1);
    clock += 2_000;
    double.putUser({ userId: 'u-1', username: 'ada.renamed' });
    expect((await api.describeUser(double.instanceArn, 'u-1')).username).toBe('ada.renamed');
    expect(double.count('DescribeUser')).toBe(2);
  });

  test('when more users than the cache holds are described, then the least recently used is evicted', async () => {
    for (const id of ['u-1', 'u-2', 'u-3']) double.putUser({ userId: id, username: id });
    const api = connect({ userCacheMaxEntries: 2 });
    await api.describeUser(double.instanceArn, 'u-1');
    await api.describeUser(double.instanceArn, 'u-2');
    await api.describeUser(double.instanceArn, 'u-1'); // u-1 becomes most recent
    await api.describeUser(double.instanceArn, 'u-3'); // evicts u-2
    expect(double.count('DescribeUser')).toBe(3);
    await api.describeUser(double.instanceArn, 'u-1');
    expect(double.count('DescribeUser')).toBe(3);
    await api.describeUser(double.instanceArn, 'u-2');
    expect(double.count('DescribeUser')).toBe(4);
  });

  test('when the same user id exists in two instances, then each instance is cached separately', async () => {
    double.putUser({ userId: 'u-1', username: 'in-default' });
    double.putUser({ userId: 'u-1', username: 'in-other' }, { instanceId: 'inst-2' });
    const api = connect();
    const otherArn = double.instanceArn.replace(double.instanceId, 'inst-2');
    expect((await api.describeUser(double.instanceArn, 'u-1')).username).toBe('in-default');
    expect((await api.describeUser(otherArn, 'u-1')).username).toBe('in-other');
    expect(double.count('DescribeUser')).toBe(2);
  });

  test('when the user does not exist, then ConnectNotFoundError is thrown and the miss is not cached', async () => {
    const api = connect();
    await expect(api.describeUser(double.instanceArn, 'u-9')).rejects.toBeInstanceOf(ConnectNotFoundError);
    double.putUser({ userId: 'u-9', username: 'late' });
    expect((await api.describeUser(double.instanceArn, 'u-9')).username).toBe('late');
    expect(double.count('DescribeUser')).toBe(2);
  });
});

describe('searchContacts', () => {
  async function collect(it: AsyncIterable<ContactSummary>): Promise<ContactSummary[]> {
    const out: ContactSummary[] = [];
    for await (const c of it) out.push(c);
    return out;
  }

  test('when more than one page matches, then every page is fetched by NextToken with the documented request', async () => {
    for (let i = 0; i < 250; i++) {
      double.putContact({
        Id: `c-${String(i).padStart(3, '0')}`,
        Channel: 'VOICE',
        InitiationTimestamp: at(i),
        ...(i % 2 === 0 ? { AgentInfo: { Id: 'u-1', ConnectedToAgentTimestamp: at(i + 10) } } : {}),
      });
    }
    double.putContact({ Id: 'too-early', InitiationTimestamp: at(-3600) });
    double.putContact({ Id: 'too-late', InitiationTimestamp: at(3600) });

    const found = await collect(connect().searchContacts(double.instanceArn, T0, at(1800)));

    expect(found).toHaveLength(250);
    expect(found[0]).toEqual({
      contactId: 'c-000',
      channel: 'VOICE',
      initiationTimestamp: '2024-05-01T10:00:00.000Z',
      agentConnected: true,
    });
    expect(found[1]?.agentConnected).toBe(false);
    expect(new Set(found.map((c) => c.contactId)).size).toBe(250);

    const bodies = double.requests.map((r) => r.body as Record<string, unknown>);
    expect(double.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      Array(3).fill('POST /search-contacts'),
    );
    expect(bodies[0]).toEqual({
      InstanceId: double.instanceId,
      TimeRange: {
        Type: 'INITIATION_TIMESTAMP',
        StartTime: T0.getTime() / 1000,
        EndTime: at(1800).getTime() / 1000,
      },
      MaxResults: 100,
    });
    expect(bodies[1]?.NextToken).toEqual(expect.any(String));
    expect(bodies[2]?.NextToken).toEqual(expect.any(String));
    expect(bodies[2]?.NextToken).not.toBe(bodies[1]?.NextToken);
  });

  test('when nothing matches, then the iterable is empty after one request', async () => {
    const found = await collect(connect().searchContacts(double.instanceArn, T0, at(60)));
    expect(found).toEqual([]);
    expect(double.count('SearchContacts')).toBe(1);
  });

  test('when the server pages smaller than asked, then paging still follows NextToken to the end', async () => {
    const small = await startConnectDouble({ searchPageSize: 3 });
    try {
      for (let i = 0; i < 7; i++) small.putContact({ Id: `s-${i}`, InitiationTimestamp: at(i) });
      process.env.AWS_ENDPOINT_URL_CONNECT = small.url;
      const found = await collect(connect().searchContacts(small.instanceArn, T0, at(60)));
      expect(found.map((c) => c.contactId)).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4', 's-5', 's-6']);
      expect(small.count('SearchContacts')).toBe(3);
    } finally {
      await small.close();
    }
  });

  test('when the instance is unknown, then ConnectNotFoundError is thrown', async () => {
    const other = double.instanceArn.replace(double.instanceId, 'nope');
    await expect(collect(connect().searchContacts(other, T0, at(60)))).rejects.toBeInstanceOf(
      ConnectNotFoundError,
    );
  });
});
