import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { sentimentFinalPayload, sentimentPollPayload } from '../server/queues/contracts';
import type { SentimentService } from '../server/sentiment/service';
import { pollLeg, type PollOutcome } from '../server/sentiment/poller';
import { finalizeConversation, PermanentFinalError, type FinalOutcome } from '../server/sentiment/final';
import { RateLimitedError, ZendeskError } from '../server/zendesk/types';

/**
 * sentiment-poll, two job kinds:
 *   poll  — one analysed leg; after each tick the same job goes back to delayed until the leg is
 *           done, so a contact has exactly one poller whatever enqueues it.
 *   final — a conversation's final sentiment onto its ticket; waits (delayed) for the post-call output.
 * Waiting never spends an attempt; input that can never succeed ends the job for good.
 */
export function sentimentPollProcessor(service: SentimentService) {
  return async (job: Job, token?: string): Promise<PollOutcome | FinalOutcome> => {
    const later = async (delayMs: number): Promise<never> => {
      if (!token) throw new Error('cannot delay a job without its lock token');
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    };

    if (job.name === 'poll') {
      const parsed = sentimentPollPayload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid poll payload: ${parsed.error.message}`);
      const result = await pollLeg(service, parsed.data);
      return result.outcome === 'continue' ? later(result.delayMs) : result;
    }

    if (job.name === 'final') {
      const parsed = sentimentFinalPayload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid final payload: ${parsed.error.message}`);
      try {
        const result = await finalizeConversation(service, parsed.data, `${job.id ?? 'job'}:${token ?? ''}`);
        return result.outcome === 'wait' ? await later(result.delayMs) : result;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (err instanceof PermanentFinalError) throw new UnrecoverableError(err.message);
        const waitMs =
          err instanceof RateLimitedError
            ? err.retryAfterMs
            : err instanceof ZendeskError && err.retriable && err.retryAfterMs
              ? err.retryAfterMs
              : null;
        if (waitMs !== null) return later(waitMs);
        throw err;
      }
    }
    throw new UnrecoverableError(`unknown sentiment-poll job "${job.name}"`);
  };
}
