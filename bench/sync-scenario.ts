import type { ConnectDouble } from '../doubles/connect-double';
import { scriptCall, type CallKind } from '../test/helpers/calls';
import { rng, shuffle } from './stats';

/**
 * The sync benchmark's traffic: calls scripted into the Connect double, and their EventBridge events
 * in the order they will be posted (overlapping calls, shuffled in a sliding window, 20 % delivered twice,
 * some of the second copies far later, mostly one event per POST).
 */

export interface ScenarioOptions {
  contacts: number;
  seed: number;
  /** Connect user ids the calls are answered by (leg 2 of a transfer is always agent-2, as scriptCall does). */
  agents: string[];
}

/** Shares of the mix; "answered" and "transfer" are both answered by an agent (80 % in all). */
export const MIX: Record<CallKind, number> = {
  answered: 0.7,
  transfer: 0.1,
  abandoned: 0.1,
  self_service: 0.1,
};
export const RETURNING_SHARE = 0.8;
export const DUPLICATE_SHARE = 0.2;
/** Of the duplicated events, the share whose second copy comes far later (FAR_MIN..FAR_MAX positions). */
export const FAR_SHARE = 0.25;
export const FAR_MIN = 1_000;
export const FAR_MAX = 6_000;
/** An event may move up to this many positions from where it happened. */
export const WINDOW = 16;
/** Consecutive events of one call are this many call starts apart, so calls overlap. */
export const GAP = 3;
export const BATCH_SHARE = 0.1;
export const BATCH_MAX = 5;

export interface PlannedEvent {
  id: string;
  conv: number;
  contactId: string;
  type: string;
  body: Record<string, unknown>;
  /** Position in the order things happened. */
  natural: number;
  /** Date.now() when the first POST carrying this event was sent. */
  firstPostAt?: number;
  /** A POST carrying it was answered 202 (it is in the inbox). */
  accepted?: boolean;
}

export interface Conversation {
  index: number;
  initialContactId: string;
  kind: CallKind;
  phone: string;
  /** The leg whose DISCONNECTED ends the conversation (the second leg of a transfer). */
  finalLegContactId: string;
  answered: boolean;
  events: PlannedEvent[];
}

export interface Scenario {
  conversations: Conversation[];
  byInitialId: Map<string, Conversation>;
  /** What each POST carries, in sending order. */
  posts: PlannedEvent[][];
  stats: {
    mix: Record<CallKind, number>;
    uniqueCallers: number;
    returningContacts: number;
    events: number;
    deliveries: number;
    duplicateDeliveries: number;
    farDuplicates: number;
    posts: number;
    batchedPosts: number;
    /** Conversations whose events' first deliveries are not in the order they happened. */
    outOfOrderConversations: number;
  };
}

interface Detail {
  contactId: string;
  eventType: string;
}

const detailOf = (body: Record<string, unknown>): Detail => body.detail as Detail;

export function buildScenario(connect: ConnectDouble, opts: ScenarioOptions): Scenario {
  const random = rng(opts.seed);
  const n = opts.contacts;

  // Exact counts, randomly placed: the mix is what the JSON says, not roughly.
  const kinds: CallKind[] = [];
  const counts = {} as Record<CallKind, number>;
  let assigned = 0;
  const entries = Object.entries(MIX) as [CallKind, number][];
  entries.forEach(([kind, share], i) => {
    const count = i === entries.length - 1 ? n - assigned : Math.round(n * share);
    counts[kind] = count;
    assigned += count;
    for (let k = 0; k < count; k++) kinds.push(kind);
  });
  shuffle(kinds, random);

  const newCallers = Math.max(1, Math.round(n * (1 - RETURNING_SHARE)));
  const isNew = new Array<boolean>(n).fill(false);
  isNew[0] = true;
  for (const i of shuffle(
    Array.from({ length: n - 1 }, (_, k) => k + 1),
    random,
  ).slice(0, newCallers - 1))
    isNew[i] = true;

  const seen: string[] = [];
  const conversations: Conversation[] = [];
  const timeline: Array<{ ev: PlannedEvent; t: number }> = [];
  for (let i = 0; i < n; i++) {
    let phone: string;
    if (isNew[i]) {
      phone = `+1415${String(2_000_000 + seen.length).padStart(7, '0')}`;
      seen.push(phone);
    } else phone = seen[Math.floor(random() * seen.length)]!;
    const kind = kinds[i]!;
    const agent = opts.agents[Math.floor(random() * opts.agents.length)]!;
    const script = scriptCall(connect, kind, phone, agent);
    const conv: Conversation = {
      index: i,
      initialContactId: script.initialContactId,
      kind,
      phone,
      finalLegContactId: script.initialContactId,
      answered: kind === 'answered' || kind === 'transfer',
      events: [],
    };
    script.events.forEach((body, j) => {
      const d = detailOf(body);
      const ev: PlannedEvent = {
        id: String(body.id),
        conv: i,
        contactId: d.contactId,
        type: d.eventType,
        body,
        natural: 0,
      };
      conv.events.push(ev);
      timeline.push({ ev, t: i + j * GAP });
    });
    const lastDisconnect = conv.events.filter((e) => e.type === 'DISCONNECTED').at(-1);
    if (lastDisconnect) conv.finalLegContactId = lastDisconnect.contactId;
    conversations.push(conv);
  }

  timeline.sort((a, b) => a.t - b.t || a.ev.conv - b.ev.conv);
  timeline.forEach((x, pos) => (x.ev.natural = pos));

  // Sliding-window shuffle plus duplicates; a far duplicate lands up to FAR_MAX positions later.
  const total = timeline.length;
  const dupCount = Math.round(total * DUPLICATE_SHARE);
  const duplicated = new Set(
    shuffle(
      Array.from({ length: total }, (_, k) => k),
      random,
    ).slice(0, dupCount),
  );
  const deliveries: Array<{ ev: PlannedEvent; key: number }> = [];
  let farDuplicates = 0;
  timeline.forEach(({ ev }, pos) => {
    deliveries.push({ ev, key: pos + random() * WINDOW });
    if (!duplicated.has(pos)) return;
    const far = random() < FAR_SHARE;
    if (far) farDuplicates++;
    deliveries.push({ ev, key: pos + (far ? FAR_MIN + random() * (FAR_MAX - FAR_MIN) : random() * WINDOW) });
  });
  deliveries.sort((a, b) => a.key - b.key);

  // Mostly single events per POST, like an API destination; now and then a small array.
  const posts: PlannedEvent[][] = [];
  for (let k = 0; k < deliveries.length;) {
    const size = random() < BATCH_SHARE ? 2 + Math.floor(random() * (BATCH_MAX - 1)) : 1;
    posts.push(deliveries.slice(k, k + size).map((d) => d.ev));
    k += size;
  }

  const firstSeen = new Map<string, number>();
  deliveries.forEach((d, k) => {
    if (!firstSeen.has(d.ev.id)) firstSeen.set(d.ev.id, k);
  });
  const outOfOrder = conversations.filter((c) => {
    const order = [...c.events].sort((a, b) => firstSeen.get(a.id)! - firstSeen.get(b.id)!);
    return order.some((e, k) => k > 0 && e.natural < order[k - 1]!.natural);
  }).length;

  return {
    conversations,
    byInitialId: new Map(conversations.map((c) => [c.initialContactId, c])),
    posts,
    stats: {
      mix: counts,
      uniqueCallers: seen.length,
      returningContacts: n - seen.length,
      events: total,
      deliveries: deliveries.length,
      duplicateDeliveries: dupCount,
      farDuplicates,
      posts: posts.length,
      batchedPosts: posts.filter((p) => p.length > 1).length,
      outOfOrderConversations: outOfOrder,
    },
  };
}
