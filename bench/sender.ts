import http from 'node:http';
import type { PlannedEvent } from './sync-scenario';

/**
 * Posts the scenario to /v1/connect/events like an EventBridge API destination: at a fixed event rate
 * (or as fast as `lanes` concurrent requests allow when rate is 0), retrying what was not accepted.
 */

export interface SendOptions {
  url: string;
  ingestKey: string;
  /** Events per second; 0 = as fast as possible. */
  rate: number;
  /** Concurrent requests when rate is 0. */
  lanes?: number;
  /** Never more than this many requests in flight (a stalled service must not make us buffer forever). */
  maxInFlight?: number;
  onProgress?: (sentEvents: number) => void;
  /** Stops sending (what is in flight still completes). */
  signal?: AbortSignal;
}

export interface SendReport {
  posts: number;
  attempts: number;
  non202: number;
  /** Answers other than 202, by status (503: the inbox could not store the event in time). */
  non202ByStatus: Record<string, number>;
  networkErrors: number;
  /** Events whose POST never got a 202 after every retry. */
  undelivered: number;
  sendSeconds: number;
  achievedEventsPerS: number;
  /** How late POSTs left against their schedule (the generator shares the event loop with the service). */
  lagMs: number[];
  /** POST sent -> 202 received (the event is durably in the inbox). */
  acceptMs: number[];
}

const RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function sendAll(posts: PlannedEvent[][], opts: SendOptions): Promise<SendReport> {
  const target = new URL('/v1/connect/events', opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const maxInFlight = opts.maxInFlight ?? 1_000;
  const report: SendReport = {
    posts: posts.length,
    attempts: 0,
    non202: 0,
    non202ByStatus: {},
    networkErrors: 0,
    undelivered: 0,
    sendSeconds: 0,
    achievedEventsPerS: 0,
    lagMs: [],
    acceptMs: [],
  };

  const postOnce = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${opts.ingestKey}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(body);
    });

  const deliver = async (events: PlannedEvent[]) => {
    const body = JSON.stringify(events.length === 1 ? events[0]!.body : events.map((e) => e.body));
    for (let attempt = 0; attempt <= RETRIES && !(attempt > 0 && opts.signal?.aborted); attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** attempt);
      const sentAt = Date.now();
      for (const e of events) e.firstPostAt ??= sentAt;
      report.attempts++;
      try {
        const status = await postOnce(body);
        if (status === 202) {
          report.acceptMs.push(Date.now() - sentAt);
          for (const e of events) e.accepted = true;
          return;
        }
        report.non202++;
        report.non202ByStatus[status] = (report.non202ByStatus[status] ?? 0) + 1;
      } catch {
        report.networkErrors++;
      }
    }
    report.undelivered += events.length;
  };

  const inFlight = new Set<Promise<void>>();
  const start = (events: PlannedEvent[]) => {
    const p = deliver(events).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const t0 = Date.now();
  let sent = 0;
  let lastProgress = t0;
  if (opts.rate > 0) {
    const msPerEvent = 1000 / opts.rate;
    for (let i = 0; i < posts.length && !opts.signal?.aborted;) {
      const now = Date.now();
      while (i < posts.length && t0 + sent * msPerEvent <= now && inFlight.size < maxInFlight) {
        report.lagMs.push(Math.round(now - (t0 + sent * msPerEvent)));
        start(posts[i]!);
        sent += posts[i]!.length;
        i++;
      }
      if (now - lastProgress >= 5_000) {
        opts.onProgress?.(sent);
        lastProgress = now;
      }
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      else await sleep(Math.max(1, Math.min(5, t0 + sent * msPerEvent - Date.now())));
    }
  } else {
    let next = 0;
    const lane = async () => {
      while (next < posts.length && !opts.signal?.aborted) {
        const events = posts[next++]!;
        sent += events.length;
        await deliver(events);
        if (Date.now() - lastProgress >= 5_000) {
          opts.onProgress?.(sent);
          lastProgress = Date.now();
        }
      }
    };
    await Promise.all(Array.from({ length: opts.lanes ?? 16 }, lane));
  }
  await Promise.all(inFlight);
  agent.destroy();
  report.sendSeconds = (Date.now() - t0) / 1000;
  report.achievedEventsPerS = sent / report.sendSeconds;
  return report;
}
