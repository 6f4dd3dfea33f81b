/**
 * support.ticket_sidebar: the call behind this ticket, live. The contact comes from the service
 * (signed request), updates over SSE, and the controls mirror the top-bar softphone through ZAF
 * instance messaging when this call is the one on the softphone.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import { Paragraph, SM, Span } from '@zendeskgarden/react-typography';
import {
  ServiceError,
  watchContact,
  type ContactState,
  type ContactView,
  type SentimentView,
  type SuggestionAction,
  type SuggestionView,
  type TranscriptTurn,
} from '../api';
import type { MessageKey } from '../i18n/i18n';
import { useI18n } from '../i18n/I18nProvider';
import { EVENT_SIDEBAR, EVENT_SOFTPHONE, sendCommandToTopBar, sendToTopBar } from '../messaging';
import { useAppEnv } from '../shared/AppRoot';
import { formatDuration, useAutoResize, useFirstRenderMark, useNow } from '../shared/hooks';
import { EmptyState, ErrorState, LoadingState } from '../shared/states';
import type { CallView, SoftphoneCommand, SoftphoneSnapshot } from '../top_bar/softphone/types';
import { useClient, type ZafClient } from '../zaf';
import {
  replyToEditorHtml,
  SentimentPanel,
  SuggestionsPanel,
  TranscriptSnippets,
  type ActionFeedback,
  type SuggestState,
} from './LivePanels';

/**
 * Live suggestions are pulled by the sidebar, not pushed by the server: on each new customer
 * utterance (seen on the SSE `transcript`/`sentiment` events) and on ticket open, after a quiet
 * period of SUGGEST_DEBOUNCE_MS, it asks POST /v1/app/suggestions with the contact id (the server
 * reads the transcript itself). Why: the request is the agent's own signed call, so the suggestion
 * is stored with the agent and the ticket (the evidence Insert/Copy are billed on) and goes through
 * the per-account rate limit; work is done only while a sidebar is open on the call, never for the
 * hundreds of streams nobody reads; and the event stream stays a cheap fan-out of ids and summaries.
 * The cost: a proxy round trip per suggestion, and no token-by-token streaming (Zendesk's proxy
 * returns whole responses; the local provider answers at once anyway).
 */
export const SUGGEST_DEBOUNCE_MS = 700;

const Root = styled.div`
  padding: ${(p) => p.theme.space.xs} ${(p) => p.theme.space.xxs};
`;

const Card = styled.section`
  border: ${(p) => p.theme.borders.sm} ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  border-radius: ${(p) => p.theme.borderRadii.md};
  padding: ${(p) => p.theme.space.sm};
`;

const Header = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: ${(p) => p.theme.space.xs};
  margin-bottom: ${(p) => p.theme.space.xs};
`;

const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${(p) => p.theme.space.xxs} ${(p) => p.theme.space.sm};
  margin: 0;
  dt {
    color: ${(p) => getColor({ theme: p.theme, variable: 'foreground.subtle' })};
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;

const Buttons = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.sm};
`;

const STATE_KEY: Record<ContactState, MessageKey> = {
  queued: 'sidebar.state.queued',
  connected: 'sidebar.state.connected',
  ended: 'sidebar.state.ended',
};
const STATE_HUE: Record<ContactState, string> = { queued: 'yellow', connected: 'green', ended: 'grey' };

type Load =
  { kind: 'loading' } | { kind: 'failed'; error: unknown } | { kind: 'ready'; contact: ContactView | null };

function sameCall(call: CallView | undefined, contact: ContactView): call is CallView {
  if (!call) return false;
  return (
    call.contactId === contact.contactId ||
    call.contactId === contact.initialContactId ||
    (call.initialContactId !== undefined && call.initialContactId === contact.initialContactId)
  );
}

function timing(contact: ContactView, now: number): { label: MessageKey; ms: number } | null {
  const t = (iso?: string) => (iso ? Date.parse(iso) : NaN);
  const started = t(contact.startedAt);
  const connected = t(contact.connectedAt);
  const ended = t(contact.endedAt);
  if (contact.state === 'ended') {
    const from = Number.isNaN(connected) ? started : connected;
    return Number.isNaN(from) || Number.isNaN(ended)
      ? null
      : { label: 'sidebar.field.duration', ms: ended - from };
  }
  if (contact.state === 'connected' && !Number.isNaN(connected))
    return { label: 'sidebar.field.talking', ms: now - connected };
  if (!Number.isNaN(started)) return { label: 'sidebar.field.waiting', ms: now - started };
  return null;
}

function MirroredControls({
  call,
  muted,
  onCommand,
}: {
  call: CallView;
  muted: boolean;
  onCommand: (c: SoftphoneCommand) => void;
}) {
  const { t } = useI18n();
  const b = (
    cmd: SoftphoneCommand,
    label: MessageKey,
    extra: { isPrimary?: boolean; isDanger?: boolean } = {},
  ) => (
    <Button size="small" {...extra} onClick={() => onCommand(cmd)}>
      {t(label)}
    </Button>
  );
  return (
    <Buttons role="group" aria-label={t('sidebar.controls.label')} data-testid="mirrored-controls">
      {call.status === 'incoming' ? (
        <>
          {b({ type: 'accept' }, 'softphone.action.accept', { isPrimary: true })}
          {b({ type: 'reject' }, 'softphone.action.reject', { isDanger: true })}
        </>
      ) : null}
      {call.status === 'connected' ? (
        <>
          {muted
            ? b({ type: 'unmute' }, 'softphone.action.unmute')
            : b({ type: 'mute' }, 'softphone.action.mute')}
          {b({ type: 'hold' }, 'softphone.action.hold')}
          {b({ type: 'hangup' }, 'softphone.action.hangup', { isDanger: true })}
        </>
      ) : null}
      {call.status === 'on_hold' ? (
        <>
          {b({ type: 'resume' }, 'softphone.action.resume', { isPrimary: true })}
          {b({ type: 'hangup' }, 'softphone.action.hangup', { isDanger: true })}
        </>
      ) : null}
      {call.status === 'dialing'
        ? b({ type: 'hangup' }, 'softphone.action.hangup', { isDanger: true })
        : null}
    </Buttons>
  );
}

export function CallDetails({
  contact,
  live,
  softphone,
  onCommand,
}: {
  contact: ContactView;
  live: 'connecting' | 'live' | 'retrying' | null;
  softphone: SoftphoneSnapshot | null;
  onCommand: (c: SoftphoneCommand) => void;
}) {
  const { t } = useI18n();
  const now = useNow(contact.state !== 'ended');
  const time = timing(contact, now);
  const call = softphone?.call;
  return (
    <Card aria-label={t('sidebar.card.label')} data-testid="call-card">
      <Header>
        <Span isBold>{t('sidebar.card.title')}</Span>
        <Tag hue={STATE_HUE[contact.state]} data-testid="call-state">
          {t(STATE_KEY[contact.state])}
        </Tag>
      </Header>
      <Facts>
        <dt>{t('sidebar.field.caller')}</dt>
        <dd data-testid="call-caller">{contact.callerMasked ?? t('sidebar.unknown')}</dd>
        {contact.queue ? (
          <>
            <dt>{t('sidebar.field.queue')}</dt>
            <dd>{contact.queue}</dd>
          </>
        ) : null}
        {contact.agentUsername ? (
          <>
            <dt>{t('sidebar.field.agent')}</dt>
            <dd>{contact.agentUsername}</dd>
          </>
        ) : null}
        {time ? (
          <>
            <dt>{t(time.label)}</dt>
            <dd data-testid="call-timer">{formatDuration(time.ms)}</dd>
          </>
        ) : null}
      </Facts>
      {contact.state !== 'ended' && live === 'retrying' ? <SM>{t('sidebar.live.retrying')}</SM> : null}
      {contact.state !== 'ended' && sameCall(call, contact) ? (
        <MirroredControls call={call} muted={softphone?.agent?.muted ?? false} onCommand={onCommand} />
      ) : null}
    </Card>
  );
}

function errorText(error: unknown): { title: MessageKey; body: MessageKey; message?: string } {
  if (error instanceof ServiceError && (error.status === 401 || error.status === 403)) {
    return { title: 'sidebar.error.auth.title', body: 'sidebar.error.auth.body' };
  }
  const message = error instanceof Error ? error.message : undefined;
  return {
    title: 'sidebar.error.load.title',
    body: 'sidebar.error.load.body',
    ...(message ? { message } : {}),
  };
}

export function TicketSidebar() {
  const client = useClient();
  const { api, context, problems } = useAppEnv();
  const { t } = useI18n();
  const root = useRef<HTMLDivElement>(null);
  const [ticketId, setTicketId] = useState<number | null>(
    typeof context.ticketId === 'number' ? context.ticketId : null,
  );
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [live, setLive] = useState<'connecting' | 'live' | 'retrying' | null>(null);
  const [softphone, setSoftphone] = useState<SoftphoneSnapshot | null>(null);
  const [sentiment, setSentiment] = useState<SentimentView | null>(null);
  const [turns, setTurns] = useState<TranscriptTurn[]>([]);
  useAutoResize(client, root);
  useFirstRenderMark(load.kind !== 'loading' || !api);

  useEffect(() => {
    if (ticketId !== null) return;
    client.get<number>('ticket.id').then(
      (id) => setTicketId(Number(id)),
      (error) => setLoad({ kind: 'failed', error }),
    );
  }, [client, ticketId]);

  useEffect(() => {
    if (!api || ticketId === null) return;
    let active = true;
    setLoad({ kind: 'loading' });
    api.getContactByTicket(ticketId).then(
      (contact) => active && setLoad({ kind: 'ready', contact }),
      (error) => active && setLoad({ kind: 'failed', error }),
    );
    return () => {
      active = false;
    };
  }, [api, ticketId, attempt]);

  const contactId =
    load.kind === 'ready' && load.contact && load.contact.state !== 'ended' ? load.contact.contactId : null;
  useEffect(() => {
    if (!api || !contactId) return;
    return watchContact({
      api,
      contactId,
      onState: (contact) => setLoad({ kind: 'ready', contact }),
      onStatus: setLive,
      onSentiment: setSentiment,
      onTranscript: setTurns,
    });
  }, [api, contactId]);

  const suggestions = useSuggestions({
    client,
    ticketId,
    contactId: load.kind === 'ready' && load.contact ? load.contact.contactId : null,
    loaded: load.kind === 'ready',
    sentiment,
    turns,
  });

  // Tell the top bar this ticket is open (screen pop skips it) and receive the softphone state.
  useEffect(() => {
    const offSoftphone = client.on<SoftphoneSnapshot>(EVENT_SOFTPHONE, (snapshot) => setSoftphone(snapshot));
    if (ticketId === null || !context.instanceGuid) return offSoftphone;
    const presence = (present: boolean) =>
      void sendToTopBar(client, EVENT_SIDEBAR, { ticketId, instanceGuid: context.instanceGuid, present });
    presence(true);
    const bye = () => presence(false);
    window.addEventListener('pagehide', bye);
    return () => {
      offSoftphone();
      window.removeEventListener('pagehide', bye);
      bye();
    };
  }, [client, ticketId, context.instanceGuid]);

  const onCommand = useCallback((cmd: SoftphoneCommand) => void sendCommandToTopBar(client, cmd), [client]);

  let body;
  if (!api) {
    body = (
      <ErrorState title={t('config.service.title')} testId="config-problem">
        <Paragraph>
          {t(problems.includes('service_url_invalid') ? 'config.service.invalid' : 'config.service.missing')}
        </Paragraph>
      </ErrorState>
    );
  } else if (load.kind === 'loading') {
    body = <LoadingState label={t('sidebar.loading')} />;
  } else if (load.kind === 'failed') {
    const text = errorText(load.error);
    body = (
      <ErrorState
        title={t(text.title)}
        testId="sidebar-error"
        action={
          <Button size="small" onClick={() => setAttempt((a) => a + 1)}>
            {t('common.retry')}
          </Button>
        }
      >
        <Paragraph>{t(text.body, { message: text.message ?? '' })}</Paragraph>
      </ErrorState>
    );
  } else if (!load.contact) {
    body = (
      <>
        <EmptyState title={t('sidebar.empty.title')}>{t('sidebar.empty.body')}</EmptyState>
        {suggestions.panel}
      </>
    );
  } else {
    const analysed = sentiment !== null || turns.length > 0 || load.contact.state === 'connected';
    body = (
      <>
        <CallDetails contact={load.contact} live={live} softphone={softphone} onCommand={onCommand} />
        {analysed ? <SentimentPanel sentiment={sentiment} /> : null}
        <TranscriptSnippets turns={turns} />
        {suggestions.panel}
      </>
    );
  }

  return <Root ref={root}>{body}</Root>;
}

/** Ticket comments as ZAF returns them (`ticket.comments`): HTML values and their authors. */
interface ZafComment {
  value?: string;
  author?: { role?: string };
}

function commentsText(comments: unknown): string {
  if (!Array.isArray(comments)) return '';
  const text = (comments as ZafComment[])
    // The customer's words are what to answer; agents' and notes' are left out.
    .filter((c) => typeof c?.value === 'string' && c.author?.role !== 'agent' && c.author?.role !== 'admin')
    .map((c) => new DOMParser().parseFromString(c.value!, 'text/html').body.textContent ?? '')
    .map((v) => v.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
  return text.length > 4000 ? text.slice(-4000) : text;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Clipboard API refused (permissions policy of the iframe): the selection fallback below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy');
}

/**
 * The suggestions panel's data: asks for a suggestion on each new customer utterance (debounced)
 * and once on ticket open, and records what the agent does with it. See SUGGEST_DEBOUNCE_MS.
 */
function useSuggestions({
  client,
  ticketId,
  contactId,
  loaded,
  sentiment,
  turns,
}: {
  client: ZafClient;
  ticketId: number | null;
  contactId: string | null;
  loaded: boolean;
  sentiment: SentimentView | null;
  turns: TranscriptTurn[];
}) {
  const { api } = useAppEnv();
  const [state, setState] = useState<SuggestState>({ kind: 'idle' });
  const [feedback, setFeedback] = useState<ActionFeedback>(null);
  const seq = useRef(0);
  const lastInput = useRef<Parameters<NonNullable<typeof api>['suggest']>[0] | null>(null);

  const request = useCallback(
    (input: Parameters<NonNullable<typeof api>['suggest']>[0]) => {
      if (!api) return;
      lastInput.current = input;
      const mine = ++seq.current;
      setFeedback(null);
      setState((prev) => ({
        kind: 'loading',
        previous:
          prev.kind === 'ready'
            ? prev.suggestion
            : prev.kind === 'idle' || prev.kind === 'none'
              ? null
              : prev.previous,
      }));
      api.suggest(input).then(
        (suggestion) => {
          if (mine !== seq.current) return; // a newer utterance asked again meanwhile
          setState(suggestion ? { kind: 'ready', suggestion } : { kind: 'none' });
        },
        (error: unknown) => {
          if (mine !== seq.current) return;
          setState((prev) => ({
            kind: 'failed',
            message: error instanceof Error ? error.message : String(error),
            previous: prev.kind === 'loading' ? prev.previous : null,
          }));
        },
      );
    },
    [api],
  );

  // Live: a new or longer customer turn (or, from a server without transcripts, a new count).
  const lastCustomer = [...turns].reverse().find((t) => t.participant === 'CUSTOMER');
  const customerKey = lastCustomer
    ? `${lastCustomer.id}:${lastCustomer.text.length}`
    : sentiment && sentiment.customerUtterances > 0
      ? `n${sentiment.customerUtterances}`
      : '';
  useEffect(() => {
    if (!contactId || !customerKey) return;
    const timer = setTimeout(
      () => request({ contactId, ...(ticketId !== null ? { ticketId } : {}) }),
      SUGGEST_DEBOUNCE_MS,
    );
    return () => clearTimeout(timer);
  }, [contactId, customerKey, ticketId, request]);

  // No call behind the ticket: one suggestion from the requester's comments, on open.
  useEffect(() => {
    if (!loaded || contactId || ticketId === null || !api) return;
    let active = true;
    client.get<unknown>('ticket.comments').then(
      (comments) => {
        const text = commentsText(comments);
        if (active && text) request({ text, ticketId });
      },
      () => undefined, // no comments readable: the panel keeps its waiting text
    );
    return () => {
      active = false;
    };
  }, [loaded, contactId, ticketId, api, client, request]);

  const record = useCallback(
    (s: SuggestionView, action: SuggestionAction, articleId?: number) => {
      if (!api) return;
      const input = {
        action,
        ...(ticketId !== null ? { ticketId } : {}),
        ...(articleId ? { articleId } : {}),
      };
      // Insert and Copy are billing evidence: one retry before giving up.
      void api
        .recordSuggestionAction(s.id, input)
        .catch(() => api.recordSuggestionAction(s.id, input))
        .catch(() => undefined);
    },
    [api, ticketId],
  );

  const fail = (error: unknown) =>
    setFeedback({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });

  const panel = api ? (
    <SuggestionsPanel
      state={state}
      feedback={feedback}
      waitingKey={contactId ? 'sidebar.suggest.waiting' : 'sidebar.suggest.waiting_ticket'}
      onRetry={() => lastInput.current && request(lastInput.current)}
      onInsert={(s) =>
        void client.invoke('ticket.editor.insert', replyToEditorHtml(s.reply)).then(() => {
          setFeedback({ kind: 'inserted' });
          record(s, 'inserted');
        }, fail)
      }
      onCopy={(s) =>
        void copyText(s.reply).then(() => {
          setFeedback({ kind: 'copied' });
          record(s, 'copied');
        }, fail)
      }
      onOpenArticle={(s, articleId) => record(s, 'opened_article', articleId)}
      onRate={(s, up) => {
        setFeedback({ kind: 'rated' });
        record(s, up ? 'thumbs_up' : 'thumbs_down');
      }}
    />
  ) : null;
  return { panel };
}
