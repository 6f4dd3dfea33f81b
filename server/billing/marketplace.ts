import type {
  MarketplaceMeteringClient,
  MarketplaceMeteringClientConfig,
  UsageRecord,
} from '@aws-sdk/client-marketplace-metering';

/**
 * The one place that talks to AWS Marketplace Metering (BatchMeterUsage, awsJson1_1). Configuration is the
 * SDK's own: region and credentials from the default chain, AWS_ENDPOINT_URL_MARKETPLACE_METERING for tests.
 */

export interface UsageRecordInput {
  customerAccountId: string;
  dimension: string;
  hour: Date;
  quantity: number;
}

export interface UsageRecordOutcome {
  customerAccountId: string;
  dimension: string;
  /** Epoch ms of the record's Timestamp. */
  hour: number;
  /** Success | CustomerNotSubscribed | DuplicateRecord */
  status: string;
  meteringRecordId?: string;
}

export interface MeteringApi {
  batchMeterUsage(
    productCode: string,
    records: UsageRecordInput[],
  ): Promise<{ results: UsageRecordOutcome[]; unprocessed: UsageRecordInput[] }>;
}

/** A whole call failed. `retriable`: throttling, AWS 5xx, network; the rest needs a person. */
export class MeteringError extends Error {
  constructor(
    message: string,
    public readonly code: string,
    public readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MeteringError';
  }
}

export const MAX_RECORDS_PER_CALL = 25;
const RETRIABLE = new Set([
  'ThrottlingException',
  'InternalServiceErrorException',
  'TimeoutError',
  'RequestTimeout',
]);

const toRecord = (r: UsageRecordInput): UsageRecord => ({
  Timestamp: r.hour,
  CustomerAWSAccountId: r.customerAccountId,
  Dimension: r.dimension,
  Quantity: r.quantity,
});

const fromRecord = (r: UsageRecord | undefined): Omit<UsageRecordOutcome, 'status'> | null =>
  r && r.CustomerAWSAccountId && r.Dimension && r.Timestamp
    ? {
        customerAccountId: r.CustomerAWSAccountId,
        dimension: r.Dimension,
        hour: new Date(r.Timestamp).getTime(),
      }
    : null;

export function createMeteringApi(
  config: MarketplaceMeteringClientConfig = {},
): MeteringApi & { destroy(): void } {
  // Loaded on first use: CLI commands and processes of tenants billed outside AWS never pay for the SDK.
  const sdk = () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load that tsx resolves
    require('@aws-sdk/client-marketplace-metering') as typeof import('@aws-sdk/client-marketplace-metering');
  let client: MarketplaceMeteringClient | undefined;
  const get = () => (client ??= new (sdk().MarketplaceMeteringClient)(config));
  return {
    async batchMeterUsage(productCode, records) {
      if (records.length === 0 || records.length > MAX_RECORDS_PER_CALL)
        throw new MeteringError(
          `BatchMeterUsage takes 1 to ${MAX_RECORDS_PER_CALL} records`,
          'InvalidBatch',
          false,
        );
      let out;
      try {
        out = await get().send(
          new (sdk().BatchMeterUsageCommand)({
            ProductCode: productCode,
            UsageRecords: records.map(toRecord),
          }),
        );
      } catch (err) {
        const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const code = e.name ?? 'Error';
        const status = e.$metadata?.httpStatusCode;
        const retriable = RETRIABLE.has(code) || status === undefined || status >= 500;
        throw new MeteringError(
          `BatchMeterUsage failed: ${code}: ${e.message ?? ''}`.slice(0, 300),
          code,
          retriable,
          {
            cause: err,
          },
        );
      }
      const results: UsageRecordOutcome[] = [];
      for (const r of out.Results ?? []) {
        const rec = fromRecord(r.UsageRecord);
        if (rec)
          results.push({
            ...rec,
            status: r.Status ?? 'Unknown',
            ...(r.MeteringRecordId ? { meteringRecordId: r.MeteringRecordId } : {}),
          });
      }
      const unprocessed: UsageRecordInput[] = [];
      for (const u of out.UnprocessedRecords ?? []) {
        const rec = fromRecord(u);
        if (rec)
          unprocessed.push({
            customerAccountId: rec.customerAccountId,
            dimension: rec.dimension,
            hour: new Date(rec.hour),
            quantity: u.Quantity ?? 0,
          });
      }
      return { results, unprocessed };
    },
    destroy() {
      client?.destroy();
    },
  };
}
