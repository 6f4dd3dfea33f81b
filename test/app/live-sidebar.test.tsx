/**
 * @jest-environment jsdom
 */
import './support/dom';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ContactView } from '../../app/api';
import { AppEnvProvider, type AppEnv } from '../../app/shared/AppRoot';
import { replyToEditorHtml } from '../../app/ticket_sidebar/LivePanels';
import { SUGGEST_DEBOUNCE_MS, TicketSidebar } from '../../app/ticket_sidebar/TicketSidebar';
import type { ZafRequestOptions } from '../../app/zaf/client';
import { ZafRequestError } from '../../app/zaf/client';
import { ClientProvider } from '../../app/zaf/ClientProvider';
import { renderWithTheme, t } from './support/dom';
import { createFakeZaf, type FakeZaf } from './support/fake-zaf';
import { appEnv, FakeEventSource, SERVICE } from './support/app-env';

const SUGGESTION_ID = '6f1c1f5e-8b7a-4d5e-9f00-0a1b2c3d4e5f';

const contact = (): ContactView => ({
  contactId: 'c-1',
  initialContactId: 'c-1',
  channel: 'VOICE',
  state: 'connected',
  connectedAt: new Date(Date.now() - 30_000).toISOString(),
  ticketId: 42,
});

const suggestion = (over: Record<string, unknown> = {}) => ({
  id: SUGGESTION_ID,
  reply: 'Open Settings, choose Security and click <Reset password>.\nA link arrives by email.',
  articles: [
    {
      id: 101,
      title: 'How to reset your password',
      url: 'https://acme.zendesk.com/hc/en-us/articles/101',
      score: 4.2,
    },
    { id: 102, title: 'Account security', url: 'javascript:alert(1)', score: 1.1 },
  ],
  confidence: 0.82,
  provider: 'local',
  ...over,
});

const sentiment = (scores: number[], over: Record<string, unknown> = {}) => ({
  contactId: 'c-1',
  label: scores.at(-1)! <= -0.3 ? 'NEGATIVE' : scores.at(-1)! >= 0.3 ? 'POSITIVE' : 'NEUTRAL',
  score: scores.at(-1),
  last: null,
  trend: scores.map((s, i) => ({ t: i * 4000, score: s, smoothed: s })),
  alert: { active: false, since: null, raised: 0, clearedAt: null },
  utterances: scores.length * 2,
  customerUtterances: scores.length,
  categories: [],
  final: null,
  updatedAt: new Date().toISOString(),
  ...over,
});

const turn = (id: string, participant: 'CUSTOMER' | 'AGENT', text: string, s: string | null = null) => ({
  id: `c-1:${id}`,
  participant,
  text,
  sentiment: s,
  t: 0,
  languageCode: 'en-US',
});

FakeEventSource.install();
const env = (client: FakeZaf): AppEnv => appEnv(client);

const render = (client: FakeZaf) =>
  renderWithTheme(
    <ClientProvider client={client}>
      <AppEnvProvider env={env(client)}>
        <TicketSidebar />
      </AppEnvProvider>
    </ClientProvider>,
  );

const body = (o: ZafRequestOptions) => (o.data ? (JSON.parse(o.data) as Record<string, unknown>) : undefined);
const suggestCalls = (c: FakeZaf) => c.requests.filter((o) => o.url === `${SERVICE}/v1/app/suggestions`);
const actionCalls = (c: FakeZaf) => c.requests.filter((o) => o.url.endsWith('/actions'));

/** A service with a live call; `suggest` answers the suggestion requests. */
function liveService(
  client: FakeZaf,
  suggest: (o: ZafRequestOptions) => unknown = () => ({ suggestion: suggestion() }),
) {
  client.respond((o) => {
    if (o.url.endsWith('/stream-tokens')) return { token: 'st', expiresAt: '' };
    if (o.url === `${SERVICE}/v1/app/suggestions`) return suggest(o);
    if (o.url.endsWith('/actions')) return { recorded: true };
    return { contact: contact() };
  });
}

async function openLive(client: FakeZaf): Promise<FakeEventSource> {
  render(client);
  await screen.findByTestId('call-card');
  await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
  return FakeEventSource.all[0]!;
}

beforeEach(() => {
  FakeEventSource.all = [];
  (performance as unknown as { mark: () => void }).mark = () => undefined;
});

describe('ticket sidebar, live sentiment', () => {
  it('when sentiment and transcript events arrive, then the panel shows the label, a sparkline of the trend and the latest turns', async () => {
    const client = createFakeZaf();
    liveService(client, () => ({ suggestion: null }));
    const es = await openLive(client);
    // Before the customer spoke: a waiting line, no sparkline.
    expect(screen.getByTestId('sentiment-waiting').textContent).toBe(t('sidebar.sentiment.waiting'));

    es.emit('sentiment', sentiment([0, 0.2, 0.5]));
    es.emit('transcript', {
      contactId: 'c-1',
      turns: [
        turn('1', 'AGENT', 'Thanks for calling, how can I help?'),
        turn('2', 'CUSTOMER', 'I love the new app, but I cannot log in.', 'POSITIVE'),
      ],
    });
    expect(screen.getByTestId('sentiment-label').textContent).toBe('Positive');
    const spark = screen.getByTestId('sentiment-sparkline');
    expect(spark.getAttribute('data-points')).toBe('3');
    expect(spark.getAttribute('aria-label')).toBe(
      t('sidebar.sentiment.trend', { count: 3, label: 'Positive' }),
    );
    // The line rises: the last point is higher (smaller y) than the first.
    const pts = spark
      .querySelector('polyline')!
      .getAttribute('points')!
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    expect(pts[2]).toBeLessThan(pts[0]!);
    const transcript = screen.getByTestId('transcript');
    expect(transcript.textContent).toContain('Customer I love the new app, but I cannot log in.');
    expect(transcript.textContent).toContain('Agent Thanks for calling');
    expect(screen.queryByTestId('sentiment-alert')).toBeNull();
  });

  it('when the customer turns negative and stays there, then an alert says since when, and it goes once it clears', async () => {
    const client = createFakeZaf();
    liveService(client, () => ({ suggestion: null }));
    const es = await openLive(client);
    es.emit(
      'sentiment',
      sentiment([-0.4, -0.6, -0.8], { alert: { active: true, since: 65_000, raised: 1, clearedAt: null } }),
    );
    const alert = screen.getByTestId('sentiment-alert');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain(t('sidebar.sentiment.alert.title'));
    expect(alert.textContent).toContain('1:05');
    expect(screen.getByTestId('sentiment-label').textContent).toBe('Negative');
    es.emit(
      'sentiment',
      sentiment([-0.4, -0.6, -0.8, 0.1], {
        alert: { active: false, since: null, raised: 1, clearedAt: 90_000 },
      }),
    );
    expect(screen.queryByTestId('sentiment-alert')).toBeNull();
  });

  it('when a malformed sentiment event arrives, then it is ignored and the last good one stays', async () => {
    const client = createFakeZaf();
    liveService(client, () => ({ suggestion: null }));
    const es = await openLive(client);
    es.emit('sentiment', sentiment([-0.5]));
    es.emit('sentiment', { nonsense: true });
    expect(screen.getByTestId('sentiment-label').textContent).toBe('Negative');
  });
});

describe('ticket sidebar, live suggestions', () => {
  it('when customer utterances arrive in a burst, then one suggestion is asked for after the quiet period, for this contact and ticket', async () => {
    const client = createFakeZaf();
    liveService(client);
    const es = await openLive(client);
    expect(screen.getByTestId('suggestion-waiting').textContent).toBe(t('sidebar.suggest.waiting'));
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'I forgot my password')] });
    es.emit('transcript', {
      contactId: 'c-1',
      turns: [turn('1', 'CUSTOMER', 'I forgot my password'), turn('2', 'CUSTOMER', 'and cannot log in')],
    });
    // An agent turn is not a reason to ask again.
    es.emit('transcript', {
      contactId: 'c-1',
      turns: [
        turn('1', 'CUSTOMER', 'I forgot my password'),
        turn('2', 'CUSTOMER', 'and cannot log in'),
        turn('3', 'AGENT', 'Let me check'),
      ],
    });
    expect(suggestCalls(client)).toHaveLength(0);
    await screen.findByTestId('suggestion', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 });
    expect(suggestCalls(client)).toHaveLength(1);
    const call = suggestCalls(client)[0]!;
    expect(body(call)).toEqual({ contactId: 'c-1', ticketId: 42 });
    expect(call.secure).toBe(true);

    // Provider label, reply, and sources: a web link opens in a new tab; a non-web URL is no link.
    expect(screen.getByTestId('suggestion-provider').textContent).toBe('AI: local');
    expect(screen.getByTestId('suggestion-confidence').textContent).toBe('Confidence 82 %');
    expect(screen.getByTestId('suggestion-reply').textContent).toContain('click <Reset password>');
    const sources = within(screen.getByTestId('suggestion-sources'));
    const link = sources.getByRole('link', { name: /How to reset your password/ });
    expect(link.getAttribute('href')).toBe('https://acme.zendesk.com/hc/en-us/articles/101');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(sources.queryByRole('link', { name: /Account security/ })).toBeNull();
    expect(sources.getByText('Account security')).toBeTruthy();

    // A new customer turn asks again.
    es.emit('transcript', {
      contactId: 'c-1',
      turns: [
        turn('2', 'CUSTOMER', 'and cannot log in'),
        turn('4', 'CUSTOMER', 'can you send a reset link?'),
      ],
    });
    await waitFor(() => expect(suggestCalls(client)).toHaveLength(2), {
      timeout: SUGGEST_DEBOUNCE_MS + 3000,
    });
  });

  it('when the agent clicks Insert, then the reply goes into the editor (escaped) and the insert is recorded for the ticket', async () => {
    const client = createFakeZaf();
    liveService(client);
    const es = await openLive(client);
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'reset password')] });
    await screen.findByTestId('suggestion', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 });
    await userEvent.click(screen.getByRole('button', { name: t('sidebar.suggest.insert') }));
    await waitFor(() => expect(actionCalls(client)).toHaveLength(1));
    expect(client.invoked).toContainEqual([
      'ticket.editor.insert',
      'Open Settings, choose Security and click &lt;Reset password&gt;.<br>A link arrives by email.',
    ]);
    expect(actionCalls(client)[0]!.url).toBe(`${SERVICE}/v1/app/suggestions/${SUGGESTION_ID}/actions`);
    expect(body(actionCalls(client)[0]!)).toEqual({ action: 'inserted', ticketId: 42 });
    expect(screen.getByTestId('suggestion-feedback').textContent).toBe(t('sidebar.suggest.inserted'));
  });

  it('when the agent uses only the keyboard, then Copy is reachable with Tab and Enter copies and records it', async () => {
    const writeText = jest.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const client = createFakeZaf();
    liveService(client);
    const es = await openLive(client);
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'reset password')] });
    await screen.findByTestId('suggestion', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 });
    const copy = screen.getByRole('button', { name: t('sidebar.suggest.copy') });
    for (let i = 0; i < 20 && document.activeElement !== copy; i++) await userEvent.tab();
    expect(document.activeElement).toBe(copy);
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(actionCalls(client)).toHaveLength(1));
    expect(writeText).toHaveBeenCalledWith(suggestion().reply);
    expect(body(actionCalls(client)[0]!)).toEqual({ action: 'copied', ticketId: 42 });
  });

  it('when the agent opens a source article or rates the suggestion, then those are recorded too', async () => {
    const client = createFakeZaf();
    liveService(client);
    const es = await openLive(client);
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'reset password')] });
    await screen.findByTestId('suggestion', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 });
    fireEvent.click(screen.getByRole('link', { name: /How to reset your password/ }));
    await userEvent.click(screen.getByRole('button', { name: t('sidebar.suggest.not_helpful') }));
    await waitFor(() => expect(actionCalls(client)).toHaveLength(2));
    expect(actionCalls(client).map(body)).toEqual([
      { action: 'opened_article', ticketId: 42, articleId: 101 },
      { action: 'thumbs_down', ticketId: 42 },
    ]);
  });

  it('when the service fails, then the panel says so and "Try again" asks again', async () => {
    const client = createFakeZaf();
    let n = 0;
    liveService(client, () => {
      n += 1;
      if (n === 1)
        throw new ZafRequestError(503, '', { error: { code: 'unavailable', message: 'Index rebuilding' } });
      return { suggestion: suggestion() };
    });
    const es = await openLive(client);
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'reset password')] });
    const error = await screen.findByTestId('suggestion-error', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 });
    expect(error.textContent).toContain('Index rebuilding');
    await userEvent.click(within(error).getByRole('button', { name: t('common.retry') }));
    expect(await screen.findByTestId('suggestion')).toBeTruthy();
    expect(body(suggestCalls(client)[1]!)).toEqual({ contactId: 'c-1', ticketId: 42 });
  });

  it('when nothing in the Help Center matches, then it says so', async () => {
    const client = createFakeZaf();
    liveService(client, () => ({ suggestion: null }));
    const es = await openLive(client);
    es.emit('transcript', { contactId: 'c-1', turns: [turn('1', 'CUSTOMER', 'zzz')] });
    expect(
      (await screen.findByTestId('suggestion-none', {}, { timeout: SUGGEST_DEBOUNCE_MS + 3000 })).textContent,
    ).toBe(t('sidebar.suggest.none'));
  });

  it('when no call is linked to the ticket, then the suggestion comes from the requester comments only', async () => {
    const client = createFakeZaf({
      values: {
        'ticket.comments': [
          { value: '<p>My order <b>never</b> arrived.</p>', author: { role: 'end-user' } },
          { value: '<p>Internal: check the carrier</p>', author: { role: 'agent' } },
          { value: '<p>Can I get a refund?</p>', author: { role: 'end-user' } },
        ],
      },
    });
    client.respond((o) =>
      o.url === `${SERVICE}/v1/app/suggestions` ? { suggestion: suggestion() } : { contact: null },
    );
    render(client);
    expect(await screen.findByText(t('sidebar.empty.title'))).toBeTruthy();
    await screen.findByTestId('suggestion');
    expect(body(suggestCalls(client)[0]!)).toEqual({
      text: 'My order never arrived.\nCan I get a refund?',
      ticketId: 42,
    });
  });
});

describe('replyToEditorHtml', () => {
  it('when the reply holds markup characters and line breaks, then they are escaped and kept as <br>', () => {
    expect(replyToEditorHtml('a < b & "c"\nd')).toBe('a &lt; b &amp; &quot;c&quot;<br>d');
  });
});
