/**
 * The "Resolutions" view of the nav_bar app (Zendesk admins): resolutions per day by kind for a month,
 * the automation rate, what is billable so far and what is still inside its reopen window, the tickets
 * behind any day (with the evidence of each classification), and the month's usage report as CSV.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import styled from 'styled-components';
import { Anchor, Button } from '@zendeskgarden/react-buttons';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import { LG, Paragraph, SM, Span, XXL } from '@zendeskgarden/react-typography';
import { ServiceError } from '../../api';
import type { MessageKey } from '../../i18n/i18n';
import { useI18n } from '../../i18n/I18nProvider';
import { useAppEnv } from '../../shared/AppRoot';
import { useFirstRenderMark } from '../../shared/hooks';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { useClient } from '../../zaf';
import {
  billingApi,
  KINDS,
  type BillingApi,
  type Resolution,
  type ResolutionQuery,
  type ResolutionState,
  type Usage,
} from './billingApi';
import { DailyChart, KIND_KEY } from './DailyChart';

const DAY_MS = 86_400_000;

/** `2024-03` → first and last day, UTC. */
export function monthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { from: `${month}-01`, to: last };
}

export function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
}

const STATE_KEY: Record<ResolutionState, MessageKey> = {
  in_window: 'resolutions.state.in_window',
  billable: 'resolutions.state.billable',
  voided: 'resolutions.state.voided',
  credited: 'resolutions.state.credited',
  not_billable: 'resolutions.state.not_billable',
};
const STATE_HUE: Record<ResolutionState, string> = {
  in_window: 'yellow',
  billable: 'green',
  voided: 'grey',
  credited: 'red',
  not_billable: 'grey',
};

const Root = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.md};
  padding: ${(p) => p.theme.space.sm} 0;
`;

const Header = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: ${(p) => p.theme.space.xs};
`;

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${(p) => p.theme.space.xs};
`;

const Tiles = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
  gap: ${(p) => p.theme.space.sm};
`;

const Tile = styled.section`
  border: ${(p) => p.theme.borders.sm} ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  border-radius: ${(p) => p.theme.borderRadii.md};
  padding: ${(p) => p.theme.space.sm};
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.xxs};
  min-width: 0;
`;

const Subtle = styled(SM)`
  color: ${(p) => getColor({ theme: p.theme, variable: 'foreground.subtle' })};
`;

const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.xs};
`;

const Item = styled.li`
  border: ${(p) => p.theme.borders.sm} ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  border-radius: ${(p) => p.theme.borderRadii.md};
  padding: ${(p) => p.theme.space.xs} ${(p) => p.theme.space.sm};
`;

const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${(p) => p.theme.space.xxs} ${(p) => p.theme.space.sm};
  margin: ${(p) => p.theme.space.xxs} 0 0;
  font-size: ${(p) => p.theme.fontSizes.sm};
  dt {
    color: ${(p) => getColor({ theme: p.theme, variable: 'foreground.subtle' })};
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  @media (max-width: 360px) {
    grid-template-columns: 1fr;
  }
`;

type Load<T> = { kind: 'loading' } | { kind: 'failed'; error: unknown } | { kind: 'ready'; value: T };

/** What the drill-down shows: the tickets solved on one day, or those still inside their window. */
type Drill = { kind: 'day'; date: string } | { kind: 'in_window' };

function useFormatters(locale: string) {
  return useMemo(() => {
    const day = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const longDay = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const month = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' });
    const time = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    const count = new Intl.NumberFormat(locale);
    return {
      day: (d: string) => day.format(new Date(`${d}T00:00:00Z`)),
      longDay: (d: string) => longDay.format(new Date(`${d}T00:00:00Z`)),
      month: (m: string) => month.format(new Date(`${m}-01T00:00:00Z`)),
      time: (iso: string) => (iso ? time.format(new Date(iso)) : ''),
      percent: (n: number) => percent.format(n),
      count: (n: number) => count.format(n),
    };
  }, [locale]);
}

function errorKeys(error: unknown): { title: MessageKey; body: MessageKey } {
  if (error instanceof ServiceError && error.status === 403)
    return { title: 'resolutions.error.admin.title', body: 'resolutions.error.admin.body' };
  if (error instanceof ServiceError && error.status === 401)
    return { title: 'resolutions.error.auth.title', body: 'resolutions.error.auth.body' };
  return { title: 'resolutions.error.load.title', body: 'resolutions.error.load.body' };
}

function Failure({ error, onRetry, testId }: { error: unknown; onRetry: () => void; testId: string }) {
  const { t } = useI18n();
  const keys = errorKeys(error);
  const admin = keys.title === 'resolutions.error.admin.title';
  return (
    <ErrorState
      title={t(keys.title)}
      testId={testId}
      type={admin ? 'info' : 'error'}
      action={
        admin ? undefined : (
          <Button size="small" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        )
      }
    >
      <Paragraph>{t(keys.body)}</Paragraph>
    </ErrorState>
  );
}

/** Saves text as a file from inside the app's iframe. */
export function saveText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function EvidenceFacts({ r }: { r: Resolution }) {
  const { t } = useI18n();
  const e = r.evidence;
  const ids = (list: number[]) => list.map((id) => `#${id}`).join(', ');
  return (
    <>
      <dt>{t('resolutions.evidence.replies')}</dt>
      <dd>
        {e.ticketUnavailable
          ? t('resolutions.evidence.unavailable')
          : [
              e.humanAgents.length
                ? t('resolutions.evidence.agents', { ids: ids(e.humanAgents) })
                : t('resolutions.evidence.no_agent'),
              e.bots.length ? t('resolutions.evidence.bots', { ids: ids(e.bots) }) : null,
              t('resolutions.evidence.end_user', { n: e.endUserCount }),
            ]
              .filter(Boolean)
              .join(' · ')}
      </dd>
      <dt>{t('resolutions.evidence.suggestion')}</dt>
      <dd data-testid="evidence-suggestion">
        {e.suggestions.length
          ? e.suggestions.map((s) => `${s.suggestionId} (${s.action})`).join(', ')
          : t('resolutions.evidence.none')}
      </dd>
      {e.calls.length ? (
        <>
          <dt>{t('resolutions.evidence.call')}</dt>
          <dd>{e.calls.map((c) => c.outcome ?? '?').join(', ')}</dd>
        </>
      ) : null}
      {e.rule ? (
        <>
          <dt>{t('resolutions.evidence.rule')}</dt>
          <dd lang="en">{e.rule}</dd>
        </>
      ) : null}
    </>
  );
}

function ResolutionItem({ r, subdomain }: { r: Resolution; subdomain: string | undefined }) {
  const { t, locale } = useI18n();
  const client = useClient();
  const f = useFormatters(locale);
  const href = subdomain ? `https://${subdomain}.zendesk.com/agent/tickets/${r.ticketId}` : undefined;
  return (
    <Item data-testid="resolution-item">
      <Row>
        <Anchor
          href={href}
          onClick={(e) => {
            e.preventDefault();
            void client.invoke('routeTo', 'ticket', r.ticketId).catch(() => undefined);
          }}
        >
          {t('resolutions.item.ticket', { id: r.ticketId })}
        </Anchor>
        <Tag>{t(KIND_KEY[r.kind])}</Tag>
        <Tag hue={STATE_HUE[r.state]} data-testid="resolution-state">
          {t(STATE_KEY[r.state])}
        </Tag>
      </Row>
      <Facts>
        <dt>{t('resolutions.item.solved')}</dt>
        <dd>{f.time(r.solvedAt)}</dd>
        <dt>{t('resolutions.item.window_ends')}</dt>
        <dd>{f.time(r.windowEndsAt)}</dd>
        {r.reversal ? (
          <>
            <dt>
              {t(r.reversal.entry === 'credit' ? 'resolutions.item.credited' : 'resolutions.item.voided')}
            </dt>
            <dd>
              {f.time(r.reversal.at)}
              {r.reversal.reason ? ` (${r.reversal.reason})` : ''}
            </dd>
          </>
        ) : null}
        <EvidenceFacts r={r} />
      </Facts>
    </Item>
  );
}

function DrillDown({
  billing,
  query,
  title,
  onClose,
}: {
  billing: BillingApi;
  query: ResolutionQuery;
  title: string;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { context } = useAppEnv();
  const [items, setItems] = useState<Resolution[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [load, setLoad] = useState<Load<null>>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const key = JSON.stringify(query);

  const fetchPage = useCallback(
    (after: string | null, append: boolean) => {
      let live = true;
      setLoad({ kind: 'loading' });
      const q = JSON.parse(key) as ResolutionQuery;
      billing.resolutions({ ...q, ...(after ? { cursor: after } : {}) }).then(
        (page) => {
          if (!live) return;
          setItems((prev) => (append ? [...prev, ...page.resolutions] : page.resolutions));
          setCursor(page.nextCursor);
          setLoad({ kind: 'ready', value: null });
        },
        (error) => live && setLoad({ kind: 'failed', error }),
      );
      return () => {
        live = false;
      };
    },
    [billing, key],
  );

  useEffect(() => {
    setItems([]);
    return fetchPage(null, false);
  }, [fetchPage, attempt]);

  return (
    <section aria-label={title} data-testid="drill-down">
      <Header>
        <LG tag="h2">{title}</LG>
        <Button size="small" isBasic onClick={onClose}>
          {t('resolutions.drill.close')}
        </Button>
      </Header>
      {items.length ? (
        <List>
          {items.map((r) => (
            <ResolutionItem key={r.id} r={r} subdomain={context.account?.subdomain} />
          ))}
        </List>
      ) : null}
      {load.kind === 'loading' ? <LoadingState label={t('resolutions.drill.loading')} /> : null}
      {load.kind === 'failed' ? (
        <Failure error={load.error} onRetry={() => setAttempt((a) => a + 1)} testId="drill-error" />
      ) : null}
      {load.kind === 'ready' && items.length === 0 ? (
        <EmptyState title={t('resolutions.drill.empty')} />
      ) : null}
      {load.kind === 'ready' && cursor ? (
        <Button size="small" onClick={() => fetchPage(cursor, true)}>
          {t('resolutions.drill.more')}
        </Button>
      ) : null}
    </section>
  );
}

export function ResolutionsView({ now = () => new Date() }: { now?: () => Date }) {
  const { api } = useAppEnv();
  const { t, locale } = useI18n();
  const f = useFormatters(locale);
  const billing = useMemo(() => (api ? billingApi(api) : null), [api]);
  const [month, setMonth] = useState(() => now().toISOString().slice(0, 7));
  const [load, setLoad] = useState<Load<Usage>>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [drill, setDrill] = useState<Drill | null>(null);
  const [download, setDownload] = useState<'idle' | 'busy' | 'failed'>('idle');
  const thisMonth = now().toISOString().slice(0, 7);
  useFirstRenderMark(load.kind !== 'loading' || !billing);

  useEffect(() => {
    if (!billing) return;
    let live = true;
    setLoad({ kind: 'loading' });
    const { from, to } = monthRange(month);
    billing.usage(from, to).then(
      (value) => live && setLoad({ kind: 'ready', value }),
      (error) => live && setLoad({ kind: 'failed', error }),
    );
    return () => {
      live = false;
    };
  }, [billing, month, attempt]);

  const goTo = (m: string) => {
    setMonth(m);
    setDrill(null);
  };

  const downloadCsv = async () => {
    if (!billing) return;
    setDownload('busy');
    try {
      saveText(`concierge-usage-${month}.csv`, await billing.reportCsv(month));
      setDownload('idle');
    } catch {
      setDownload('failed');
    }
  };

  if (!billing) {
    return (
      <ErrorState title={t('config.service.title')} testId="config-problem">
        <Paragraph>{t('config.service.missing')}</Paragraph>
      </ErrorState>
    );
  }

  const header = (
    <Header>
      <XXL tag="h1">{t('resolutions.title')}</XXL>
      <Row>
        <Button size="small" isBasic onClick={() => goTo(shiftMonth(month, -1))}>
          <span aria-hidden="true">{'‹\u00a0'}</span>
          {t('resolutions.month.previous')}
        </Button>
        <Span isBold aria-live="polite" data-testid="month-label">
          {f.month(month)}
        </Span>
        <Button size="small" isBasic disabled={month >= thisMonth} onClick={() => goTo(shiftMonth(month, 1))}>
          {t('resolutions.month.next')}
          <span aria-hidden="true">{'\u00a0›'}</span>
        </Button>
        <Button size="small" onClick={() => void downloadCsv()} disabled={download === 'busy'}>
          {t('resolutions.csv')}
        </Button>
      </Row>
    </Header>
  );

  let body;
  if (load.kind === 'loading') body = <LoadingState label={t('resolutions.loading')} />;
  else if (load.kind === 'failed')
    body = <Failure error={load.error} onRetry={() => setAttempt((a) => a + 1)} testId="resolutions-error" />;
  else {
    const u = load.value;
    const total = KINDS.reduce((s, k) => s + u.totals.resolutions[k], 0);
    const today = now().toISOString().slice(0, 10);
    const windowDays = Math.ceil(u.windowHours / 24) + 1;
    const drillQuery: ResolutionQuery | null =
      drill?.kind === 'day'
        ? { from: drill.date, to: drill.date, basis: 'solved' }
        : drill?.kind === 'in_window'
          ? {
              from: new Date(Date.parse(`${today}T00:00:00Z`) - windowDays * DAY_MS)
                .toISOString()
                .slice(0, 10),
              to: today,
              basis: 'solved',
              kind: 'automated',
              state: 'in_window',
            }
          : null;
    body = (
      <>
        <Tiles>
          <Tile data-testid="tile-rate">
            <Subtle>{t('resolutions.tile.rate')}</Subtle>
            <XXL>{u.automationRate === null ? '—' : f.percent(u.automationRate)}</XXL>
            <Subtle>
              {t('resolutions.tile.rate_hint', {
                automated: f.count(u.totals.resolutions.automated),
                total: f.count(total),
              })}
            </Subtle>
          </Tile>
          <Tile data-testid="tile-billable">
            <Subtle>{t('resolutions.tile.billable')}</Subtle>
            <XXL>{f.count(u.totals.billable)}</XXL>
            <Subtle>
              {t('resolutions.tile.billable_hint', {
                credited: f.count(u.totals.credited),
                net: f.count(u.totals.net),
              })}
            </Subtle>
          </Tile>
          <Tile data-testid="tile-in-window">
            <Subtle>{t('resolutions.tile.in_window')}</Subtle>
            <XXL>{f.count(u.inWindow)}</XXL>
            <Subtle>{t('resolutions.tile.in_window_hint', { hours: u.windowHours })}</Subtle>
            {u.inWindow > 0 ? (
              <div>
                <Button size="small" isLink onClick={() => setDrill({ kind: 'in_window' })}>
                  {t('resolutions.tile.in_window_show')}
                </Button>
              </div>
            ) : null}
          </Tile>
          <Tile data-testid="tile-kinds">
            <Subtle>{t('resolutions.tile.total')}</Subtle>
            <XXL>{f.count(total)}</XXL>
            <Subtle>
              {KINDS.map((k) => `${t(KIND_KEY[k])}: ${f.count(u.totals.resolutions[k])}`).join(' · ')}
            </Subtle>
          </Tile>
        </Tiles>
        {total === 0 && u.inWindow === 0 ? (
          <EmptyState title={t('resolutions.empty.title')}>{t('resolutions.empty.body')}</EmptyState>
        ) : (
          <section aria-label={t('resolutions.chart.label')}>
            <LG tag="h2">{t('resolutions.chart.title')}</LG>
            <Subtle>{t('resolutions.chart.hint')}</Subtle>
            <DailyChart
              key={month}
              days={u.days}
              selected={drill?.kind === 'day' ? drill.date : null}
              onSelect={(date) => setDrill({ kind: 'day', date })}
              formatDay={f.day}
            />
          </section>
        )}
        {u.awsMarketplace ? <Subtle>{t('resolutions.aws')}</Subtle> : null}
        {drill && drillQuery ? (
          <DrillDown
            billing={billing}
            query={drillQuery}
            title={
              drill.kind === 'day'
                ? t('resolutions.drill.day', { date: f.longDay(drill.date) })
                : t('resolutions.drill.in_window')
            }
            onClose={() => setDrill(null)}
          />
        ) : null}
      </>
    );
  }

  return (
    <Root data-testid="resolutions-view">
      {header}
      {download === 'failed' ? (
        <ErrorState title={t('resolutions.csv_failed')} type="warning" testId="csv-error" />
      ) : null}
      {body}
    </Root>
  );
}
