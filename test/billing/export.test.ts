import nock from 'nock';
import { randomUUID } from 'node:crypto';
import { createMeteringApi } from '../../server/billing/marketplace';
import { planHour, runExport, type ExportDeps } from '../../server/billing/export';
import { LedgerRepo, reversalEntryKey } from '../../server/billing/ledger';
import { resolutionEntry } from '../../server/billing/process';
import { BillingSettingsRepo } from '../../server/billing/settings';
import { createLogger } from '../../server/logger';
import { SecretBox } from '../../server/store/crypto';
import { TenantRepo } from '../../server/tenants/repo';
import { testDb, type TestDb } from '../helpers/env';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const ENDPOINT = 'https://metering.marketplace.us-east-1.amazonaws.com';
const PRODUCT = 'prodconcierge01';

interface WireRecord {
  Timestamp: number;
  CustomerAWSAccountId: string;
  Dimension: string;
  Quantity: number;
}

/**
 * AWS Marketplace Metering as it behaves on the wire (awsJson1_1): identical records are idempotent (same
 * MeteringRecordId), the same customer + dimension + hour with another quantity is a DuplicateRecord.
 */
class FakeMetering {
  calls: Array<{
    target: string | undefined;
    contentType: string | undefined;
    body: { ProductCode: string; UsageRecords: WireRecord[] };
  }> = [];
  accepted = new Map<string, { quantity: number; id: string }>();
  unsubscribed = new Set<string>();
  /** Scripted answers for the next calls: 'throttle', or records (by index) to leave unprocessed. */
  script: Array<'throttle' | { unprocessed: number[] }> = [];

  install(): nock.Scope {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- nock's reply callback has its own `this`
    const this_ = this;
    return nock(ENDPOINT)
      .persist()
      .post('/')
      .reply(function (_uri, body) {
        const req = this.req;
        const call = {
          target: req.headers['x-amz-target'] as string | undefined,
          contentType: req.headers['content-type'] as string | undefined,
          body: (typeof body === 'string' ? JSON.parse(body) : body) as {
            ProductCode: string;
            UsageRecords: WireRecord[];
          },
        };
        this_.calls.push(call);
        const step = this_.script.shift();
        if (step === 'throttle')
          return [
            400,
            { __type: 'ThrottlingException', message: 'Rate exceeded' },
            { 'content-type': 'application/x-amz-json-1.1' },
          ];
        const unprocessed = step?.unprocessed ?? [];
        const Results: unknown[] = [];
        const Unprocessed: WireRecord[] = [];
        call.body.UsageRecords.forEach((r, i) => {
          if (unprocessed.includes(i)) return void Unprocessed.push(r);
          const key = `${r.CustomerAWSAccountId}|${r.Dimension}|${r.Timestamp}`;
          const seen = this_.accepted.get(key);
          let Status = 'Success';
          let id = seen?.id;
          if (this_.unsubscribed.has(r.CustomerAWSAccountId)) Status = 'CustomerNotSubscribed';
          else if (seen && seen.quantity !== r.Quantity) Status = 'DuplicateRecord';
          else if (!seen) this_.accepted.set(key, { quantity: r.Quantity, id: (id = randomUUID()) });
          Results.push({ UsageRecord: r, Status, ...(Status === 'Success' ? { MeteringRecordId: id } : {}) });
        });
        return [
          200,
          { Results, UnprocessedRecords: Unprocessed },
          { 'content-type': 'application/x-amz-json-1.1' },
        ];
      });
  }

  /** What AWS will bill: the accepted quantity per customer and hour. */
  billed(customer: string): number {
    return [...this.accepted.entries()]
      .filter(([k]) => k.startsWith(customer))
      .reduce((s, [, v]) => s + v.quantity, 0);
  }
}

describe('hourly export to AWS Marketplace (BatchMeterUsage through nock)', () => {
  let t: TestDb;
  let tenants: TenantRepo;
  let settings: BillingSettingsRepo;
  let ledger: LedgerRepo;
  let aws: FakeMetering;
  let metering: ReturnType<typeof createMeteringApi>;
  const box = new SecretBox(Buffer.alloc(32, 7));
  const logger = createLogger('silent');

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterAll(() => nock.enableNetConnect());

  beforeEach(async () => {
    t = await testDb();
    tenants = new TenantRepo(t.db, box);
    settings = new BillingSettingsRepo(t.db, 0);
    ledger = new LedgerRepo(t.db);
    aws = new FakeMetering();
    aws.install();
    metering = createMeteringApi({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 3,
    });
  });
  afterEach(async () => {
    nock.cleanAll();
    metering.destroy();
    await t.drop();
  });

  let n = 0;
  /** A tenant on AWS Marketplace with `count` automated resolutions whose window ended an hour ago, checked. */
  async function tenantWith(count: number, account = String(100000000000 + ++n)): Promise<string> {
    const id = `m${randomUUID().slice(0, 8)}`;
    await tenants.create({ subdomain: id, credentials: { kind: 'oauth', token: 'x' } }, false);
    await settings.update(id, { awsCustomerAccountId: account, awsProductCode: PRODUCT });
    await resolve(id, count);
    return id;
  }
  async function resolve(tenantId: string, count: number, windowEnd = Date.now() - HOUR): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const ticket = 1000 + Math.floor(Math.random() * 1e9);
      const solved = windowEnd - 72 * HOUR;
      const key = `${ticket}:${new Date(solved).toISOString()}`;
      keys.push(key);
      await ledger.append([
        resolutionEntry(tenantId, ticket, key, solved, windowEnd, 'automated', {} as never),
      ]);
      await t.db.query(
        `INSERT INTO resolution_checks (tenant_id, resolution_key, outcome) VALUES ($1, $2, 'standing')`,
        [tenantId, key],
      );
    }
    return keys;
  }
  async function reverse(tenantId: string, key: string, entry: 'void' | 'credit'): Promise<void> {
    const [r] = await t.db.query<{ ticket_id: string; solved_at: Date; window_ends_at: Date }>(
      `SELECT ticket_id, solved_at, window_ends_at FROM resolution_ledger WHERE tenant_id = $1 AND resolution_key = $2`,
      [tenantId, key],
    );
    await ledger.append([
      {
        tenantId,
        entryKey: reversalEntryKey(key),
        entry,
        ticketId: Number(r!.ticket_id),
        resolutionKey: key,
        kind: 'automated',
        quantity: -1,
        occurredAt: new Date().toISOString(),
        solvedAt: new Date(r!.solved_at).toISOString(),
        windowEndsAt: new Date(r!.window_ends_at).toISOString(),
        reason: 'reopened',
        evidence: {},
      },
    ]);
  }
  const deps = (over: Partial<ExportDeps> = {}): ExportDeps => ({
    db: t.db,
    settings,
    metering,
    logger,
    now: () => new Date(Date.now() + 2 * HOUR),
    backoffMs: 10,
    ...over,
  });
  const records = (tenantId: string) =>
    t.db.query<{ status: string; quantity: number; attempts: number; usage_hour: Date }>(
      `SELECT status, quantity, attempts, usage_hour FROM metering_records WHERE tenant_id = $1 ORDER BY usage_hour`,
      [tenantId],
    );

  test('when 27 tenants have usage, then two calls of at most 25 records in the real wire format, one record per tenant and hour', async () => {
    const ids = [];
    for (let i = 0; i < 27; i++) ids.push(await tenantWith(2));
    const summary = await runExport(deps());
    expect(summary).toMatchObject({ sent: 27, accepted: 27, stillPending: 0, duplicateRecord: 0 });
    expect(aws.calls.map((c) => c.body.UsageRecords.length)).toEqual([25, 2]);
    const first = aws.calls[0]!;
    expect(first.target).toBe('AWSMPMeteringService.BatchMeterUsage');
    expect(first.contentType).toBe('application/x-amz-json-1.1');
    expect(first.body.ProductCode).toBe(PRODUCT);
    const hour = Math.floor((Date.now() + 2 * HOUR) / HOUR) * HOUR - HOUR;
    expect(first.body.UsageRecords[0]).toEqual({
      Timestamp: hour / 1000,
      CustomerAWSAccountId: expect.stringMatching(/^\d{12}$/),
      Dimension: 'automated_resolutions',
      Quantity: 2,
    });
    // A second run in the same hour plans nothing new and sends nothing.
    const again = await runExport(deps());
    expect(again).toMatchObject({ planned: [], sent: 0 });
    expect(aws.calls).toHaveLength(2);
    expect(await records(ids[0]!)).toEqual([
      expect.objectContaining({ status: 'accepted', quantity: 2, attempts: 1 }),
    ]);
  });

  test('when AWS throttles, then the same record is retried and accepted once', async () => {
    const id = await tenantWith(3);
    aws.script = ['throttle', 'throttle'];
    const summary = await runExport(deps());
    expect(summary).toMatchObject({ accepted: 1, stillPending: 0 });
    expect(aws.calls.length).toBe(3);
    expect(new Set(aws.calls.map((c) => JSON.stringify(c.body))).size).toBe(1);
    expect(await records(id)).toEqual([expect.objectContaining({ status: 'accepted', quantity: 3 })]);
  });

  test('when AWS leaves records unprocessed, then exactly those are sent again, identical', async () => {
    const a = await tenantWith(1);
    const b = await tenantWith(4);
    const c = await tenantWith(2);
    aws.script = [{ unprocessed: [1] }];
    const summary = await runExport(deps());
    expect(summary).toMatchObject({ accepted: 3, stillPending: 0 });
    expect(aws.calls.map((x) => x.body.UsageRecords.length)).toEqual([3, 1]);
    expect(aws.calls[1]!.body.UsageRecords[0]).toEqual(aws.calls[0]!.body.UsageRecords[1]);
    for (const [id, q] of [
      [a, 1],
      [b, 4],
      [c, 2],
    ] as const)
      expect(await records(id)).toEqual([expect.objectContaining({ status: 'accepted', quantity: q })]);
  });

  test('when AWS answers DuplicateRecord or CustomerNotSubscribed, then the record keeps that status, is surfaced and never retried', async () => {
    const dup = await tenantWith(5, '222222222222');
    const gone = await tenantWith(1, '333333333333');
    const hour = Math.floor((Date.now() + 2 * HOUR) / HOUR) * HOUR - HOUR;
    // Someone (another deployment, an old bug) already metered that hour with another quantity.
    aws.accepted.set(`222222222222|automated_resolutions|${hour / 1000}`, { quantity: 4, id: 'earlier' });
    aws.unsubscribed.add('333333333333');
    const statuses: string[] = [];
    const summary = await runExport(deps({ onStatus: (s, k) => statuses.push(`${s}:${k}`) }));
    expect(summary).toMatchObject({ duplicateRecord: 1, customerNotSubscribed: 1, accepted: 0 });
    expect(statuses.sort()).toEqual(['customer_not_subscribed:1', 'duplicate_record:1']);
    expect(await records(dup)).toEqual([expect.objectContaining({ status: 'duplicate_record' })]);
    expect(await records(gone)).toEqual([expect.objectContaining({ status: 'customer_not_subscribed' })]);
    await runExport(deps());
    expect(aws.calls).toHaveLength(1);
  });

  test('when the process dies between AWS answering and our write, then the restart re-sends the identical record and AWS counts it once', async () => {
    const id = await tenantWith(7, '444444444444');
    await expect(
      runExport(
        deps({
          afterSend: () => {
            throw new Error('killed');
          },
        }),
      ),
    ).rejects.toThrow('killed');
    expect(await records(id)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })]);
    const summary = await runExport(deps());
    expect(summary).toMatchObject({ accepted: 1 });
    expect(aws.calls).toHaveLength(2);
    expect(aws.calls[1]!.body).toEqual(aws.calls[0]!.body);
    expect(aws.billed('444444444444')).toBe(7);
    expect(await records(id)).toEqual([
      expect.objectContaining({ status: 'accepted', quantity: 7, attempts: 2 }),
    ]);
  });

  test('when resolutions are reversed, then a void cancels its own resolution and a credit lowers the next hour, carried over while it exceeds the usage', async () => {
    const id = await tenantWith(0, '555555555555');
    const first = await resolve(id, 3);
    await runExport(deps());
    expect((await records(id)).map((r) => r.quantity)).toEqual([3]);
    // Two of the three billed resolutions are credited; one new resolution is voided before billing.
    await reverse(id, first[0]!, 'credit');
    await reverse(id, first[1]!, 'credit');
    const [fresh] = await resolve(id, 1, Date.now() - HOUR / 2);
    await reverse(id, fresh!, 'void');
    const [billable] = await resolve(id, 1, Date.now() - HOUR / 2);
    await runExport(deps({ now: () => new Date(Date.now() + 3 * HOUR) }));
    // +1 (billable) +1 (voided one) -1 (its void) -1 (a credit): 0; the other credit waits.
    expect((await records(id)).map((r) => [r.status, r.quantity])).toEqual([
      ['accepted', 3],
      ['nothing_to_send', 0],
    ]);
    expect(billable).toBeDefined();
    await resolve(id, 2, Date.now() - HOUR / 4);
    await runExport(deps({ now: () => new Date(Date.now() + 4 * HOUR) }));
    expect((await records(id)).map((r) => [r.status, r.quantity])).toEqual([
      ['accepted', 3],
      ['nothing_to_send', 0],
      ['accepted', 1],
    ]);
    expect(aws.billed('555555555555')).toBe(4);
  });

  test('when a record was never sent within the 6-hour window, then it expires and its resolutions move to a later hour', async () => {
    const id = await tenantWith(2, '666666666666');
    // Planned, then the process stopped before sending, and nothing ran for nine hours.
    const planned = await planHour(t.db, await settings.get(id), new Date(Date.now() + 2 * HOUR));
    expect(planned).toMatchObject({ quantity: 2 });
    const later = await runExport(deps({ now: () => new Date(Date.now() + 11 * HOUR) }));
    expect(later.expired).toBe(1);
    expect((await records(id)).map((r) => [r.status, r.quantity])).toEqual([
      ['expired', 2],
      ['accepted', 2],
    ]);
    expect(aws.calls).toHaveLength(1);
    expect(aws.billed('666666666666')).toBe(2);
  });
});
