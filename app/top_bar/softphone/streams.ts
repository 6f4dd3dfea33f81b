/**
 * The softphone: amazon-connect-streams embedding the instance's CCP, turned into SoftphoneSnapshots
 * and driven by SoftphoneCommands. Only the calls listed in StreamsGlobal are used (the documented
 * Streams API); test doubles implement exactly that surface.
 *
 * Diagnosis of "it does not start": Streams retries a CCP that never answers for 10 × 5 s and opens its
 * login popup on the first timeout. We watch the same signals sooner, in this order:
 *   popup blocked (window.open returned null)         → agent must allow popups or click "Sign in"
 *   sign-in window open                                 → wait while the agent signs in
 *   no answer START_TIMEOUT_MS after start / sign-in    → this origin is not an approved origin
 *   Streams gives up (IFRAME_RETRIES_EXHAUSTED)         → same
 */
import {
  INITIAL_SNAPSHOT,
  normaliseNumber,
  type AgentView,
  type CallStatus,
  type CallView,
  type SoftphoneCommand,
  type SoftphoneProblem,
  type SoftphoneSnapshot,
} from './types';

type Sub = { unsubscribe(): void } | void;
interface Callbacks {
  success?: () => void;
  failure?: (err?: unknown) => void;
}

export interface StreamsConnection {
  getEndpoint(): { phoneNumber?: string } | null | undefined;
  isOnHold(): boolean;
  hold(cb?: Callbacks): void;
  resume(cb?: Callbacks): void;
  destroy(cb?: Callbacks): void;
  sendDigits(digits: string, cb?: Callbacks): void;
}

export interface StreamsContact {
  getContactId(): string;
  getInitialContactId?(): string;
  getType(): string;
  getState(): { type: string };
  getStateDuration(): number;
  isInbound(): boolean;
  getQueue(): { name?: string } | null | undefined;
  getInitialConnection(): StreamsConnection | null | undefined;
  getAgentConnection(): StreamsConnection | null | undefined;
  accept(cb?: Callbacks): void;
  reject(cb?: Callbacks): void;
  clear(cb?: Callbacks): void;
  onRefresh(cb: (c: StreamsContact) => void): Sub;
  onDestroy(cb: (c: StreamsContact) => void): Sub;
}

export interface StreamsAgentState {
  name: string;
  type: string;
  agentStateARN?: string | null;
}

export interface StreamsAgent {
  getName(): string;
  getState(): StreamsAgentState;
  getAgentStates(): StreamsAgentState[];
  setState(state: StreamsAgentState, cb?: Callbacks, options?: { enqueueNextState?: boolean }): void;
  onRefresh(cb: (a: StreamsAgent) => void): Sub;
  onSoftphoneError(cb: (err: { errorType?: string; errorMessage?: string }) => void): Sub;
  onMuteToggle(cb: (e: { muted: boolean }) => void): Sub;
  mute(): void;
  unmute(): void;
  connect(endpoint: unknown, cb?: Callbacks): void;
}

export interface StreamsGlobal {
  core: {
    initCCP(container: HTMLElement, options: Record<string, unknown>): void;
    onInitialized(cb: () => void): Sub;
    onAuthFail(cb: () => void): Sub;
    onAccessDenied(cb: () => void): Sub;
    onIframeRetriesExhausted(cb: () => void): Sub;
    terminate(): void;
  };
  agent(cb: (agent: StreamsAgent) => void): Sub;
  contact(cb: (contact: StreamsContact) => void): Sub;
  Endpoint: { byPhoneNumber(number: string, name?: string): unknown };
}

export interface SoftphoneEnv {
  /** The window that hosts the CCP iframe (window.open is watched for the login popup). */
  win: Pick<Window, 'open' | 'navigator'>;
  loadStreams: () => Promise<StreamsGlobal>;
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export interface SoftphoneOptions {
  container: HTMLElement;
  ccpUrl: string;
  region?: string;
  onSnapshot: (snapshot: SoftphoneSnapshot) => void;
  env: SoftphoneEnv;
  startTimeoutMs?: number;
}

export interface Softphone {
  start(): Promise<void>;
  command(cmd: SoftphoneCommand): void;
  snapshot(): SoftphoneSnapshot;
  stop(): void;
}

export const START_TIMEOUT_MS = 15_000;
const POPUP_POLL_MS = 1000;

/** Streams from the bundle, unless a Streams is already on the page (a host page or a test double). */
export async function loadBundledStreams(): Promise<StreamsGlobal> {
  const scope = globalThis as unknown as { connect?: Partial<StreamsGlobal> };
  if (scope.connect?.core?.initCCP) return scope.connect as StreamsGlobal;
  // The release build defines window.connect; it is its own chunk, loaded only by the tab that leads.
  await import('amazon-connect-streams/release/connect-streams-min.js');
  const loaded = scope.connect as StreamsGlobal | undefined;
  if (!loaded?.core?.initCCP) throw new Error('amazon-connect-streams did not define connect.core');
  return loaded;
}

function callStatus(contact: StreamsContact): CallStatus | null {
  const state = contact.getState().type;
  const inbound = contact.isInbound();
  switch (state) {
    case 'init':
    case 'incoming':
    case 'pending':
    case 'connecting':
      return inbound ? 'incoming' : 'dialing';
    case 'connected':
      return contact.getInitialConnection()?.isOnHold() ? 'on_hold' : 'connected';
    case 'missed':
      return 'missed';
    case 'ended':
    case 'rejected':
    case 'error':
      return 'after_call_work';
    default:
      return null;
  }
}

export function createSoftphone(opts: SoftphoneOptions): Softphone {
  const { env } = opts;
  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  let snap: SoftphoneSnapshot = { ...INITIAL_SNAPSHOT };
  let streams: StreamsGlobal | null = null;
  let agent: StreamsAgent | null = null;
  let call: StreamsContact | null = null;
  let muted = false;
  let initialized = false;
  let stopped = false;
  let popup: Window | null = null;
  let popupBlocked = false;
  let lastLoginUrl: string | null = null;
  let watchdog: unknown = null;
  let popupPoll: unknown = null;
  const subs: Sub[] = [];
  const originalOpen = env.win.open;

  const emit = (next: Partial<SoftphoneSnapshot>) => {
    snap = { ...snap, ...next };
    if (!stopped) opts.onSnapshot(snap);
  };
  const fail = (problem: SoftphoneProblem) => {
    if (initialized && problem.kind === 'origin_not_approved') return;
    clearWatchdog();
    emit({ phase: 'failed', error: problem });
  };
  const warn = (problem: SoftphoneProblem) => {
    if (snap.warnings.some((w) => w.kind === problem.kind)) return;
    emit({ warnings: [...snap.warnings, problem] });
  };
  const actionFailed = (detail: unknown) => {
    const text = detail instanceof Error ? detail.message : typeof detail === 'string' ? detail : undefined;
    emit({ error: { kind: 'dial_failed', ...(text ? { detail: text } : {}) } });
  };

  function clearWatchdog() {
    if (watchdog !== null) env.clearTimeout(watchdog);
    if (popupPoll !== null) env.clearTimeout(popupPoll);
    watchdog = popupPoll = null;
  }

  function armWatchdog(ms: number) {
    if (watchdog !== null) env.clearTimeout(watchdog);
    watchdog = env.setTimeout(onWatchdog, ms);
  }

  function onWatchdog() {
    watchdog = null;
    if (initialized || stopped) return;
    if (popupBlocked) return fail({ kind: 'popup_blocked' });
    if (popup && !popup.closed) {
      emit({ phase: 'signin' });
      pollPopup();
      return;
    }
    fail({ kind: 'origin_not_approved' });
  }

  /** While the sign-in window is open we wait; once it closes the CCP gets one more full timeout. */
  function pollPopup() {
    popupPoll = env.setTimeout(() => {
      popupPoll = null;
      if (initialized || stopped) return;
      if (popup && !popup.closed) return pollPopup();
      emit({ phase: 'starting' });
      armWatchdog(timeoutMs);
    }, POPUP_POLL_MS);
  }

  function watchPopups() {
    // Streams opens its login window with window.open from this frame; a null result means blocked.
    const watched = ((...args: Parameters<Window['open']>) => {
      const opened = originalOpen.apply(env.win, args);
      if (typeof args[0] === 'string') lastLoginUrl = args[0];
      if (opened) {
        popup = opened;
        popupBlocked = false;
      } else if (!initialized) {
        popupBlocked = true;
        fail({ kind: 'popup_blocked' });
      }
      return opened;
    }) as Window['open'];
    env.win.open = watched;
  }

  function agentView(): AgentView | undefined {
    if (!agent) return undefined;
    const state = agent.getState();
    return {
      name: agent.getName(),
      stateName: state.name,
      stateType: state.type,
      muted,
      states: agent
        .getAgentStates()
        .filter((s) => ['routable', 'not_routable', 'offline'].includes(s.type))
        .map((s) => ({ name: s.name, type: s.type })),
    };
  }

  function callView(): CallView | undefined {
    if (!call) return undefined;
    const status = callStatus(call);
    if (!status) return undefined;
    const queue = call.getQueue()?.name;
    const caller = call.getInitialConnection()?.getEndpoint()?.phoneNumber;
    const initialContactId = call.getInitialContactId?.();
    return {
      contactId: call.getContactId(),
      ...(initialContactId ? { initialContactId } : {}),
      direction: call.isInbound() ? 'inbound' : 'outbound',
      status,
      ...(caller ? { caller } : {}),
      ...(queue ? { queue } : {}),
      since: env.now() - Math.max(0, call.getStateDuration()),
    };
  }

  function refresh() {
    const next: Partial<SoftphoneSnapshot> = { agent: agentView(), call: callView() };
    emit(next);
  }

  function dial(number: string) {
    const n = normaliseNumber(number);
    if (!n) return;
    if (!initialized || !agent || !streams) {
      emit({ pendingDial: n });
      return;
    }
    emit({ pendingDial: undefined, error: undefined });
    agent.connect(streams.Endpoint.byPhoneNumber(n), { failure: (err) => actionFailed(err) });
  }

  function onInitialized() {
    if (!initialized) {
      initialized = true;
      clearWatchdog();
      emit({ phase: 'ready', error: undefined });
    }
    // Streams signals INIT before the first agent data; dial once both are there.
    if (agent && snap.pendingDial) dial(snap.pendingDial);
  }

  async function checkMicrophone() {
    const permissions = env.win.navigator?.permissions;
    if (!permissions?.query) return;
    try {
      const status = await permissions.query({ name: 'microphone' as PermissionName });
      if (status.state === 'denied') warn({ kind: 'microphone_blocked' });
    } catch {
      // Browsers that cannot query microphone permission report it through onSoftphoneError instead.
    }
  }

  function subscribe(s: StreamsGlobal) {
    subs.push(s.core.onInitialized(onInitialized));
    subs.push(s.core.onAccessDenied(() => fail({ kind: 'access_denied' })));
    subs.push(
      s.core.onAuthFail(() => {
        if (!initialized) emit({ phase: 'signin' });
        else warn({ kind: 'auth_failed' });
      }),
    );
    subs.push(s.core.onIframeRetriesExhausted(() => fail({ kind: 'origin_not_approved' })));
    subs.push(
      s.agent((a) => {
        agent = a;
        onInitialized();
        subs.push(a.onRefresh(() => refresh()));
        subs.push(
          a.onMuteToggle(({ muted: m }) => {
            muted = m;
            refresh();
          }),
        );
        subs.push(
          a.onSoftphoneError((err) => {
            const type = err?.errorType ?? 'other';
            if (type === 'microphone_not_shared') warn({ kind: 'microphone_blocked', detail: type });
            else if (type === 'unsupported_browser') warn({ kind: 'unsupported_browser', detail: type });
            else warn({ kind: 'softphone_failed', detail: type });
          }),
        );
        refresh();
      }),
    );
    subs.push(
      s.contact((c) => {
        if (c.getType() !== 'voice') return;
        call = c;
        subs.push(c.onRefresh(() => refresh()));
        subs.push(
          c.onDestroy(() => {
            if (call?.getContactId() === c.getContactId()) call = null;
            refresh();
          }),
        );
        refresh();
      }),
    );
  }

  return {
    async start() {
      emit({ phase: 'starting' });
      void checkMicrophone();
      try {
        streams = await opts.env.loadStreams();
      } catch (err) {
        fail({ kind: 'streams_load_failed', detail: err instanceof Error ? err.message : String(err) });
        return;
      }
      if (stopped) return;
      watchPopups();
      streams.core.initCCP(opts.container, {
        ccpUrl: opts.ccpUrl,
        ...(opts.region ? { region: opts.region } : {}),
        loginPopup: true,
        loginPopupAutoClose: true,
        loginOptions: { autoClose: true, height: 600, width: 400, top: 0, left: 0 },
        softphone: { allowFramedSoftphone: true },
        pageOptions: { enableAudioDeviceSettings: true, enablePhoneTypeSettings: true },
        iframeTitle: 'Amazon Connect',
      });
      // Streams creates its event bus inside initCCP, so subscriptions come after it.
      subscribe(streams);
      if (!initialized && !snap.error) armWatchdog(timeoutMs);
    },

    command(cmd) {
      const conn = call?.getAgentConnection() ?? null;
      const customer = call?.getInitialConnection() ?? null;
      const cb: Callbacks = { failure: (err) => actionFailed(err) };
      switch (cmd.type) {
        case 'dial':
          return dial(cmd.number);
        case 'cancel_dial':
          return emit({ pendingDial: undefined });
        case 'accept':
          return call?.accept(cb);
        case 'reject':
          return call?.reject(cb);
        case 'hangup':
          return conn?.destroy(cb);
        case 'hold':
          return customer?.hold(cb);
        case 'resume':
          return customer?.resume(cb);
        case 'mute':
          return agent?.mute();
        case 'unmute':
          return agent?.unmute();
        case 'digits':
          return conn?.sendDigits(cmd.digits, cb);
        case 'clear':
          return call?.clear(cb);
        case 'set_state': {
          const target = agent?.getAgentStates().find((s) => s.name === cmd.name);
          if (target) agent?.setState(target, cb, { enqueueNextState: false });
          return;
        }
        case 'open_signin': {
          // A click is a user gesture, so the browser lets this window open even when it blocked Streams.
          const url = lastLoginUrl ?? opts.ccpUrl;
          const w = originalOpen.call(env.win, url, 'AmazonConnectLoginPopup', 'width=400,height=600');
          if (w) {
            popup = w;
            popupBlocked = false;
            emit({ phase: 'signin', error: undefined });
            pollPopup();
          }
          return;
        }
      }
    },

    snapshot: () => snap,

    stop() {
      stopped = true;
      clearWatchdog();
      for (const s of subs) s?.unsubscribe();
      subs.length = 0;
      if (env.win.open !== originalOpen) env.win.open = originalOpen;
      try {
        streams?.core.terminate();
      } catch {
        // terminate() throws when Streams never initialised; nothing to clean up then.
      }
      opts.container.replaceChildren();
    },
  };
}
