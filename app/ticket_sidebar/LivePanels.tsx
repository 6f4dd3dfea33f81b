/**
 * The live parts of the ticket sidebar: the customer's sentiment (label, smoothed trend as a
 * sparkline, the alert), the latest transcript snippets, and the suggested reply with its Help Center
 * sources and one-click actions. Presentational: TicketSidebar owns the data and the service calls.
 */
import styled from 'styled-components';
import { Anchor, Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Dots } from '@zendeskgarden/react-loaders';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import { Paragraph, SM, Span } from '@zendeskgarden/react-typography';
import type { SentimentLabel, SentimentView, SuggestionView, TranscriptTurn } from '../api';
import type { MessageKey } from '../i18n/i18n';
import { useI18n } from '../i18n/I18nProvider';
import { formatDuration } from '../shared/hooks';

export const Panel = styled.section`
  border: ${(p) => p.theme.borders.sm} ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  border-radius: ${(p) => p.theme.borderRadii.md};
  padding: ${(p) => p.theme.space.sm};
  margin-top: ${(p) => p.theme.space.xs};
  min-width: 0;
`;

const Header = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs};
  margin-bottom: ${(p) => p.theme.space.xs};
`;

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.xs};
`;

const LABEL_KEY: Record<SentimentLabel, MessageKey> = {
  POSITIVE: 'sidebar.sentiment.label.positive',
  NEUTRAL: 'sidebar.sentiment.label.neutral',
  NEGATIVE: 'sidebar.sentiment.label.negative',
};
const LABEL_HUE: Record<SentimentLabel, string> = { POSITIVE: 'green', NEUTRAL: 'grey', NEGATIVE: 'red' };
type Tone = 'success' | 'subtle' | 'danger';
const LABEL_TONE: Record<SentimentLabel, Tone> = {
  POSITIVE: 'success',
  NEUTRAL: 'subtle',
  NEGATIVE: 'danger',
};

// --- sparkline ---------------------------------------------------------------------------------

const Spark = styled.svg<{ $tone: Tone }>`
  display: block;
  width: 100%;
  height: 48px;
  color: ${(p) => getColor({ theme: p.theme, variable: `foreground.${p.$tone}` })};
  .zero {
    stroke: ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  }
`;

const W = 100;
const H = 40;
/** Score −1 … +1 → y (top = +1). */
const yOf = (score: number) => Math.round((H / 2 - Math.max(-1, Math.min(1, score)) * (H / 2 - 3)) * 10) / 10;

/** The smoothed trend on a fixed −1 … +1 scale, with the neutral line; scales to any width. */
export function Sparkline({
  points,
  tone,
  label,
}: {
  points: SentimentView['trend'];
  tone: Tone;
  label: string;
}) {
  const n = points.length;
  const xy = points.map((p, i) => [n === 1 ? W : Math.round((i / (n - 1)) * W * 10) / 10, yOf(p.smoothed)]);
  const last = xy.at(-1);
  return (
    <Spark
      $tone={tone}
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      data-testid="sentiment-sparkline"
      data-points={n}
    >
      <line
        className="zero"
        x1="0"
        x2={W}
        y1={H / 2}
        y2={H / 2}
        strokeDasharray="2 2"
        vectorEffect="non-scaling-stroke"
      />
      {n > 1 ? (
        <polyline
          points={xy.map(([x, y]) => `${x},${y}`).join(' ')}
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinejoin="round"
          vectorEffect="non-scaling-stroke"
        />
      ) : null}
      {last ? <circle cx={last[0]} cy={last[1]} r="2.5" fill="currentColor" /> : null}
    </Spark>
  );
}

// --- sentiment ---------------------------------------------------------------------------------

export function SentimentPanel({ sentiment }: { sentiment: SentimentView | null }) {
  const { t } = useI18n();
  const label = sentiment?.label ?? null;
  return (
    <Panel aria-label={t('sidebar.sentiment.title')} data-testid="sentiment-panel">
      <Header>
        <Span isBold>{t('sidebar.sentiment.title')}</Span>
        {label ? (
          <Tag hue={LABEL_HUE[label]} data-testid="sentiment-label">
            {t(LABEL_KEY[label])}
          </Tag>
        ) : null}
      </Header>
      {sentiment?.alert.active ? (
        <Alert type="warning" role="alert" data-testid="sentiment-alert">
          <Alert.Title>{t('sidebar.sentiment.alert.title')}</Alert.Title>
          {t('sidebar.sentiment.alert.body', { time: formatDuration(sentiment.alert.since ?? 0) })}
        </Alert>
      ) : null}
      {!sentiment || !label || sentiment.trend.length === 0 ? (
        <SM data-testid="sentiment-waiting">{t('sidebar.sentiment.waiting')}</SM>
      ) : (
        <Sparkline
          points={sentiment.trend}
          tone={LABEL_TONE[label]}
          label={t('sidebar.sentiment.trend', {
            count: sentiment.trend.length,
            label: t(LABEL_KEY[label]),
          })}
        />
      )}
      {sentiment?.final ? (
        <SM data-testid="sentiment-final">
          {t('sidebar.sentiment.final', {
            label: t(LABEL_KEY[sentiment.final.label]),
            score: sentiment.final.overall,
          })}
        </SM>
      ) : null}
    </Panel>
  );
}

// --- transcript --------------------------------------------------------------------------------

const Turns = styled.ol`
  list-style: none;
  margin: 0;
  padding: 0;
  display: grid;
  gap: ${(p) => p.theme.space.xxs};
  li {
    overflow-wrap: anywhere;
  }
`;

const Who = styled.span<{ $tone: Tone }>`
  font-weight: ${(p) => p.theme.fontWeights.semibold};
  color: ${(p) => getColor({ theme: p.theme, variable: `foreground.${p.$tone}` })};
`;

/** The last few turns; the newest last (as spoken). */
export function TranscriptSnippets({ turns, max = 4 }: { turns: TranscriptTurn[]; max?: number }) {
  const { t } = useI18n();
  if (turns.length === 0) return null;
  return (
    <Panel aria-label={t('sidebar.transcript.title')} data-testid="transcript">
      <Header>
        <Span isBold>{t('sidebar.transcript.title')}</Span>
      </Header>
      <Turns>
        {turns.slice(-max).map((turn) => {
          const customer = turn.participant === 'CUSTOMER';
          const tone: Tone = customer && turn.sentiment ? LABEL_TONE[turn.sentiment] : 'subtle';
          return (
            <li key={turn.id}>
              <SM>
                <Who $tone={tone}>
                  {t(customer ? 'sidebar.transcript.customer' : 'sidebar.transcript.agent')}
                </Who>{' '}
                {turn.text}
              </SM>
            </li>
          );
        })}
      </Turns>
    </Panel>
  );
}

// --- suggestions -------------------------------------------------------------------------------

export type SuggestState =
  | { kind: 'idle' }
  | { kind: 'loading'; previous: SuggestionView | null }
  | { kind: 'ready'; suggestion: SuggestionView }
  | { kind: 'none' }
  | { kind: 'failed'; message: string; previous: SuggestionView | null };

export type ActionFeedback =
  { kind: 'inserted' | 'copied' | 'rated' } | { kind: 'failed'; message: string } | null;

const Reply = styled(Paragraph)`
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  margin: ${(p) => p.theme.space.xs} 0;
`;

const Sources = styled.ul`
  margin: ${(p) => p.theme.space.xxs} 0 0;
  padding-left: ${(p) => p.theme.space.md};
  li {
    overflow-wrap: anywhere;
  }
`;

function SuggestionCard({
  suggestion,
  updating,
  feedback,
  onInsert,
  onCopy,
  onOpenArticle,
  onRate,
}: {
  suggestion: SuggestionView;
  updating: boolean;
  feedback: ActionFeedback;
  onInsert: () => void;
  onCopy: () => void;
  onOpenArticle: (articleId: number) => void;
  onRate: (up: boolean) => void;
}) {
  const { t } = useI18n();
  return (
    <div data-testid="suggestion" data-suggestion-id={suggestion.id} aria-busy={updating}>
      <Row>
        <Tag hue="blue" data-testid="suggestion-provider" title={t('sidebar.suggest.provider_hint')}>
          {t('sidebar.suggest.provider', { provider: suggestion.provider })}
        </Tag>
        <Tag data-testid="suggestion-confidence">
          {t('sidebar.suggest.confidence', { percent: Math.round(suggestion.confidence * 100) })}
        </Tag>
        {updating ? <SM>{t('sidebar.suggest.updating')}</SM> : null}
      </Row>
      <Reply data-testid="suggestion-reply">{suggestion.reply}</Reply>
      <Row role="group" aria-label={t('sidebar.suggest.actions')}>
        <Button size="small" isPrimary onClick={onInsert} data-testid="suggestion-insert">
          {t('sidebar.suggest.insert')}
        </Button>
        <Button size="small" onClick={onCopy} data-testid="suggestion-copy">
          {t('sidebar.suggest.copy')}
        </Button>
        <Button size="small" isBasic onClick={() => onRate(true)}>
          {t('sidebar.suggest.helpful')}
        </Button>
        <Button size="small" isBasic onClick={() => onRate(false)}>
          {t('sidebar.suggest.not_helpful')}
        </Button>
      </Row>
      {feedback ? (
        <SM role="status" data-testid="suggestion-feedback">
          {feedback.kind === 'failed'
            ? t('sidebar.suggest.action_failed', { message: feedback.message })
            : t(
                feedback.kind === 'inserted'
                  ? 'sidebar.suggest.inserted'
                  : feedback.kind === 'copied'
                    ? 'sidebar.suggest.copied'
                    : 'sidebar.suggest.thanks',
              )}
        </SM>
      ) : null}
      {suggestion.articles.length ? (
        <>
          <SM isBold style={{ marginTop: 8 }}>
            {t('sidebar.suggest.sources')}
          </SM>
          <Sources data-testid="suggestion-sources">
            {suggestion.articles.map((a) => (
              <li key={a.id}>
                {a.url ? (
                  <Anchor
                    href={a.url}
                    isExternal
                    target="_blank"
                    rel="noopener noreferrer"
                    onClick={() => onOpenArticle(a.id)}
                  >
                    {a.title}
                  </Anchor>
                ) : (
                  <SM>{a.title}</SM>
                )}
              </li>
            ))}
          </Sources>
        </>
      ) : null}
    </div>
  );
}

export function SuggestionsPanel({
  state,
  feedback,
  waitingKey,
  onRetry,
  onInsert,
  onCopy,
  onOpenArticle,
  onRate,
}: {
  state: SuggestState;
  feedback: ActionFeedback;
  /** What to say before there is anything to suggest from (live call or ticket). */
  waitingKey: MessageKey;
  onRetry: () => void;
  onInsert: (s: SuggestionView) => void;
  onCopy: (s: SuggestionView) => void;
  onOpenArticle: (s: SuggestionView, articleId: number) => void;
  onRate: (s: SuggestionView, up: boolean) => void;
}) {
  const { t } = useI18n();
  const shown =
    state.kind === 'ready'
      ? state.suggestion
      : state.kind === 'loading' || state.kind === 'failed'
        ? state.previous
        : null;
  return (
    <Panel aria-label={t('sidebar.suggest.title')} data-testid="suggestions-panel" aria-live="polite">
      <Header>
        <Span isBold>{t('sidebar.suggest.title')}</Span>
      </Header>
      {state.kind === 'idle' ? <SM data-testid="suggestion-waiting">{t(waitingKey)}</SM> : null}
      {state.kind === 'loading' && !shown ? (
        <Row role="status">
          <Dots size={16} aria-hidden="true" />
          <SM>{t('sidebar.suggest.loading')}</SM>
        </Row>
      ) : null}
      {state.kind === 'none' ? <SM data-testid="suggestion-none">{t('sidebar.suggest.none')}</SM> : null}
      {state.kind === 'failed' ? (
        <Alert type="error" role="alert" data-testid="suggestion-error">
          <Alert.Title>{t('sidebar.suggest.error.title')}</Alert.Title>
          {t('sidebar.suggest.error.body', { message: state.message })}
          <Row>
            <Button size="small" onClick={onRetry}>
              {t('common.retry')}
            </Button>
          </Row>
        </Alert>
      ) : null}
      {shown ? (
        <SuggestionCard
          suggestion={shown}
          updating={state.kind === 'loading'}
          feedback={state.kind === 'ready' ? feedback : null}
          onInsert={() => onInsert(shown)}
          onCopy={() => onCopy(shown)}
          onOpenArticle={(id) => onOpenArticle(shown, id)}
          onRate={(up) => onRate(shown, up)}
        />
      ) : null}
    </Panel>
  );
}

/**
 * `ticket.editor.insert` takes HTML (the editor may be in rich text mode): the reply is plain text
 * built from Help Center articles, so it is escaped and its line breaks kept.
 */
export function replyToEditorHtml(reply: string): string {
  const escaped = reply
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return escaped.replace(/\r?\n/g, '<br>');
}
