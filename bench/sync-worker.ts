import { parentPort } from 'node:worker_threads';
import { ConnectClient } from '@aws-sdk/client-connect';
import pino from 'pino';
import { loadConfig } from '../server/config';
import { createConnectClient } from '../server/connect/client';
import { REDACT_PATHS } from '../server/logger';
import { QUEUES } from '../server/queues/contracts';
import { run, type Running } from '../server/runtime/service';
import { countRoundTrips, newRoundTrips, watchJobs, type JobStats, type RoundTrips } from './sync-probes';
import { serveThread, ThreadClient } from './threads';

/**
 * `bench sync --split`: the contact-sync worker as its own service on its own thread (own event loop,
 * database pool and Redis connections), like `concierge work` beside `concierge serve`.
 */

export interface WorkerInit {
  env: Record<string, string>;
  schema: string;
  connect: { region: string; url: string };
}
export interface WorkerStats {
  jobs: JobStats;
  roundTrips: RoundTrips;
}

export class WorkerThread {
  private readonly thread: ThreadClient;

  constructor(onProgress: (text: string) => void) {
    this.thread = new ThreadClient(__filename, 'workerThread', onProgress);
  }
  start(init: WorkerInit): Promise<null> {
    return this.thread.call('start', { init });
  }
  stats(): Promise<WorkerStats> {
    return this.thread.call('stats');
  }
  cpuSeconds(): Promise<number | null> {
    return this.thread.cpuSeconds();
  }
  async stop(): Promise<void> {
    await this.thread.call('stop').catch(() => undefined);
    await this.thread.terminate();
  }
}

export function workerThread(): void {
  if (!parentPort) throw new Error('workerThread() runs on a worker thread');
  let service: Running | undefined;
  let client: ConnectClient | undefined;
  let jobs: JobStats | undefined;
  const roundTrips = newRoundTrips();
  serveThread(parentPort, async (req) => {
    switch (req.type) {
      case 'start': {
        const init = req.init as WorkerInit;
        const config = loadConfig(init.env);
        const logger = pino(
          {
            level: config.LOG_LEVEL,
            base: { service: 'concierge-worker' },
            redact: { paths: REDACT_PATHS, censor: '[redacted]' },
          },
          pino.destination(2),
        );
        const sdk = new ConnectClient({
          region: init.connect.region,
          endpoint: init.connect.url,
          credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        });
        client = sdk;
        service = await run(config, logger, {
          api: false,
          queues: [QUEUES.contactSync],
          overrides: { connect: createConnectClient({ clientFor: () => sdk }), schema: init.schema },
        });
        countRoundTrips(service.ctx.db, roundTrips);
        jobs = watchJobs(service.workers!.workers[0]!);
        return null;
      }
      case 'stats': {
        if (!jobs) throw new Error('stats before start');
        const stats: WorkerStats = { jobs, roundTrips };
        return stats;
      }
      case 'stop':
        await service?.stop();
        client?.destroy();
        return null;
      default:
        throw new Error(`unknown request ${req.type}`);
    }
  });
}
