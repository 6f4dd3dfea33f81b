/**
 * @jest-environment jsdom
 */
import { renderWithTheme, t } from './support/dom';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { AppEnvProvider, type AppEnv } from '../../app/shared/AppRoot';
import { ConnectAccount } from '../../app/top_bar/ConnectAccount';

const env = (role: string): AppEnv =>
  ({
    context: { location: 'top_bar', account: { subdomain: 'acme' } },
    metadata: { settings: {} },
    settings: { serviceUrl: 'https://concierge.test' },
    problems: [],
    user: { id: 7, role },
    api: null,
  }) as unknown as AppEnv;

function answer(body: unknown) {
  const fetchMock = jest.fn(async () => ({ ok: true, json: async () => body }));
  (globalThis as unknown as { fetch: unknown }).fetch = fetchMock;
  return fetchMock;
}

describe('Connect this account (top bar)', () => {
  afterEach(() => jest.restoreAllMocks());

  test('when the service knows no tenant and an admin opens the app, then it offers to connect through the service', async () => {
    const fetchMock = answer({ subdomain: 'acme', status: 'not_connected', install: true });
    const open = jest.spyOn(window, 'open').mockImplementation(() => null);
    renderWithTheme(
      <AppEnvProvider env={env('admin')}>
        <ConnectAccount />
      </AppEnvProvider>,
    );
    await screen.findByText(t('config.account.title'));
    expect(fetchMock).toHaveBeenCalledWith('https://concierge.test/v1/install/status?subdomain=acme');
    fireEvent.click(screen.getByRole('button', { name: t('config.account.action') }));
    expect(open).toHaveBeenCalledWith(
      'https://concierge.test/v1/install/start?subdomain=acme',
      '_blank',
      'noopener',
    );
    // After pasting the secret the admin checks again: connected → the panel goes.
    answer({ subdomain: 'acme', status: 'active', install: true });
    fireEvent.click(screen.getByRole('button', { name: t('config.account.check') }));
    await waitFor(() => expect(screen.queryByTestId('connect-account')).toBeNull());
  });

  test('when an agent opens an unconnected app, then it says an admin must connect, without a button', async () => {
    answer({ subdomain: 'acme', status: 'suspended', install: true, purgeAfter: '2030-01-31T00:00:00Z' });
    renderWithTheme(
      <AppEnvProvider env={env('agent')}>
        <ConnectAccount />
      </AppEnvProvider>,
    );
    await screen.findByText(t('config.account.suspended_title'));
    expect(screen.getByText(t('config.account.agent_body'))).toBeTruthy();
    expect(screen.queryByRole('button')).toBeNull();
  });

  test('when the account is connected or the install flow is off, then nothing is shown', async () => {
    const fetchMock = answer({ subdomain: 'acme', status: 'not_connected', install: false });
    const { container } = renderWithTheme(
      <AppEnvProvider env={env('admin')}>
        <ConnectAccount />
      </AppEnvProvider>,
    );
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    await new Promise((r) => setTimeout(r, 20));
    expect(container.textContent).toBe('');
  });
});
