/**
 * @jest-environment jsdom
 */
import './support/dom';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AccountView } from '../../app/nav_bar/account/AccountView';
import { AppEnvProvider } from '../../app/shared/AppRoot';
import { ZafRequestError, type ZafRequestOptions } from '../../app/zaf/client';
import { ClientProvider } from '../../app/zaf/ClientProvider';
import { renderWithTheme, t } from './support/dom';
import { createFakeZaf, type FakeZaf } from './support/fake-zaf';
import { appEnv, SERVICE } from './support/app-env';

/** The unsigned status the service answers to the iframe (GET /v1/install/status). */
function status(body: unknown) {
  const fetchMock = jest.fn(async () => ({ ok: true, json: async () => body }));
  (globalThis as unknown as { fetch: unknown }).fetch = fetchMock;
  return fetchMock;
}

function setup(role: 'admin' | 'agent', service: (o: ZafRequestOptions) => unknown): FakeZaf {
  const client = createFakeZaf();
  client.respond(service);
  const env = appEnv(client, { location: 'nav_bar', role });
  renderWithTheme(
    <ClientProvider client={client}>
      <AppEnvProvider env={env}>
        <AccountView />
      </AppEnvProvider>
    </ClientProvider>,
  );
  return client;
}

describe('Account view (nav_bar)', () => {
  afterEach(() => jest.restoreAllMocks());

  test('when an admin confirms Disconnect, then one signed POST reaches the service and the view shows the account stopped with its purge date', async () => {
    const fetchMock = status({ subdomain: 'acme', status: 'active', install: true });
    const user = userEvent.setup();
    const client = setup('admin', () => ({ status: 'suspended', purgeAfter: '2030-01-31T00:00:00.000Z' }));
    await screen.findByText(t('account.connected.title'));
    expect(fetchMock).toHaveBeenCalledWith(`${SERVICE}/v1/install/status?subdomain=acme`);

    // The first click only asks; nothing is sent until the admin confirms.
    await user.click(screen.getByTestId('account-disconnect'));
    expect(screen.getByTestId('account-confirm').textContent).toContain(
      t('account.disconnect.confirm_title'),
    );
    expect(client.requests).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: t('account.disconnect.cancel') }));
    expect(screen.queryByTestId('account-confirm')).toBeNull();
    await user.click(screen.getByTestId('account-disconnect'));

    // After it, the connect card (shared with the top bar) says the account is stopped, with the date.
    status({ subdomain: 'acme', status: 'suspended', install: true, purgeAfter: '2030-01-31T00:00:00.000Z' });
    await user.click(screen.getByTestId('account-disconnect-confirm'));
    await screen.findByText(t('config.account.suspended_title'));
    expect(client.requests).toHaveLength(1);
    const sent = client.requests[0]!;
    expect(new URL(sent.url).pathname).toBe('/v1/app/install/disconnect');
    expect(sent.type).toBe('POST');
    expect(sent.secure).toBe(true);
    expect(sent.jwt!.claims).toMatchObject({ aud: SERVICE, sub: '7', role: 'admin' });
    expect(screen.getByTestId('connect-account').textContent).toContain(
      new Date('2030-01-31T00:00:00.000Z').toLocaleDateString('en'),
    );
    expect(screen.queryByTestId('account-disconnect')).toBeNull();
  });

  test('when the service refuses (403: Zendesk says the user is no admin) or fails, then the view says so and stays connected', async () => {
    status({ subdomain: 'acme', status: 'active', install: true });
    const user = userEvent.setup();
    let answer: () => unknown = () => {
      throw new ZafRequestError(403, '', { error: { code: 'admin_only', message: 'Admins only' } });
    };
    setup('admin', () => answer());
    await user.click(await screen.findByTestId('account-disconnect'));
    await user.click(screen.getByTestId('account-disconnect-confirm'));
    await waitFor(() =>
      expect(screen.getByTestId('account-confirm').textContent).toContain(t('account.admin_only.title')),
    );
    answer = () => {
      throw new ZafRequestError(502, 'bad gateway', undefined);
    };
    await user.click(screen.getByRole('button', { name: t('common.retry') }));
    await waitFor(() =>
      expect(screen.getByTestId('account-confirm').textContent).toContain(
        t('account.disconnect.failed_title'),
      ),
    );
    expect(screen.getByText(t('account.connected.title'))).toBeTruthy();
  });

  test('when an agent opens it, then it shows the account connected and no Disconnect button', async () => {
    status({ subdomain: 'acme', status: 'active', install: true });
    setup('agent', () => {
      throw new Error('no request expected');
    });
    await screen.findByTestId('account-admin-only');
    expect(screen.queryByTestId('account-disconnect')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });

  test('when the service cannot say whether the account is connected, then it says so instead of offering Disconnect', async () => {
    (globalThis as unknown as { fetch: unknown }).fetch = jest.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    setup('admin', () => ({}));
    await screen.findByTestId('account-unknown');
    expect(screen.queryByTestId('account-disconnect')).toBeNull();
  });
});
