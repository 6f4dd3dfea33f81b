/**
 * @jest-environment jsdom
 */
import './support/dom';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ContactView } from '../../app/api';
import de from '../../app/i18n/locales/de.json';
import { AppEnvProvider, type AppEnv } from '../../app/shared/AppRoot';
import { FIRST_RENDER_MARK } from '../../app/shared/hooks';
import { TicketSidebar } from '../../app/ticket_sidebar/TicketSidebar';
import { SoftphonePanel } from '../../app/top_bar/SoftphonePanel';
import type { SoftphoneSnapshot } from '../../app/top_bar/softphone/types';
import { TopBar } from '../../app/top_bar/TopBar';
import { ZafRequestError } from '../../app/zaf/client';
import { ClientProvider } from '../../app/zaf/ClientProvider';
import { renderWithTheme, t } from './support/dom';
import { createFakeZaf, type FakeZaf } from './support/fake-zaf';
import { appEnv, FakeEventSource, SERVICE } from './support/app-env';
import { installFakeConnect } from '../../doubles/streams-double';

/** Built per use so the timer reads ~1:05 however slowly the suite runs. */
const makeContact = (): ContactView => ({
  contactId: 'c-1',
  initialContactId: 'c-1',
  channel: 'VOICE',
  state: 'connected',
  queue: 'Billing',
  agentUsername: 'alex',
  callerMasked: '+1 ••• ••• 0199',
  startedAt: new Date(Date.now() - 90_000).toISOString(),
  connectedAt: new Date(Date.now() - 65_000).toISOString(),
  ticketId: 42,
});

FakeEventSource.install();
const env = (client: FakeZaf, over: Partial<AppEnv> = {}): AppEnv => appEnv(client, { userId: 7, over });

function renderSidebar(client: FakeZaf, options: { env?: Partial<AppEnv>; locale?: 'de' } = {}) {
  return renderWithTheme(
    <ClientProvider client={client}>
      <AppEnvProvider env={env(client, options.env)}>
        <TicketSidebar />
      </AppEnvProvider>
    </ClientProvider>,
    options.locale ? { locale: options.locale, messages: de } : {},
  );
}

const topBarInstance = { instanceGuid: 'top-1', location: 'top_bar' };

describe('ticket sidebar call card', () => {
  let mark: jest.Mock;
  beforeEach(() => {
    FakeEventSource.all = [];
    // jsdom's performance has no User Timing marks.
    mark = jest.fn();
    (performance as unknown as { mark: jest.Mock }).mark = mark;
  });

  it('when the service knows the call, then the card shows caller, queue, agent, state and a running timer', async () => {
    const client = createFakeZaf({ instances: [topBarInstance] });
    client.respond((o) =>
      o.url.endsWith('/stream-tokens') ? { token: 'st', expiresAt: '' } : { contact: makeContact() },
    );
    renderSidebar(client);
    expect(screen.getByText(t('sidebar.loading'))).toBeTruthy();
    const card = await screen.findByTestId('call-card');
    expect(card.textContent).toContain('+1 ••• ••• 0199');
    expect(card.textContent).toContain('Billing');
    expect(card.textContent).toContain('alex');
    expect(screen.getByTestId('call-state').textContent).toBe('Connected');
    expect(screen.getByTestId('call-timer').textContent).toMatch(/^1:\d\d$/);
    expect(client.requests[0]?.url).toBe(`${SERVICE}/v1/app/contacts/by-ticket/42`);
    await waitFor(() => expect(mark.mock.calls).toEqual([[FIRST_RENDER_MARK]]));
  });

  it('when the call changes state, then the card follows the event stream', async () => {
    const client = createFakeZaf();
    client.respond((o) =>
      o.url.endsWith('/stream-tokens') ? { token: 'st-1', expiresAt: '' } : { contact: makeContact() },
    );
    renderSidebar(client);
    await screen.findByTestId('call-card');
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    expect(FakeEventSource.all[0]!.url).toBe(`${SERVICE}/v1/app/contacts/c-1/events?token=st-1`);
    act(() =>
      FakeEventSource.all[0]!.emit('state', {
        ...makeContact(),
        state: 'ended',
        endedAt: new Date().toISOString(),
      }),
    );
    expect(screen.getByTestId('call-state').textContent).toBe('Ended');
  });

  it('when no call is linked to the ticket, then it says so', async () => {
    const client = createFakeZaf();
    client.respond(() => ({ contact: null }));
    renderSidebar(client);
    expect(await screen.findByText(t('sidebar.empty.title'))).toBeTruthy();
  });

  it('when the service refuses the token, then it tells the admin to check the shared secret', async () => {
    const client = createFakeZaf();
    client.respond(() => {
      throw new ZafRequestError(401, '', { error: { code: 'invalid_token', message: 'Invalid app token' } });
    });
    renderSidebar(client);
    expect(await screen.findByText(t('sidebar.error.auth.title'))).toBeTruthy();
    expect(screen.getByText(t('sidebar.error.auth.body'))).toBeTruthy();
  });

  it('when loading fails, then "Try again" loads again', async () => {
    const client = createFakeZaf();
    let calls = 0;
    client.respond(() => {
      calls += 1;
      if (calls === 1)
        throw new ZafRequestError(503, '', { error: { code: 'unavailable', message: 'Database down' } });
      return { contact: null };
    });
    renderSidebar(client);
    expect(await screen.findByTestId('sidebar-error')).toBeTruthy();
    expect(screen.getByTestId('sidebar-error').textContent).toContain('Database down');
    await userEvent.click(screen.getByRole('button', { name: t('common.retry') }));
    expect(await screen.findByText(t('sidebar.empty.title'))).toBeTruthy();
  });

  it('when the top-bar softphone is on this call, then the card mirrors its controls and sends commands back', async () => {
    const client = createFakeZaf({
      instances: [topBarInstance, { instanceGuid: 'sidebar-1', location: 'ticket_sidebar' }],
    });
    client.respond((o) =>
      o.url.endsWith('/stream-tokens') ? { token: 'st', expiresAt: '' } : { contact: makeContact() },
    );
    renderSidebar(client);
    await screen.findByTestId('call-card');
    await waitFor(() =>
      expect(client.triggered).toContainEqual({
        instanceGuid: 'top-1',
        event: 'concierge.sidebar',
        data: { ticketId: 42, instanceGuid: 'sidebar-1', present: true },
      }),
    );
    expect(screen.queryByTestId('mirrored-controls')).toBeNull();
    const snapshot: SoftphoneSnapshot = {
      phase: 'ready',
      warnings: [],
      agent: { name: 'Alex', stateName: 'Available', stateType: 'routable', muted: false, states: [] },
      call: { contactId: 'c-1', direction: 'inbound', status: 'connected', since: Date.now() },
    };
    act(() => client.emit('concierge.softphone', snapshot));
    const controls = await screen.findByTestId('mirrored-controls');
    expect(controls.textContent).toContain('Mute');
    await userEvent.click(screen.getByRole('button', { name: 'Hang up' }));
    await waitFor(() =>
      expect(client.triggered).toContainEqual({
        instanceGuid: 'top-1',
        event: 'concierge.command',
        data: { type: 'hangup' },
      }),
    );
  });

  it('when the agent works in German, then the card is in German', async () => {
    const client = createFakeZaf();
    client.respond((o) =>
      o.url.endsWith('/stream-tokens') ? { token: 'st', expiresAt: '' } : { contact: makeContact() },
    );
    renderSidebar(client, { locale: 'de' });
    await screen.findByTestId('call-card');
    expect(screen.getByTestId('call-state').textContent).toBe('Verbunden');
    expect(screen.getByText('Anrufer')).toBeTruthy();
  });

  it('when the service URL is not configured, then it says what the admin must set', () => {
    const client = createFakeZaf();
    renderSidebar(client, { env: { api: null, problems: ['service_url_missing'] } });
    expect(screen.getByTestId('config-problem').textContent).toContain(t('config.service.missing'));
  });
});

describe('softphone panel', () => {
  const base: SoftphoneSnapshot = {
    phase: 'ready',
    warnings: [],
    agent: {
      name: 'Alex Agent',
      stateName: 'Available',
      stateType: 'routable',
      muted: false,
      states: [
        { name: 'Available', type: 'routable' },
        { name: 'Lunch', type: 'not_routable' },
      ],
    },
  };

  it('when a call rings, then Accept and Decline act on it', async () => {
    const onCommand = jest.fn();
    renderWithTheme(
      <SoftphonePanel
        snapshot={{
          ...base,
          call: {
            contactId: 'c-9',
            direction: 'inbound',
            status: 'incoming',
            caller: '+15550100',
            queue: 'Sales',
            since: Date.now(),
          },
        }}
        onCommand={onCommand}
        origin="https://1234.apps.zdusercontent.com"
      />,
    );
    expect(screen.getByTestId('softphone-call').textContent).toContain('Incoming call');
    await userEvent.click(screen.getByRole('button', { name: 'Accept' }));
    await userEvent.click(screen.getByRole('button', { name: 'Decline' }));
    expect(onCommand.mock.calls).toEqual([[{ type: 'accept' }], [{ type: 'reject' }]]);
  });

  it('when the agent dials with the keyboard only, then the number is called', async () => {
    const onCommand = jest.fn();
    renderWithTheme(
      <SoftphonePanel snapshot={base} onCommand={onCommand} origin="https://x.apps.zdusercontent.com" />,
    );
    const user = userEvent.setup();
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('combobox'));
    await user.click(screen.getByLabelText('Phone number'));
    await user.keyboard('+1 555 010 0199{Enter}');
    expect(onCommand).toHaveBeenCalledWith({ type: 'dial', number: '+1 555 010 0199' });
  });

  it('when the agent changes status, then the new state is requested', () => {
    const onCommand = jest.fn();
    renderWithTheme(
      <SoftphonePanel snapshot={base} onCommand={onCommand} origin="https://x.apps.zdusercontent.com" />,
    );
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'Lunch' } });
    expect(onCommand).toHaveBeenCalledWith({ type: 'set_state', name: 'Lunch' });
  });

  it('when Connect refuses this origin, then the agent reads which origin and what the admin must do', () => {
    renderWithTheme(
      <SoftphonePanel
        snapshot={{ phase: 'failed', warnings: [], error: { kind: 'origin_not_approved' } }}
        onCommand={jest.fn()}
        origin="https://1234.apps.zdusercontent.com"
      />,
    );
    const alert = screen.getByTestId('problem-origin_not_approved');
    expect(alert.textContent).toContain('https://1234.apps.zdusercontent.com');
    expect(alert.textContent).toContain('Approved origins');
  });

  it('when the popup was blocked, then "Sign in" asks to open it', async () => {
    const onCommand = jest.fn();
    renderWithTheme(
      <SoftphonePanel
        snapshot={{ phase: 'failed', warnings: [], error: { kind: 'popup_blocked' } }}
        onCommand={onCommand}
        origin="o"
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onCommand).toHaveBeenCalledWith({ type: 'open_signin' });
  });

  it('when the microphone is blocked, then a warning explains how to allow it', () => {
    renderWithTheme(
      <SoftphonePanel
        snapshot={{ ...base, warnings: [{ kind: 'microphone_blocked' }] }}
        onCommand={jest.fn()}
        origin="o"
      />,
    );
    expect(screen.getByTestId('problem-microphone_blocked').textContent).toContain('Allow microphone access');
  });
});

describe('top bar', () => {
  function renderTopBar(client: FakeZaf, over: Partial<AppEnv> = {}) {
    return renderWithTheme(
      <ClientProvider client={client}>
        <AppEnvProvider
          env={{
            ...env(client),
            context: { product: 'support', location: 'top_bar', account: { subdomain: 'acme' } },
            ...over,
          }}
        >
          <TopBar />
        </AppEnvProvider>
      </ClientProvider>,
    );
  }

  afterEach(() => {
    delete (window as unknown as { connect?: unknown }).connect;
  });

  it('when the Connect instance URL is missing, then it says what the admin must set', () => {
    renderTopBar(createFakeZaf(), { settings: { serviceUrl: SERVICE }, problems: ['connect_url_missing'] });
    expect(screen.getByTestId('config-problem').textContent).toContain(t('config.connect.missing'));
  });

  it('when Zendesk sends click-to-dial, then the softphone opens and places the call', async () => {
    const fake = installFakeConnect(window, { autoInit: true });
    const client = createFakeZaf();
    client.respond(() => ({ contact: null }));
    renderTopBar(client);
    await waitFor(() => expect(screen.getByTestId('agent-state').textContent).toBe('Available'));
    expect(fake.options()).toMatchObject({ ccpUrl: 'https://acme.my.connect.aws/ccp-v2/' });
    act(() => client.emit('voice.dialout', { number: '+1 555 010 0123' }));
    expect(client.invoked).toContainEqual(['popover', 'show']);
    expect(fake.log).toContainEqual(['connect', '+15550100123']);
    expect((await screen.findByTestId('softphone-call')).textContent).toContain('Calling…');
  });

  it('when a ticket sidebar sends a command, then the softphone executes it', async () => {
    const fake = installFakeConnect(window, { autoInit: true });
    const client = createFakeZaf();
    client.respond(() => ({ contact: null }));
    renderTopBar(client);
    await waitFor(() => expect(screen.getByTestId('agent-state')).toBeTruthy());
    act(() => fake.ring('c-5', '+15550100', 'Support'));
    expect(client.invoked).toContainEqual(['popover', 'show']);
    act(() => client.emit('concierge.command', { type: 'accept' }));
    expect(fake.log).toContainEqual(['accept', 'c-5']);
    act(() => client.emit('concierge.command', { type: 'launch_missiles' }));
    expect(fake.log.filter((e) => e[0] === 'launch_missiles')).toEqual([]);
  });

  it('when a call connects, then the ticket the service created is opened', async () => {
    const fake = installFakeConnect(window, { autoInit: true });
    const client = createFakeZaf();
    client.respond((o) =>
      o.url.endsWith('/contacts/c-7')
        ? { contact: { ...makeContact(), contactId: 'c-7', ticketId: 77 } }
        : { contact: null },
    );
    renderTopBar(client);
    await waitFor(() => expect(screen.getByTestId('agent-state')).toBeTruthy());
    act(() => fake.ring('c-7', '+15550100'));
    act(() => fake.setContactState('c-7', 'connected'));
    await waitFor(() => expect(client.invoked).toContainEqual(['routeTo', 'ticket', '77']));
  });
});
