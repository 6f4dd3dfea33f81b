/**
 * One live softphone per agent across Zendesk tabs. Two WebRTC sessions would fight over the
 * microphone and both ring, so the top bars elect a leader:
 *
 * - the Web Locks API holds the election: the browser grants the lock to one tab and releases it
 *   when that tab closes or crashes, so the next waiting tab takes over without heartbeats or timeouts;
 * - a BroadcastChannel carries who leads, the leader's softphone state, and commands from other tabs,
 *   so every tab shows the same call and can drive it.
 *
 * Handover on request uses `steal`; the UI only offers it when no call is in progress there.
 * Without Web Locks (very old browsers) every tab leads alone, as a single-tab app would.
 */
import type { SoftphoneCommand, SoftphoneSnapshot } from './softphone/types';
import { parseCommand } from './softphone/types';

export const LOCK_NAME = 'concierge-softphone-leader';
export const CHANNEL_NAME = 'concierge-softphone';
const ELECTION_PATIENCE_MS = 1500;

export interface LeaderInfo {
  tabId: string;
  since: number;
  agentName?: string;
  busy: boolean;
}

export type Role = { kind: 'electing' } | { kind: 'leader' } | { kind: 'follower'; leader?: LeaderInfo };

type Message =
  | { type: 'leader'; info: LeaderInfo }
  | { type: 'who' }
  | { type: 'snapshot'; from: string; snapshot: SoftphoneSnapshot }
  | { type: 'command'; command: SoftphoneCommand };

export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface LockManagerLike {
  request(
    name: string,
    options: { steal?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown>;
}

export interface TabCoordinatorDeps {
  tabId?: string;
  locks?: LockManagerLike | null;
  channel?: ChannelLike | null;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface TabCoordinator {
  readonly tabId: string;
  role(): Role;
  onRole(listener: (role: Role) => void): () => void;
  /** Leader only: what other tabs show about it. */
  announce(update: Partial<Pick<LeaderInfo, 'agentName' | 'busy'>>): void;
  /** Leader only: share the softphone state with every tab. */
  publishSnapshot(snapshot: SoftphoneSnapshot): void;
  onSnapshot(listener: (snapshot: SoftphoneSnapshot) => void): () => void;
  /** Follower only: ask the leader to act. */
  sendCommand(command: SoftphoneCommand): void;
  onCommand(listener: (command: SoftphoneCommand) => void): () => void;
  /** Follower only: move the softphone to this tab. */
  takeOver(): void;
  stop(): void;
}

function randomId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function createTabCoordinator(deps: TabCoordinatorDeps = {}): TabCoordinator {
  const tabId = deps.tabId ?? randomId();
  const now = deps.now ?? Date.now;
  const locks = deps.locks === undefined ? (globalThis.navigator?.locks ?? null) : deps.locks;
  const channel =
    deps.channel === undefined
      ? typeof BroadcastChannel === 'undefined'
        ? null
        : new BroadcastChannel(CHANNEL_NAME)
      : deps.channel;

  let role: Role = { kind: 'electing' };
  let info: LeaderInfo | null = null;
  let lastSnapshot: SoftphoneSnapshot | null = null;
  let release: (() => void) | null = null;
  let abort: AbortController | null = null;
  let stopped = false;
  let electionTimer: unknown = null;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const roleListeners = new Set<(role: Role) => void>();
  const snapshotListeners = new Set<(s: SoftphoneSnapshot) => void>();
  const commandListeners = new Set<(c: SoftphoneCommand) => void>();

  const post = (m: Message) => channel?.postMessage(m);
  const setRole = (next: Role) => {
    role = next;
    roleListeners.forEach((l) => l(role));
  };

  function becomeLeader() {
    info = { tabId, since: now(), busy: false };
    lastSnapshot = null;
    setRole({ kind: 'leader' });
    post({ type: 'leader', info });
  }

  function becomeFollower(leader?: LeaderInfo) {
    info = null;
    release?.();
    release = null;
    setRole({ kind: 'follower', ...(leader ? { leader } : {}) });
  }

  let generation = 0;

  function request(steal: boolean) {
    if (!locks || stopped) return;
    const mine = ++generation;
    abort = new AbortController();
    const signal = abort.signal;
    locks
      .request(LOCK_NAME, steal ? { steal: true } : { signal }, async () => {
        if (stopped || mine !== generation) return;
        becomeLeader();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .catch(() => {
        // Stolen by another tab: wait in line again. A request we aborted ourselves is already replaced.
        if (stopped || mine !== generation) return;
        if (role.kind === 'leader') becomeFollower();
        request(false);
      });
  }

  const onMessage = (event: MessageEvent) => {
    const m = event.data as Message;
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'leader':
        if (m.info.tabId === tabId) return;
        // A newer leader (after a steal) wins over our belief that we lead.
        if (role.kind === 'leader') {
          becomeFollower(m.info);
          request(false);
        } else setRole({ kind: 'follower', leader: m.info });
        return;
      case 'who':
        if (role.kind === 'leader' && info) {
          post({ type: 'leader', info });
          if (lastSnapshot) post({ type: 'snapshot', from: tabId, snapshot: lastSnapshot });
        }
        return;
      case 'snapshot':
        if (role.kind === 'leader') return;
        lastSnapshot = m.snapshot;
        snapshotListeners.forEach((l) => l(m.snapshot));
        return;
      case 'command': {
        const command = parseCommand(m.command);
        if (command && role.kind === 'leader') commandListeners.forEach((l) => l(command));
        return;
      }
    }
  };

  channel?.addEventListener('message', onMessage);

  if (!locks) {
    // No way to elect: lead alone rather than never ringing.
    queueMicrotask(becomeLeader);
  } else {
    request(false);
    post({ type: 'who' });
    // Someone holds the lock but has not answered "who" (busy or older build): show it as elsewhere.
    electionTimer = setTimer(() => {
      if (role.kind === 'electing' && !stopped) setRole({ kind: 'follower' });
    }, ELECTION_PATIENCE_MS);
  }

  return {
    tabId,
    role: () => role,
    onRole(listener) {
      roleListeners.add(listener);
      return () => roleListeners.delete(listener);
    },
    announce(update) {
      if (role.kind !== 'leader' || !info) return;
      info = { ...info, ...update };
      post({ type: 'leader', info });
    },
    publishSnapshot(snapshot) {
      if (role.kind !== 'leader') return;
      lastSnapshot = snapshot;
      post({ type: 'snapshot', from: tabId, snapshot });
    },
    onSnapshot(listener) {
      snapshotListeners.add(listener);
      // A listener that subscribes late still gets the state the leader last shared.
      if (role.kind !== 'leader' && lastSnapshot) listener(lastSnapshot);
      return () => snapshotListeners.delete(listener);
    },
    sendCommand(command) {
      if (role.kind === 'leader') commandListeners.forEach((l) => l(command));
      else post({ type: 'command', command });
    },
    onCommand(listener) {
      commandListeners.add(listener);
      return () => commandListeners.delete(listener);
    },
    takeOver() {
      if (role.kind === 'leader' || !locks) return;
      abort?.abort();
      request(true);
    },
    stop() {
      stopped = true;
      if (electionTimer !== null) clearTimer(electionTimer);
      abort?.abort();
      release?.();
      release = null;
      channel?.removeEventListener('message', onMessage);
      channel?.close();
      roleListeners.clear();
      snapshotListeners.clear();
      commandListeners.clear();
    },
  };
}
