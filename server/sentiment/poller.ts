import { ContactLensError, MAX_RESULTS, type SegmentBatch } from '../connect/contact-lens';
import type { SentimentPollPayload } from '../queues/contracts';
import type { LegRecord } from './repo';
import type { SentimentService } from './service';

export type PollOutcome =
  | { outcome: 'continue'; delayMs: number; newSegments: number }
  | { outcome: 'stopped'; reason: string; newSegments: number };

/** Pages read in one tick while Contact Lens keeps returning full pages (a backlog after a pause). */
const MAX_PAGES_PER_TICK = 5;
const MAX_BACKOFF_MS = 30_000;

/**
 * One polling tick for one analysed leg: read what Contact Lens has since the stored NextToken,
 * store it, and say when to look again. Quick (1 s) while segments keep coming, doubling to the
 * slow interval (5 s) when quiet; one last read after DISCONNECTED, then stop. Stops too when
 * Contact Lens says the session is over, the leg was never analysed, or after the maximum time.
 */
export async function pollLeg(
  service: SentimentService,
  job: SentimentPollPayload,
  now = Date.now(),
): Promise<PollOutcome> {
  const { repo, contactLens } = service.deps;
  const opts = service.options;
  const { tenantId, contactId } = job;
  const leg = await repo.leg(tenantId, contactId);
  if (!leg || leg.stoppedAt !== null)
    return { outcome: 'stopped', reason: leg?.stopReason ?? 'unknown_leg', newSegments: 0 };
  const stop = async (reason: string, newSegments = 0): Promise<PollOutcome> => {
    await repo.stopPolling(tenantId, contactId, reason);
    service.log.info({ tenantId, contactId, reason, polls: leg.polls + 1 }, 'contact lens polling stopped');
    return { outcome: 'stopped', reason, newSegments };
  };
  const started = leg.pollStartedAt ?? now;
  if (now - started > opts.pollMaxMs) return stop('max_duration');
  if (!leg.instanceArn) return stop('no_instance');
  const lastRound = leg.endedAt !== null;
  // The segment stream is delivering for this leg: it is faster than polling, so stand aside.
  if (!lastRound && leg.streamSeenAt !== null && now - leg.streamSeenAt < opts.streamFreshMs) {
    await repo.recordPoll(tenantId, contactId, {
      nextToken: null,
      newSegments: false,
      intervalMs: opts.pollSlowMs,
    });
    return { outcome: 'continue', delayMs: opts.pollSlowMs, newSegments: 0 };
  }

  const batch: SegmentBatch = { utterances: [], categories: [] };
  let token = leg.nextToken ?? undefined;
  let sessionOver = false;
  try {
    for (let page = 0; page < MAX_PAGES_PER_TICK; page++) {
      const res = await contactLens.listSegments({
        instanceArn: leg.instanceArn,
        contactId,
        channel: leg.channel,
        ...(token ? { nextToken: token } : {}),
        maxResults: MAX_RESULTS,
        ...(leg.originAt !== null ? { originMs: leg.originAt } : {}),
      });
      batch.utterances.push(...res.utterances);
      batch.categories.push(...res.categories);
      if (!res.nextToken) {
        sessionOver = true;
        break;
      }
      token = res.nextToken;
      if (res.segmentCount < MAX_RESULTS) break;
    }
  } catch (err) {
    if (!(err instanceof ContactLensError)) throw err;
    return handleError(service, leg, err, now, lastRound, stop);
  }

  const stored = await repo.ingest(tenantId, [
    {
      contactId,
      channel: leg.channel,
      utterances: batch.utterances,
      categories: batch.categories,
      source: 'api',
    },
  ]);
  const fresh = stored.accepted;
  const interval =
    fresh > 0
      ? opts.pollFastMs
      : Math.min(opts.pollSlowMs, Math.max(opts.pollFastMs, (leg.intervalMs ?? opts.pollFastMs) * 2));
  await repo.recordPoll(tenantId, contactId, {
    nextToken: token ?? null,
    newSegments: fresh > 0,
    intervalMs: interval,
  });
  if (stored.changed.length) await service.refresh(tenantId, stored.changed, stored.snapshots);
  if (lastRound) return stop('disconnected', fresh);
  if (sessionOver) return stop('analysis_ended', fresh);
  return { outcome: 'continue', delayMs: interval, newSegments: fresh };
}

async function handleError(
  service: SentimentService,
  leg: LegRecord,
  err: ContactLensError,
  now: number,
  lastRound: boolean,
  stop: (reason: string) => Promise<PollOutcome>,
): Promise<PollOutcome> {
  const opts = service.options;
  const since = now - (leg.pollStartedAt ?? now);
  switch (err.kind) {
    case 'not_found':
      // The analysis session can start a little after the agent connects; after a while, it never will.
      if (lastRound || since > opts.notFoundGiveUpMs) return stop('not_analysed');
      break;
    case 'access_denied':
      return stop('access_denied');
    case 'invalid':
      return stop('invalid_request');
    default:
      if (lastRound && since > opts.notFoundGiveUpMs) return stop('disconnected');
  }
  const backoff =
    err.kind === 'throttled' || err.kind === 'transient'
      ? Math.min(MAX_BACKOFF_MS, Math.max(opts.pollSlowMs, (leg.intervalMs ?? opts.pollFastMs) * 2))
      : opts.pollSlowMs;
  await service.deps.repo.recordPoll(leg.tenantId, leg.contactId, {
    nextToken: null,
    newSegments: false,
    intervalMs: backoff,
  });
  return { outcome: 'continue', delayMs: backoff, newSegments: 0 };
}
