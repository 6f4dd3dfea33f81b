/**
 * Screen pop: when a call connects, open the ticket the service created for it, unless that ticket is
 * already open in this Zendesk tab (the service may have popped it through the Talk API already).
 * The service learns about the contact from Amazon Connect events, which can lag the softphone by a
 * few seconds, so the lookup retries with backoff.
 */
import type { ServiceApi } from '../api';

export interface ScreenPopDeps {
  api: Pick<ServiceApi, 'getContact'>;
  isTicketOpen: (ticketId: number) => boolean;
  openTicket: (ticketId: number) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  delaysMs?: number[];
}

export interface ScreenPopper {
  /** Call for every connected call; each contact is handled once. Resolves with the outcome. */
  onConnected(contactId: string): Promise<'opened' | 'already_open' | 'no_ticket' | 'skipped'>;
  stop(): void;
}

const DEFAULT_DELAYS = [0, 1000, 2000, 4000, 8000];

export function createScreenPopper(deps: ScreenPopDeps): ScreenPopper {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const seen = new Set<string>();
  let stopped = false;

  return {
    async onConnected(contactId) {
      if (stopped || seen.has(contactId)) return 'skipped';
      seen.add(contactId);
      for (const delay of deps.delaysMs ?? DEFAULT_DELAYS) {
        if (delay > 0) await sleep(delay);
        if (stopped) return 'skipped';
        const contact = await deps.api.getContact(contactId).catch(() => null);
        const ticketId = contact?.ticketId;
        if (ticketId === undefined) continue;
        if (deps.isTicketOpen(ticketId)) return 'already_open';
        await deps.openTicket(ticketId);
        return 'opened';
      }
      return 'no_ticket';
    },
    stop() {
      stopped = true;
    },
  };
}
