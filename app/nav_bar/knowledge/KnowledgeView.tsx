/**
 * The "Knowledge" view of the nav_bar app, for knowledge managers: the latest analysis run (with its
 * progress while it runs), gaps ranked by impact, the drafts' review queue, and one draft at a time in
 * the editor. Every change (approve, reject, a run finishing) updates the lists in place.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { SM, XL, LG } from '@zendeskgarden/react-typography';
import type { MessageKey } from '../../i18n/i18n';
import { useI18n } from '../../i18n/I18nProvider';
import { useAppEnv } from '../../shared/AppRoot';
import { useFirstRenderMark } from '../../shared/hooks';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import {
  knowledgeApi,
  type DraftDetail,
  type DraftSummary,
  type DraftView,
  type GapSummary,
  type RunSummary,
  type Section,
} from './api';
import { DraftEditor } from './DraftEditor';
import { DraftStateTag } from './DraftStateTag';
import { GapsTable } from './GapsTable';

const STAGES: Record<RunSummary['stage'], MessageKey> = {
  export: 'knowledge.run.stage.export',
  analyze: 'knowledge.run.stage.analyze',
  draft: 'knowledge.run.stage.draft',
  done: 'knowledge.run.stage.done',
  failed: 'knowledge.run.stage.failed',
};
const POLL_MS = 3000;

const Stack = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.md};
  padding-top: ${(p) => p.theme.space.sm};
`;
const Bar = styled.div`
  display: flex;
  align-items: center;
  gap: ${(p) => p.theme.space.sm};
  flex-wrap: wrap;
`;
const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
  li {
    display: flex;
    gap: ${(p) => p.theme.space.xs};
    align-items: center;
    padding: ${(p) => p.theme.space.xxs} 0;
    border-bottom: ${(p) => p.theme.borders.sm}
      ${(p) => getColor({ theme: p.theme, variable: 'border.subtle' })};
  }
`;

interface Loaded {
  gaps: GapSummary[];
  drafts: DraftSummary[];
  runs: RunSummary[];
  canApprove: boolean;
}

export function KnowledgeView() {
  const { t } = useI18n();
  const { api } = useAppEnv();
  const k = useMemo(() => (api ? knowledgeApi(api) : null), [api]);
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<DraftView | null>(null);
  const [sections, setSections] = useState<Section[]>([]);
  useFirstRenderMark(data !== null || error !== null);

  const load = useCallback(async () => {
    if (!k) return;
    try {
      const [me, gaps, drafts, runs] = await Promise.all([k.me(), k.gaps(), k.drafts(), k.runs()]);
      setData({ gaps, drafts, runs, canApprove: me.canApprove });
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [k]);

  useEffect(() => {
    void load();
  }, [load]);

  const latest = data?.runs[0];
  const running = !!latest && latest.stage !== 'done' && latest.stage !== 'failed';
  // While a run is in progress its progress is polled; its end refreshes gaps and drafts.
  useEffect(() => {
    if (!running || !k) return;
    const id = setInterval(() => {
      void k
        .runs()
        .then((runs) => {
          const now = runs[0];
          if (now && (now.stage === 'done' || now.stage === 'failed')) void load();
          else setData((d) => (d ? { ...d, runs } : d));
        })
        .catch(() => undefined);
    }, POLL_MS);
    return () => clearInterval(id);
  }, [running, k, load]);

  const openDraft = async (id: string) => {
    if (!k) return;
    try {
      const [view, secs] = await Promise.all([
        k.draft(id),
        sections.length ? sections : k.sections().catch(() => []),
      ]);
      setSections(secs);
      setOpen(view);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  // A decision changes the lists in place (and the gaps' draft states), without a reload.
  const applied = (d: DraftDetail): DraftDetail => {
    setData((prev) =>
      prev
        ? {
            ...prev,
            drafts: prev.drafts.map((x) =>
              x.id === d.id
                ? { ...x, state: d.state, title: d.title, publishedArticleId: d.publishedArticleId }
                : x,
            ),
            gaps: prev.gaps.map((g) =>
              g.draft?.id === d.id ? { ...g, draft: { id: d.id, state: d.state } } : g,
            ),
          }
        : prev,
    );
    return d;
  };

  if (!api) return <ErrorState title={t('knowledge.error')} />;
  if (error && !data)
    return (
      <ErrorState
        title={t('knowledge.error')}
        action={
          <Button size="small" onClick={() => void load()}>
            {t('knowledge.retry')}
          </Button>
        }
      >
        {error}
      </ErrorState>
    );
  if (!data) return <LoadingState label={t('knowledge.loading')} />;

  if (open && k)
    return (
      <Stack>
        <DraftEditor
          key={open.draft.id}
          view={open}
          sections={sections}
          canApprove={data.canApprove}
          onBack={() => setOpen(null)}
          onApprove={async (edits) => applied(await k.approve(open.draft.id, edits))}
          onReject={async (reason) => applied(await k.reject(open.draft.id, reason))}
        />
      </Stack>
    );

  const startRun = async () => {
    if (!k) return;
    try {
      const run = await k.startRun();
      setData((d) => (d ? { ...d, runs: [run, ...d.runs.filter((r) => r.id !== run.id)] } : d));
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <Stack data-testid="knowledge-view">
      <Bar>
        <XL tag="h2">{t('knowledge.title')}</XL>
        <SM data-testid="knowledge-run">
          {latest
            ? running
              ? t('knowledge.run.running', { stage: t(STAGES[latest.stage]), exported: latest.exported })
              : t('knowledge.run.last', {
                  stage: t(STAGES[latest.stage]),
                  when: new Date(latest.finishedAt ?? latest.startedAt).toLocaleString(),
                })
            : t('knowledge.run.none')}
        </SM>
        {data.canApprove ? (
          <Button
            size="small"
            disabled={running}
            onClick={() => void startRun()}
            data-testid="knowledge-run-start"
          >
            {t('knowledge.run.start')}
          </Button>
        ) : null}
      </Bar>
      {error ? <ErrorState title={t('knowledge.error')}>{error}</ErrorState> : null}
      <section>
        <LG tag="h3">{t('knowledge.drafts.title')}</LG>
        {data.drafts.length === 0 ? (
          <EmptyState title={t('knowledge.drafts.empty')} />
        ) : (
          <List data-testid="knowledge-drafts">
            {data.drafts.map((d) => (
              <li key={d.id} data-testid="knowledge-draft">
                <DraftStateTag state={d.state} />
                <Button isLink onClick={() => void openDraft(d.id)}>
                  {d.title}
                </Button>
                <SM>
                  {d.kind === 'update' && d.targetArticle
                    ? t('knowledge.draft.kind.update', { title: d.targetArticle.title })
                    : t('knowledge.draft.kind.create')}{' '}
                  · {t('knowledge.draft.sources', { count: d.sources })}
                </SM>
              </li>
            ))}
          </List>
        )}
      </section>
      <section>
        <LG tag="h3">{t('knowledge.gaps.title')}</LG>
        <GapsTable gaps={data.gaps} onOpenDraft={(id) => void openDraft(id)} />
      </section>
    </Stack>
  );
}
