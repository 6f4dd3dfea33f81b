/**
 * A double of amazon-connect-streams limited to the documented surface app/top_bar/softphone/streams.ts
 * uses (connect.core.*, connect.agent, connect.contact, connect.Endpoint, Agent/Contact/Connection
 * methods). The real CCP needs an Amazon Connect instance, which tests do not have.
 *
 * `installFakeConnect` must stay self-contained (no imports, no module-level references): the browser
 * tests inject `installFakeConnect.toString()` into the app iframes with page.addInitScript.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

export interface FakeConnectControl {
  log: unknown[][];
  failNextDial: string | null;
  initialize(): void;
  ring(contactId: string, phoneNumber: string, queue?: string): void;
  setContactState(contactId: string, state: string): void;
  destroyContact(contactId: string): void;
  exhaustIframeRetries(): void;
  authFail(): void;
  accessDenied(): void;
  softphoneError(errorType: string): void;
  options(): Record<string, unknown> | undefined;
  contactIds(): string[];
}

export function installFakeConnect(
  win: any,
  settings?: { autoInit?: boolean; agentName?: string },
): FakeConnectControl {
  function channel() {
    const list: any[] = [];
    return {
      add(fn: any) {
        list.push(fn);
        return {
          unsubscribe() {
            const i = list.indexOf(fn);
            if (i >= 0) list.splice(i, 1);
          },
        };
      },
      emit(...args: any[]) {
        list.slice().forEach((fn) => fn(...args));
      },
    };
  }

  const log: unknown[][] = [];
  const state = { initialized: false, options: undefined as any, muted: false, outbound: 0 };
  const onInit = channel();
  const onAuthFail = channel();
  const onAccessDenied = channel();
  const onRetries = channel();
  const agentCallbacks = channel();
  const contactCallbacks = channel();
  const agentRefresh = channel();
  const muteToggle = channel();
  const softphoneErrors = channel();
  const agentState = { name: 'Offline', type: 'offline' };
  const states = [
    { name: 'Available', type: 'routable' },
    { name: 'Lunch', type: 'not_routable' },
    { name: 'Offline', type: 'offline' },
  ];
  const contacts = new Map<string, { contact: any; set: (s: string) => void; destroy: () => void }>();

  function makeContact(
    id: string,
    inbound: boolean,
    phoneNumber: string,
    queue: string | undefined,
    initial: string,
  ) {
    let current = initial;
    let onHold = false;
    let since = Date.now();
    const refresh = channel();
    const destroyed = channel();
    const set = (s: string) => {
      current = s;
      since = Date.now();
      refresh.emit(contact);
    };
    const destroy = () => {
      contacts.delete(id);
      destroyed.emit(contact);
    };
    const ok = (cb: any) => cb?.success?.();
    const customer = {
      getEndpoint: () => ({ phoneNumber }),
      isOnHold: () => onHold,
      hold(cb: any) {
        log.push(['hold', id]);
        onHold = true;
        refresh.emit(contact);
        ok(cb);
      },
      resume(cb: any) {
        log.push(['resume', id]);
        onHold = false;
        refresh.emit(contact);
        ok(cb);
      },
      destroy(cb: any) {
        log.push(['destroy_customer', id]);
        ok(cb);
      },
      sendDigits(d: string, cb: any) {
        log.push(['digits_customer', d]);
        ok(cb);
      },
    };
    const agentConnection = {
      getEndpoint: () => ({ phoneNumber: '' }),
      isOnHold: () => false,
      hold: customer.hold,
      resume: customer.resume,
      destroy(cb: any) {
        log.push(['hangup', id]);
        set('ended');
        ok(cb);
      },
      sendDigits(d: string, cb: any) {
        log.push(['digits', d]);
        ok(cb);
      },
    };
    const contact = {
      getContactId: () => id,
      getInitialContactId: () => id,
      getType: () => 'voice',
      getState: () => ({ type: current }),
      getStateDuration: () => Date.now() - since,
      isInbound: () => inbound,
      getQueue: () => (queue ? { name: queue } : null),
      getInitialConnection: () => customer,
      getAgentConnection: () => agentConnection,
      accept(cb: any) {
        log.push(['accept', id]);
        set('connected');
        ok(cb);
      },
      reject(cb: any) {
        log.push(['reject', id]);
        set('rejected');
        destroy();
        ok(cb);
      },
      clear(cb: any) {
        log.push(['clear', id]);
        destroy();
        ok(cb);
      },
      onRefresh: refresh.add,
      onDestroy: destroyed.add,
    };
    contacts.set(id, { contact, set, destroy });
    contactCallbacks.emit(contact);
    return contact;
  }

  const agent = {
    getName: () => settings?.agentName ?? 'Alex Agent',
    getState: () => ({ ...agentState }),
    getAgentStates: () => states.map((s) => ({ ...s })),
    setState(s: any, cb: any) {
      log.push(['setState', s.name]);
      agentState.name = s.name;
      agentState.type = s.type;
      agentRefresh.emit(agent);
      cb?.success?.();
    },
    onRefresh: agentRefresh.add,
    onSoftphoneError: softphoneErrors.add,
    onMuteToggle: muteToggle.add,
    mute() {
      log.push(['mute']);
      state.muted = true;
      muteToggle.emit({ muted: true });
    },
    unmute() {
      log.push(['unmute']);
      state.muted = false;
      muteToggle.emit({ muted: false });
    },
    connect(endpoint: any, cb: any) {
      log.push(['connect', endpoint.phoneNumber]);
      if (control.failNextDial) {
        const reason = control.failNextDial;
        control.failNextDial = null;
        cb?.failure?.(reason);
        return;
      }
      state.outbound += 1;
      makeContact(`outbound-${state.outbound}`, false, endpoint.phoneNumber, undefined, 'connecting');
      cb?.success?.();
    },
  };

  const connect = {
    core: {
      initCCP(container: any, options: any) {
        log.push(['initCCP', options.ccpUrl]);
        state.options = options;
        const iframe = win.document.createElement('iframe');
        iframe.title = 'Amazon Connect (test double)';
        container.appendChild(iframe);
        if (settings?.autoInit) win.setTimeout(() => control.initialize(), 0);
      },
      onInitialized: onInit.add,
      onAuthFail: onAuthFail.add,
      onAccessDenied: onAccessDenied.add,
      onIframeRetriesExhausted: onRetries.add,
      terminate() {
        log.push(['terminate']);
      },
    },
    agent(cb: any) {
      if (state.initialized) {
        cb(agent);
        return { unsubscribe() {} };
      }
      return agentCallbacks.add(cb);
    },
    contact: contactCallbacks.add,
    Endpoint: { byPhoneNumber: (phoneNumber: string) => ({ type: 'phone_number', phoneNumber }) },
  };

  const control: FakeConnectControl = {
    log,
    failNextDial: null,
    initialize() {
      if (state.initialized) return;
      state.initialized = true;
      agentState.name = 'Available';
      agentState.type = 'routable';
      onInit.emit();
      agentCallbacks.emit(agent);
    },
    ring(contactId, phoneNumber, queue) {
      makeContact(contactId, true, phoneNumber, queue, 'connecting');
    },
    setContactState(contactId, s) {
      contacts.get(contactId)?.set(s);
    },
    destroyContact(contactId) {
      contacts.get(contactId)?.destroy();
    },
    exhaustIframeRetries: () => onRetries.emit(),
    authFail: () => onAuthFail.emit(),
    accessDenied: () => onAccessDenied.emit(),
    softphoneError: (errorType) => softphoneErrors.emit({ errorType }),
    options: () => state.options,
    contactIds: () => [...contacts.keys()],
  };

  win.connect = connect;
  win.__fakeConnect = control;
  return control;
}

/**
 * The script that installs the double in the top bar frames of `appOrigin` before any of their own
 * scripts run (for page/context.addInitScript). `__name` covers the helper esbuild (tsx) adds to
 * compiled functions; swc (Jest) adds none.
 */
export function fakeConnectInitScript(appOrigin: string): string {
  return `if (location.origin === ${JSON.stringify(appOrigin)} && location.pathname.endsWith('/top_bar.html')) {
    var __name = function (f) { return f; };
    (${installFakeConnect.toString()})(window, { autoInit: true });
  }`;
}
