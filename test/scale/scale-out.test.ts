import { runScaleOut, type ScaleResult } from '../../bench/scale';
import { redisUrl } from '../helpers/env';

const pgUrl = process.env.TEST_DATABASE_URL;

// Several processes share one database, which PGlite (one process per folder) cannot do: this runs where
// PostgreSQL is configured (CI sets TEST_DATABASE_URL).
(pgUrl ? describe : describe.skip)(
  'scale-out: 2 serve + 3 work processes on one PostgreSQL and one Redis',
  () => {
    let result: ScaleResult;
    const log: string[] = [];

    beforeAll(async () => {
      result = await runScaleOut({
        databaseUrl: pgUrl!,
        redisUrl: redisUrl(),
        serves: 2,
        workers: 3,
        contacts: 300,
        rate: 0,
        seed: 7,
        killWorkerAt: 0.4,
        concurrency: 5,
        zendeskLatencyMs: 20,
        drainTimeoutS: 240,
        log: (m) => log.push(m),
      });
    }, 420_000);

    test('when a worker process is SIGKILLed mid-run and started again, then every contact has exactly one ticket: 0 duplicates, 0 lost', () => {
      if (!result.drained) throw new Error(`did not drain:\n${log.join('\n')}`);
      expect(result.processes).toMatchObject({ serve: 2, work: 3, killedAndRestarted: true });
      expect(result.processes.workerExits).toBeGreaterThanOrEqual(1);
      expect(result.send.undelivered).toBe(0);
      expect(result.correctness.duplicates).toBe(0);
      expect(result.correctness.lost).toBe(0);
      expect(result.correctness.noTicket).toBe(0);
      expect(result.correctness.answeredWithoutVoiceComment).toBe(0);
      // What such a ticket holds says which write ran twice (the diff shows it).
      expect(result.correctness.extraVoiceCommentExamples).toEqual([]);
      expect(result.correctness.extraVoiceComments).toBe(0);
      expect(result.zendesk.ticketsCreated).toBe(300);
      expect(result.zendesk.specViolations).toBe(0);
    });

    test('when the run is over, then the shared inbox holds every event as done, none pending or failed', () => {
      expect(result.inbox.pending ?? 0).toBe(0);
      expect(result.inbox.failed ?? 0).toBe(0);
      expect(result.inbox.done).toBeGreaterThan(300);
    });
  },
);
