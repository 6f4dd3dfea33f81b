import { parentPort } from 'node:worker_threads';
import { startConnectDouble, type ConnectDouble } from '../doubles/connect-double';
import { startZendeskDouble, type ZendeskDouble } from '../doubles/zendesk-double';
import { analyse, type Analysis } from './sync-analysis';
import { buildScenario, type Scenario } from './sync-scenario';
import { sendAll, type SendReport } from './sender';
import { serveThread, ThreadClient } from './threads';

/**
 * The sync benchmark's outside world: the Zendesk and Connect doubles (standing in for remote services)
 * and the load generator (standing in for EventBridge), with the analysis of what the Zendesk double
 * received. It runs on a worker thread, so its CPU work does not queue on the service's event loop,
 * just as the real services and EventBridge would not. Both threads read the same host clock.
 */

export interface HarnessInit {
  contacts: number;
  seed: number;
  agents: string[];
}
export interface HarnessReady {
  zendeskUrl: string;
  connectUrl: string;
  connectRegion: string;
  instanceArn: string;
  stats: Scenario['stats'];
}
export interface HarnessResult {
  analysis: Analysis;
  connect: { describeContact: number; describeUser: number };
}

/** The service side's handle on the harness thread. */
export class Harness {
  private readonly thread: ThreadClient;

  constructor(onProgress: (text: string) => void) {
    this.thread = new ThreadClient(__filename, 'harnessThread', onProgress);
  }
  init(init: HarnessInit): Promise<HarnessReady> {
    return this.thread.call('init', { init });
  }
  send(url: string, ingestKey: string, rate: number): Promise<SendReport> {
    return this.thread.call('send', { url, ingestKey, rate });
  }
  analyse(): Promise<HarnessResult> {
    return this.thread.call('analyse');
  }
  abort(): void {
    void this.thread.call('abort').catch(() => undefined);
  }
  cpuSeconds(): Promise<number | null> {
    return this.thread.cpuSeconds();
  }
  async close(): Promise<void> {
    await this.thread.call('close').catch(() => undefined);
    await this.thread.terminate();
  }
}

/** Entry point on the harness thread: one scenario, sent once, analysed once. */
export function harnessThread(): void {
  if (!parentPort) throw new Error('harnessThread() runs on a worker thread');
  let zendesk: ZendeskDouble | undefined;
  let connect: ConnectDouble | undefined;
  let scenario: Scenario | undefined;
  const aborted = new AbortController();
  serveThread(parentPort, async (req, progress) => {
    switch (req.type) {
      case 'init': {
        const init = req.init as HarnessInit;
        zendesk = await startZendeskDouble();
        connect = await startConnectDouble();
        for (const id of init.agents) {
          connect.putUser({ userId: id, username: `${id}@example.com`, email: `${id}@example.com` });
          zendesk.addUser({ name: `Agent ${id}`, email: `${id}@example.com`, role: 'agent' });
        }
        scenario = buildScenario(connect, init);
        const ready: HarnessReady = {
          zendeskUrl: zendesk.url,
          connectUrl: connect.url,
          connectRegion: connect.region,
          instanceArn: connect.instanceArn,
          stats: scenario.stats,
        };
        return ready;
      }
      case 'send': {
        if (!scenario || !zendesk) throw new Error('send before init');
        const z = zendesk;
        const total = scenario.stats.deliveries;
        return sendAll(scenario.posts, {
          url: req.url as string,
          ingestKey: req.ingestKey as string,
          rate: req.rate as number,
          signal: aborted.signal,
          onProgress: (sent) =>
            progress(`${sent}/${total} events sent, ${z.requests.length} Zendesk requests`),
        });
      }
      case 'analyse': {
        if (!scenario || !zendesk || !connect) throw new Error('analyse before init');
        const result: HarnessResult = {
          analysis: analyse(scenario, zendesk),
          connect: {
            describeContact: connect.count('DescribeContact'),
            describeUser: connect.count('DescribeUser'),
          },
        };
        return result;
      }
      case 'abort':
        aborted.abort();
        return null;
      case 'close':
        await zendesk?.close().catch(() => undefined);
        await connect?.close().catch(() => undefined);
        return null;
      default:
        throw new Error(`unknown request ${req.type}`);
    }
  });
}
