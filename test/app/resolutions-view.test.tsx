/**
 * @jest-environment jsdom
 */
import './support/dom';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import de from '../../app/i18n/locales/de.json';
import { monthRange, ResolutionsView, shiftMonth } from '../../app/nav_bar/resolutions/ResolutionsView';
import { AppEnvProvider } from '../../app/shared/AppRoot';
import { ZafRequestError, type ZafRequestOptions } from '../../app/zaf/client';
import { ClientProvider } from '../../app/zaf/ClientProvider';
import { renderWithTheme, t } from './support/dom';
import { createFakeZaf, type FakeZaf } from './support/fake-zaf';
import { appEnv, SERVICE } from './support/app-env';

const NOW = new Date('2024-03-15T12:00:00Z');
const now = () => NOW;

const kinds = (automated: number, ai: number, human: number) => ({ automated, ai_assisted: ai, human });

function usage(month = '2024-03', over: Record<string, unknown> = {}) {
  const { from, to } = monthRange(month);
  const days = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) {
    const date = new Date(d).toISOString().slice(0, 10);
    days.push({
      date,
      resolutions:
        date === '2024-03-01' ? kinds(2, 1, 1) : date === '2024-03-02' ? kinds(1, 0, 0) : kinds(0, 0, 0),
      voided: kinds(0, 0, 0),
      billable: date === '2024-03-04' ? 2 : 0,
      credited: 0,
    });
  }
  return {
    from,
    to,
    days,
    totals: { resolutions: kinds(3, 1, 1), voided: 1, billable: 3, credited: 1, net: 2 },
    automationRate: 0.6,
    inWindow: 2,
    windowHours: 72,
    awsMarketplace: false,
    ...over,
  };
}

const resolution = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  ticketId: 1000 + id,
  kind: 'automated',
  solvedAt: '2024-03-01T12:00:00.000Z',
  windowEndsAt: '2024-03-04T12:00:00.000Z',
  state: 'billable',
  reversal: null,
  check: 'standing',
  metered: null,
  evidence: {
    publicReplies: { humanAgents: [], bots: [77], endUserCount: 1 },
    calls: [],
    suggestions: [],
    rule: 'only a bot replied publicly; no agent handled a call',
  },
  ...over,
});

type Handler = (url: URL, o: ZafRequestOptions) => unknown;

function setup(handler: Handler, opts: { locale?: 'de' } = {}) {
  const client: FakeZaf = createFakeZaf();
  client.respond((o) => handler(new URL(o.url), o));
  const env = appEnv(client, { location: 'nav_bar', role: 'admin' });
  renderWithTheme(
    <ClientProvider client={client}>
      <AppEnvProvider env={env}>
        <ResolutionsView now={now} />
      </AppEnvProvider>
    </ClientProvider>,
    opts.locale ? { locale: opts.locale, messages: de } : {},
  );
  return client;
}

const paths = (client: FakeZaf) =>
  client.requests.map((r) => new URL(r.url)).map((u) => u.pathname + u.search);

describe('Resolutions view', () => {
  it('month helpers: ranges and shifting across years', () => {
    expect(monthRange('2024-02')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(shiftMonth('2024-01', -1)).toBe('2023-12');
    expect(shiftMonth('2023-12', 1)).toBe('2024-01');
  });

  it('when it opens, then it loads the month with a signed admin request and shows rate, billable, window and a bar per day', async () => {
    const client = setup(() => usage());
    expect(screen.getByRole('status').textContent).toContain(t('resolutions.loading'));
    await screen.findByTestId('resolutions-chart');
    expect(paths(client)).toEqual(['/v1/app/billing/usage?from=2024-03-01&to=2024-03-31']);
    const jwt = client.requests[0]!.jwt!;
    expect(client.requests[0]!.secure).toBe(true);
    expect(jwt.claims).toMatchObject({
      iss: 'https://acme.zendesk.com',
      aud: SERVICE,
      sub: '7',
      role: 'admin',
    });
    expect(screen.getByTestId('tile-rate').textContent).toContain('60%');
    expect(screen.getByTestId('tile-billable').textContent).toContain('3');
    expect(screen.getByTestId('tile-billable').textContent).toContain('1 credited · net 2');
    expect(screen.getByTestId('tile-in-window').textContent).toContain('2');
    expect(screen.getByTestId('tile-in-window').textContent).toContain('72 h');
    const bars = screen.getAllByRole('button', { name: /automated, .* AI-assisted/ });
    expect(bars).toHaveLength(31);
    expect(bars[0]!.getAttribute('aria-label')).toBe('Mar 1: 2 automated, 1 AI-assisted, 1 human');
    // Stacked segments in the kinds' colours, tallest day at full height.
    expect(bars[0]!.querySelectorAll('rect[data-kind]')).toHaveLength(3);
    expect(bars[2]!.querySelectorAll('rect[data-kind]')).toHaveLength(0);
  });

  it('when a bar is chosen with the keyboard, then the tickets behind it show with their evidence, and more pages load', async () => {
    const user = userEvent.setup();
    const client = setup((url) => {
      if (url.pathname.endsWith('/usage')) return usage();
      if (url.searchParams.get('cursor') === 'next-1')
        return { resolutions: [resolution(3, { kind: 'human', state: 'not_billable' })], nextCursor: null };
      return {
        resolutions: [
          resolution(1),
          resolution(2, {
            kind: 'ai_assisted',
            state: 'not_billable',
            evidence: {
              publicReplies: { humanAgents: [55], bots: [], endUserCount: 2 },
              calls: [],
              suggestions: [
                { suggestionId: 'sg-42', action: 'inserted', userId: '55', at: '2024-03-01T11:00:00Z' },
              ],
              rule: 'an agent replied or handled the call using a Concierge suggestion',
            },
          }),
        ],
        nextCursor: 'next-1',
      };
    });
    await screen.findByTestId('resolutions-chart');
    const first = screen.getByTestId('bar-2024-03-01');
    expect(first.getAttribute('tabindex')).toBe('0');
    expect(screen.getByTestId('bar-2024-03-02').getAttribute('tabindex')).toBe('-1');
    first.focus();
    await user.keyboard('{ArrowRight}{ArrowLeft}{Enter}');
    const drill = await screen.findByTestId('drill-down');
    expect(within(drill).getByRole('heading').textContent).toBe(
      t('resolutions.drill.day', { date: 'Mar 1, 2024' }),
    );
    await within(drill).findAllByTestId('resolution-item');
    expect(paths(client).at(-1)).toBe(
      '/v1/app/billing/resolutions?from=2024-03-01&to=2024-03-01&basis=solved&limit=50',
    );
    expect(first.getAttribute('aria-pressed')).toBe('true');
    const items = within(drill).getAllByTestId('resolution-item');
    expect(items.map((i) => within(i).getByTestId('resolution-state').textContent)).toEqual([
      'Billable',
      'Not billable',
    ]);
    expect(items[0]!.textContent).toContain('Ticket #1001');
    expect(items[0]!.textContent).toContain('bots #77');
    expect(items[1]!.textContent).toContain('agents #55');
    expect(within(items[1]!).getByTestId('evidence-suggestion').textContent).toBe('sg-42 (inserted)');

    await user.click(within(drill).getByRole('button', { name: t('resolutions.drill.more') }));
    await waitFor(() => expect(within(drill).getAllByTestId('resolution-item')).toHaveLength(3));
    expect(new URL(client.requests.at(-1)!.url).searchParams.get('cursor')).toBe('next-1');
    expect(within(drill).queryByRole('button', { name: t('resolutions.drill.more') })).toBeNull();

    // The ticket link opens the ticket in Zendesk.
    await user.click(within(items[0]!).getByText('Ticket #1001'));
    expect(client.invoked).toContainEqual(['routeTo', 'ticket', 1001]);
  });

  it('when "show these tickets" is chosen under the window tile, then automated resolutions still inside their window are listed', async () => {
    const client = setup((url) =>
      url.pathname.endsWith('/usage')
        ? usage()
        : {
            resolutions: [resolution(9, { state: 'in_window', windowEndsAt: '2024-03-17T09:00:00Z' })],
            nextCursor: null,
          },
    );
    await screen.findByTestId('resolutions-chart');
    fireEvent.click(screen.getByRole('button', { name: t('resolutions.tile.in_window_show') }));
    const drill = await screen.findByTestId('drill-down');
    await within(drill).findByTestId('resolution-item');
    const q = new URL(client.requests.at(-1)!.url).searchParams;
    expect(Object.fromEntries(q)).toEqual({
      from: '2024-03-11',
      to: '2024-03-15',
      basis: 'solved',
      kind: 'automated',
      state: 'in_window',
      limit: '50',
    });
    expect(within(drill).getByTestId('resolution-state').textContent).toBe('Inside window');
    fireEvent.click(within(drill).getByRole('button', { name: t('resolutions.drill.close') }));
    expect(screen.queryByTestId('drill-down')).toBeNull();
  });

  it('when the month has no resolutions, then it says so instead of an empty chart', async () => {
    setup(() =>
      usage('2024-03', {
        totals: { resolutions: kinds(0, 0, 0), voided: 0, billable: 0, credited: 0, net: 0 },
        automationRate: null,
        inWindow: 0,
        days: [],
      }),
    );
    expect(await screen.findByText(t('resolutions.empty.title'))).toBeTruthy();
    expect(screen.queryByTestId('resolutions-chart')).toBeNull();
    expect(screen.getByTestId('tile-rate').textContent).toContain('—');
  });

  it('when the user is not an admin (403), then it explains billing is for admins, without a retry', async () => {
    setup(() => {
      throw new ZafRequestError(403, '', {
        error: { code: 'admin_only', message: 'Billing is for Zendesk admins' },
      });
    });
    const alert = await screen.findByTestId('resolutions-error');
    expect(alert.textContent).toContain(t('resolutions.error.admin.title'));
    expect(within(alert).queryByRole('button')).toBeNull();
  });

  it('when the service fails, then an error with a retry shows, and the retry loads the month', async () => {
    let fail = true;
    const client = setup(() => {
      if (fail) throw new ZafRequestError(502, 'bad gateway', undefined);
      return usage();
    });
    const alert = await screen.findByTestId('resolutions-error');
    expect(alert.textContent).toContain(t('resolutions.error.load.title'));
    fail = false;
    fireEvent.click(within(alert).getByRole('button', { name: t('common.retry') }));
    await screen.findByTestId('resolutions-chart');
    expect(client.requests).toHaveLength(2);
  });

  it('when the admin goes to the previous month, then that month loads; the next month after the current one is not offered', async () => {
    const client = setup((url) => usage(url.searchParams.get('from')!.slice(0, 7)));
    await screen.findByTestId('resolutions-chart');
    const next = screen.getByRole('button', { name: t('resolutions.month.next') });
    expect(next.hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: t('resolutions.month.previous') }));
    await waitFor(() => expect(screen.getByTestId('month-label').textContent).toBe('February 2024'));
    await screen.findByTestId('bar-2024-02-29');
    expect(paths(client).at(-1)).toBe('/v1/app/billing/usage?from=2024-02-01&to=2024-02-29');
  });

  it('when CSV is chosen, then the month report is fetched as text and saved as a .csv file', async () => {
    const csv = 'date,automated,ai_assisted,human,billable,credited,net\r\ntotal,3,1,1,3,1,2\r\n';
    const saved: { blob: Blob; name: string }[] = [];
    const created: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: (b: Blob) => (created.push(b), 'blob:report'),
      revokeObjectURL: () => undefined,
    });
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      saved.push({ blob: created.at(-1)!, name: this.download });
    });
    const client = setup((url, o) =>
      url.pathname.endsWith('/report') ? (expect(o.dataType).toBe('text'), csv) : usage(),
    );
    await screen.findByTestId('resolutions-chart');
    fireEvent.click(screen.getByRole('button', { name: t('resolutions.csv') }));
    await waitFor(() => expect(saved).toHaveLength(1));
    click.mockRestore();
    expect(paths(client).at(-1)).toBe('/v1/app/billing/report?month=2024-03&format=csv');
    expect(saved[0]!.name).toBe('concierge-usage-2024-03.csv');
    // jsdom's Blob has no text(): read it as the browser would.
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(saved[0]!.blob);
    });
    expect(text).toBe(csv);
  });

  it('when the agent reads German, then kinds and tiles are German', async () => {
    setup(() => usage(), { locale: 'de' });
    await screen.findByTestId('resolutions-chart');
    expect(screen.getByTestId('tile-rate').textContent).toContain(de['resolutions.tile.rate']);
    expect(screen.getByText(de['resolutions.kind.ai_assisted'])).toBeTruthy();
    expect(screen.getByTestId('tile-rate').textContent).toMatch(/60\s%/);
  });
});
