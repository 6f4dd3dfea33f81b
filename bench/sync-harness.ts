import { parentPort, Worker } from 'node:worker_threads';
import { startConnectDouble, type ConnectDouble } from '../test/doubles/connect-double';
import { startZendeskDouble, type ZendeskDouble } from '../test/doubles/zendesk-double';
import { analyse, type Analysis } from './sync-analysis';
import { buildScenario, type Scenario } from './sync-scenario';
import { sendAll, type SendReport } from './sender';

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

type Request =
  | { id: number; type: 'init'; init: HarnessInit }
  | { id: number; type: 'send'; url: string; ingestKey: string; rate: number }
  | { id: number; type: 'analyse' }
  | { id: number; type: 'abort' }
  | { id: number; type: 'close' };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Message = Reply | { progress: string };

/** The thread side: one scenario, sent once, analysed once. */
function serve(port: NonNullable<typeof parentPort>): void {
  let zendesk: ZendeskDouble | undefined;
  let connect: ConnectDouble | undefined;
  let scenario: Scenario | undefined;
  const aborted = new AbortController();
  const handle = async (req: Request): Promise<unknown> => {
    switch (req.type) {
      case 'init': {
        zendesk = await startZendeskDouble();
        connect = await startConnectDouble();
        for (const id of req.init.agents) {
          connect.putUser({ userId: id, username: `${id}@example.com`, email: `${id}@example.com` });
          zendesk.addUser({ name: `Agent ${id}`, email: `${id}@example.com`, role: 'agent' });
        }
        scenario = buildScenario(connect, req.init);
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
        const report: SendReport = await sendAll(scenario.posts, {
          url: req.url,
          ingestKey: req.ingestKey,
          rate: req.rate,
          signal: aborted.signal,
          onProgress: (sent) =>
            port.postMessage({
              progress: `${sent}/${total} events sent, ${z.requests.length} Zendesk requests`,
            } satisfies Message),
        });
        return report;
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
    }
  };
  port.on('message', (req: Request) => {
    handle(req).then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies Message),
      (err: unknown) =>
        port.postMessage({
          id: req.id,
          ok: false,
          error: String((err as Error)?.stack ?? err),
        } satisfies Message),
    );
  });
}

/** The service side's handle on the harness thread. */
export class Harness {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(onProgress: (text: string) => void) {
    // The thread compiles this TypeScript file the way bin/bench does (tsx), then serves requests.
    this.worker = new Worker(
      `require('tsx/cjs/api').register(); require(${JSON.stringify(__filename)}).harnessThread();`,
      { eval: true },
    );
    this.worker.on('message', (msg: Message) => {
      if ('progress' in msg) return onProgress(msg.progress);
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.ok) w?.resolve(msg.value);
      else w?.reject(new Error(`harness thread: ${msg.error}`));
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  private call<T>(req: DistributiveOmit<Request, 'id'>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  init(init: HarnessInit): Promise<HarnessReady> {
    return this.call({ type: 'init', init });
  }
  send(url: string, ingestKey: string, rate: number): Promise<SendReport> {
    return this.call({ type: 'send', url, ingestKey, rate });
  }
  analyse(): Promise<HarnessResult> {
    return this.call({ type: 'analyse' });
  }
  abort(): void {
    void this.call({ type: 'abort' }).catch(() => undefined);
  }
  async close(): Promise<void> {
    await this.call({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

/** Entry point on the harness thread. */
export function harnessThread(): void {
  if (!parentPort) throw new Error('harnessThread() runs on a worker thread');
  serve(parentPort);
}
