import { WakeUps } from '../../server/billing/wakeups';
import { TicketSlots } from '../../server/billing/drain';
import { createLogger } from '../../server/logger';
import type { Queues } from '../../server/queues/contracts';

/** A Queues stand-in that records the wake-ups sent (the real one is exercised in test/billing). */
function fakeQueues(failures = 0) {
  const calls: Array<{ tenants: string[]; at: number }> = [];
  const queues = {
    wakeBillingDrains: async (tenants: string[]) => {
      if (failures-- > 0) throw new Error('redis down');
      calls.push({ tenants: [...tenants].sort(), at: Date.now() });
    },
  } as unknown as Queues; // only wakeBillingDrains is used by WakeUps
  return { queues, calls };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('billing wake-ups', () => {
  test('when a burst of events comes for two tenants, then one wake-up per tenant, not one per event', async () => {
    const { queues, calls } = fakeQueues();
    const wakeUps = new WakeUps(queues, createLogger('silent'), 100);
    for (let i = 0; i < 500; i++) wakeUps.add(i % 2 ? 'acme' : 'globex');
    await sleep(20);
    expect(calls.map((c) => c.tenants)).toEqual([['acme', 'globex']]);
  });

  test('when events keep coming, then wake-ups are at least the interval apart, and the last events get one', async () => {
    const { queues, calls } = fakeQueues();
    const wakeUps = new WakeUps(queues, createLogger('silent'), 100);
    const until = Date.now() + 350;
    while (Date.now() < until) {
      wakeUps.add('acme');
      await sleep(5);
    }
    const lastAdd = Date.now();
    await sleep(150);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(95);
    expect(calls[calls.length - 1]!.at).toBeGreaterThanOrEqual(lastAdd - 100);
  });

  test('when Redis is down, then the wake-up is dropped without failing anyone (the sweep finds the events), and later ones still go', async () => {
    const { queues, calls } = fakeQueues(1);
    const wakeUps = new WakeUps(queues, createLogger('silent'), 10);
    wakeUps.add('acme');
    await sleep(5);
    expect(calls).toEqual([]);
    wakeUps.add('globex');
    await sleep(30);
    expect(calls.map((c) => c.tenants)).toEqual([['globex']]);
  });
});

describe('ticket slots', () => {
  test('when more tickets want slots than there are, then they run at most n at a time, in turn', async () => {
    const slots = new TicketSlots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await slots.acquire();
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        order.push(i);
        running--;
        slots.release();
      }),
    );
    expect(peak).toBe(2);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
