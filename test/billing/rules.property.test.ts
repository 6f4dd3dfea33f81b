import fc from 'fast-check';
import { planTicket, type PlanEvent } from '../../server/billing/rules';
import type { TicketEventKind } from '../../server/billing/types';

const HOUR = 3_600_000;
const W = 72 * HOUR;

/** A plausible ticket history: events hours apart, each delivered a few minutes after it happened. */
const history = fc
  .array(
    fc.record({
      kind: fc.constantFrom<TicketEventKind>('solved', 'reopened', 'end_user_comment'),
      gapHours: fc.integer({ min: 1, max: 120 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((steps) => {
    let t = Date.UTC(2024, 0, 1);
    return steps.map((s): PlanEvent => {
      t += s.gapHours * HOUR;
      return {
        eventKey: `${s.kind}:7:${new Date(t).toISOString()}`,
        kind: s.kind,
        occurredAt: t,
        deliveredAt: t + 5_000,
      };
    });
  });

describe('resolution rules (property)', () => {
  test('when a history arrives in any order and with duplicates, then the plan is the same', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 1e9 }), (events, seed) => {
        const shuffled = [...events, ...events.filter((_, i) => (seed >> i) & 1)].sort(
          (a, b) => ((a.occurredAt * 7919 + seed) % 1009) - ((b.occurredAt * 7919 + seed) % 1009),
        );
        expect(planTicket(7, shuffled, W)).toEqual(planTicket(7, events, W));
      }),
    );
  });

  test('when a resolution is reversed, then by the first reopen or end-user message after it, void inside the window, credit after', () => {
    fc.assert(
      fc.property(history, (events) => {
        for (const p of planTicket(7, events, W)) {
          const next = events.find((e) => e.kind === 'solved' && e.occurredAt > p.solvedAt);
          const after = events.filter(
            (e) =>
              e.kind !== 'solved' && e.occurredAt > p.solvedAt && (!next || e.occurredAt < next.occurredAt),
          );
          const inside = after.find((e) => e.occurredAt <= p.windowEndsAt);
          if (inside)
            expect(p.reversal).toEqual({ within: true, at: inside.occurredAt, reason: inside.kind });
          else if (next && next.occurredAt <= p.windowEndsAt)
            expect(p.reversal).toMatchObject({ within: true, reason: 'solved_again' });
          else {
            const reopen = after.find((e) => e.kind === 'reopened');
            expect(p.reversal).toEqual(
              reopen ? { within: false, at: reopen.occurredAt, reason: 'reopened' } : null,
            );
          }
        }
      }),
    );
  });
});
