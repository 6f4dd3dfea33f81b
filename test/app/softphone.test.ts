/**
 * @jest-environment jsdom
 */
import {
  createSoftphone,
  type Softphone,
  type SoftphoneEnv,
  type StreamsGlobal,
} from '../../app/top_bar/softphone/streams';
import type { SoftphoneSnapshot } from '../../app/top_bar/softphone/types';
import { installFakeConnect, type FakeConnectControl } from '../../doubles/streams-double';

const CCP = 'https://acme.my.connect.aws/ccp-v2/';

interface Harness {
  phone: Softphone;
  fake: FakeConnectControl;
  snapshots: SoftphoneSnapshot[];
  last: () => SoftphoneSnapshot;
  container: HTMLElement;
  win: { open: (url?: string, name?: string) => Window | null; navigator: Navigator };
  /** What the browser's window.open does (the softphone wraps it). */
  browserOpen: jest.Mock;
}

function setup(
  options: { popup?: 'blocked' | 'open'; micState?: PermissionState; loadFails?: boolean } = {},
): Harness {
  const scope: Record<string, unknown> = { document };
  const fake = installFakeConnect(scope);
  const popupWindow = { closed: false } as unknown as Window;
  const open = jest.fn(() => (options.popup === 'blocked' ? null : popupWindow));
  const navigatorLike = {
    permissions: { query: jest.fn(async () => ({ state: options.micState ?? 'prompt' })) },
  } as unknown as Navigator;
  const win = { open, navigator: navigatorLike };
  const env: SoftphoneEnv = {
    win: win as unknown as SoftphoneEnv['win'],
    loadStreams: async () => {
      if (options.loadFails) throw new Error('network down');
      return scope.connect as StreamsGlobal;
    },
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const container = document.createElement('div');
  const snapshots: SoftphoneSnapshot[] = [];
  const phone = createSoftphone({
    container,
    ccpUrl: CCP,
    region: 'us-east-1',
    env,
    onSnapshot: (s) => snapshots.push(s),
  });
  return {
    phone,
    fake,
    snapshots,
    last: () => snapshots[snapshots.length - 1]!,
    container,
    win: win as Harness['win'],
    browserOpen: open,
  };
}

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('softphone over Streams', () => {
  it('when started, then it embeds the CCP with a framed softphone and the login popup', async () => {
    const h = setup();
    await h.phone.start();
    expect(h.fake.options()).toMatchObject({
      ccpUrl: CCP,
      region: 'us-east-1',
      loginPopup: true,
      loginPopupAutoClose: true,
      softphone: { allowFramedSoftphone: true },
    });
    expect(h.container.querySelector('iframe')).not.toBeNull();
    expect(h.last().phase).toBe('starting');
  });

  it('when Streams initialises, then the agent and their states show and the phase is ready', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.initialize();
    expect(h.last()).toMatchObject({
      phase: 'ready',
      agent: { name: 'Alex Agent', stateName: 'Available', stateType: 'routable', muted: false },
    });
    expect(h.last().agent?.states.map((s) => s.name)).toEqual(['Available', 'Lunch', 'Offline']);
  });

  it('when a call rings, then it shows as incoming and accept/reject/hold/mute/hangup reach Streams', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.initialize();
    h.fake.ring('c-1', '+15550100', 'Support');
    expect(h.last().call).toMatchObject({
      contactId: 'c-1',
      status: 'incoming',
      direction: 'inbound',
      caller: '+15550100',
      queue: 'Support',
    });

    h.phone.command({ type: 'accept' });
    expect(h.last().call?.status).toBe('connected');
    h.phone.command({ type: 'mute' });
    expect(h.last().agent?.muted).toBe(true);
    h.phone.command({ type: 'hold' });
    expect(h.last().call?.status).toBe('on_hold');
    h.phone.command({ type: 'resume' });
    h.phone.command({ type: 'digits', digits: '12#' });
    h.phone.command({ type: 'hangup' });
    expect(h.last().call?.status).toBe('after_call_work');
    h.phone.command({ type: 'clear' });
    expect(h.last().call).toBeUndefined();
    expect(h.fake.log).toEqual(
      expect.arrayContaining([
        ['accept', 'c-1'],
        ['mute'],
        ['hold', 'c-1'],
        ['resume', 'c-1'],
        ['digits', '12#'],
        ['hangup', 'c-1'],
        ['clear', 'c-1'],
      ]),
    );
  });

  it('when the agent picks a status, then Streams sets that agent state', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.initialize();
    h.phone.command({ type: 'set_state', name: 'Lunch' });
    expect(h.fake.log).toContainEqual(['setState', 'Lunch']);
    expect(h.last().agent?.stateName).toBe('Lunch');
  });

  it('when click-to-dial arrives before Streams is ready, then the number waits and is dialled on init', async () => {
    const h = setup();
    await h.phone.start();
    h.phone.command({ type: 'dial', number: '+1 (555) 010-0199' });
    expect(h.last().pendingDial).toBe('+15550100199');
    expect(h.fake.log.some((e) => e[0] === 'connect')).toBe(false);
    h.fake.initialize();
    expect(h.fake.log).toContainEqual(['connect', '+15550100199']);
    expect(h.last()).toMatchObject({
      pendingDial: undefined,
      call: { status: 'dialing', direction: 'outbound' },
    });
  });

  it('when Connect refuses an outbound call, then the failure is reported without blocking the softphone', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.initialize();
    h.fake.failNextDial = 'InvalidStateException';
    h.phone.command({ type: 'dial', number: '+15550100' });
    expect(h.last()).toMatchObject({
      phase: 'ready',
      error: { kind: 'dial_failed', detail: 'InvalidStateException' },
    });
  });

  it('when the CCP never answers and no sign-in window is open, then it says the origin is not approved', async () => {
    const h = setup();
    await h.phone.start();
    jest.advanceTimersByTime(15_000);
    expect(h.last()).toMatchObject({ phase: 'failed', error: { kind: 'origin_not_approved' } });
  });

  it('when Streams gives up on the CCP iframe, then it says the origin is not approved', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.exhaustIframeRetries();
    expect(h.last()).toMatchObject({ phase: 'failed', error: { kind: 'origin_not_approved' } });
  });

  it('when the login popup is blocked, then it says so and "Sign in" opens it from the click', async () => {
    const h = setup({ popup: 'blocked' });
    await h.phone.start();
    // Streams opens its login window from this frame on the first ACK timeout.
    expect(h.win.open(CCP, 'AmazonConnectLoginPopup')).toBeNull();
    expect(h.last()).toMatchObject({ phase: 'failed', error: { kind: 'popup_blocked' } });

    h.browserOpen.mockImplementation(() => ({ closed: false }) as unknown as Window);
    h.phone.command({ type: 'open_signin' });
    expect(h.browserOpen).toHaveBeenLastCalledWith(CCP, 'AmazonConnectLoginPopup', expect.any(String));
    expect(h.last().phase).toBe('signin');
  });

  it('when a sign-in window is open at the timeout, then it waits, and after it closes without init reports the origin', async () => {
    const h = setup({ popup: 'open' });
    await h.phone.start();
    const popup = h.win.open(CCP) as unknown as { closed: boolean };
    jest.advanceTimersByTime(15_000);
    expect(h.last().phase).toBe('signin');
    jest.advanceTimersByTime(30_000);
    expect(h.last().phase).toBe('signin');
    popup.closed = true;
    jest.advanceTimersByTime(1_000);
    expect(h.last().phase).toBe('starting');
    jest.advanceTimersByTime(15_000);
    expect(h.last()).toMatchObject({ phase: 'failed', error: { kind: 'origin_not_approved' } });
  });

  it('when the agent signs in during the wait, then no error is shown', async () => {
    const h = setup({ popup: 'open' });
    await h.phone.start();
    h.win.open(CCP);
    jest.advanceTimersByTime(15_000);
    h.fake.initialize();
    jest.advanceTimersByTime(60_000);
    expect(h.last()).toMatchObject({ phase: 'ready' });
    expect(h.last().error).toBeUndefined();
  });

  it('when the microphone permission is denied, then a warning says so while the CCP still starts', async () => {
    const h = setup({ micState: 'denied' });
    await h.phone.start();
    await flush();
    h.fake.initialize();
    expect(h.last().warnings).toEqual([{ kind: 'microphone_blocked' }]);
    expect(h.last().phase).toBe('ready');
  });

  it('when Streams reports microphone_not_shared, then the same warning appears once', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.initialize();
    h.fake.softphoneError('microphone_not_shared');
    h.fake.softphoneError('microphone_not_shared');
    expect(h.last().warnings.map((w) => w.kind)).toEqual(['microphone_blocked']);
  });

  it('when Connect denies access, then the failure names the security profile problem', async () => {
    const h = setup();
    await h.phone.start();
    h.fake.accessDenied();
    expect(h.last()).toMatchObject({ phase: 'failed', error: { kind: 'access_denied' } });
  });

  it('when the Streams library cannot load, then it says so', async () => {
    const h = setup({ loadFails: true });
    await h.phone.start();
    expect(h.last()).toMatchObject({
      phase: 'failed',
      error: { kind: 'streams_load_failed', detail: 'network down' },
    });
  });

  it('when stopped, then Streams is terminated, the CCP frame removed and window.open restored', async () => {
    const h = setup();
    await h.phone.start();
    expect(h.win.open).not.toBe(h.browserOpen);
    h.phone.stop();
    expect(h.win.open).toBe(h.browserOpen);
    expect(h.fake.log).toContainEqual(['terminate']);
    expect(h.container.children).toHaveLength(0);
  });
});
