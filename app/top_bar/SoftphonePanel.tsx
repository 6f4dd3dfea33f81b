/**
 * The softphone as the agent sees it, from a SoftphoneSnapshot. The same view serves the tab that runs
 * Streams and every other tab (which forwards its clicks to that tab).
 */
import { useState } from 'react';
import styled from 'styled-components';
import { Button, ToggleButton } from '@zendeskgarden/react-buttons';
import { Field, Select } from '@zendeskgarden/react-forms';
import { Paragraph, SM, Span } from '@zendeskgarden/react-typography';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/i18n';
import { formatDuration, useNow } from '../shared/hooks';
import { ErrorState, LoadingState } from '../shared/states';
import { DialPad } from './DialPad';
import { PROBLEM_TEXT, SIGNIN_FIXES } from './problems';
import type {
  AgentStateType,
  CallStatus,
  CallView,
  SoftphoneCommand,
  SoftphoneProblem,
  SoftphoneSnapshot,
} from './softphone/types';

const Stack = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.sm};
`;

const Card = styled.section`
  border: ${(p) => p.theme.borders.sm} ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
  border-radius: ${(p) => p.theme.borderRadii.md};
  padding: ${(p) => p.theme.space.sm};
`;

const Buttons = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.sm};
`;

const Header = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: ${(p) => p.theme.space.xs};
`;

const STATUS_KEY: Record<CallStatus, MessageKey> = {
  incoming: 'softphone.call.incoming',
  dialing: 'softphone.call.dialing',
  connected: 'softphone.call.connected',
  on_hold: 'softphone.call.on_hold',
  missed: 'softphone.call.missed',
  after_call_work: 'softphone.call.after_call_work',
};

function hueFor(type: AgentStateType): string {
  if (type === 'routable') return 'green';
  if (type === 'error') return 'red';
  if (type === 'system') return 'blue';
  return 'grey';
}

export function ProblemAlert({
  problem,
  origin,
  onCommand,
  type = 'error',
}: {
  problem: SoftphoneProblem;
  origin: string;
  onCommand?: (cmd: SoftphoneCommand) => void;
  type?: 'error' | 'warning';
}) {
  const { t } = useI18n();
  const text = PROBLEM_TEXT[problem.kind];
  const vars = { origin, detail: problem.detail ?? '—' };
  return (
    <ErrorState
      title={t(text.title)}
      type={type}
      testId={`problem-${problem.kind}`}
      action={
        onCommand && SIGNIN_FIXES.has(problem.kind) ? (
          <Button size="small" onClick={() => onCommand({ type: 'open_signin' })}>
            {t('softphone.action.signin')}
          </Button>
        ) : undefined
      }
    >
      <Paragraph>{t(text.body, vars)}</Paragraph>
      {problem.kind === 'origin_not_approved' ? (
        <SM>{t('softphone.problem.origin_not_approved.hint')}</SM>
      ) : null}
    </ErrorState>
  );
}

function CallCard({
  call,
  muted,
  onCommand,
}: {
  call: CallView;
  muted: boolean;
  onCommand: (c: SoftphoneCommand) => void;
}) {
  const { t } = useI18n();
  const live =
    call.status === 'connected' ||
    call.status === 'on_hold' ||
    call.status === 'dialing' ||
    call.status === 'incoming';
  const now = useNow(live);
  const [keypad, setKeypad] = useState(false);
  const btn = (
    type: SoftphoneCommand['type'],
    label: MessageKey,
    extra: { isPrimary?: boolean; isDanger?: boolean } = {},
  ) => (
    <Button size="small" {...extra} onClick={() => onCommand({ type } as SoftphoneCommand)}>
      {t(label)}
    </Button>
  );

  return (
    <Card aria-label={t('softphone.call.label')} data-testid="softphone-call">
      <Header>
        <Span isBold>{call.caller ?? t('softphone.call.unknown_caller')}</Span>
        <Tag hue={call.status === 'incoming' ? 'yellow' : call.status === 'on_hold' ? 'grey' : 'blue'}>
          {t(STATUS_KEY[call.status])}
        </Tag>
      </Header>
      <SM>
        {call.queue ? `${t('softphone.call.queue', { queue: call.queue })} · ` : ''}
        <span aria-label={t('softphone.call.duration')}>{formatDuration(now - call.since)}</span>
      </SM>
      <Buttons>
        {call.status === 'incoming' ? (
          <>
            {btn('accept', 'softphone.action.accept', { isPrimary: true })}
            {btn('reject', 'softphone.action.reject', { isDanger: true })}
          </>
        ) : null}
        {call.status === 'dialing' ? btn('hangup', 'softphone.action.hangup', { isDanger: true }) : null}
        {call.status === 'connected' ? (
          <>
            {muted ? btn('unmute', 'softphone.action.unmute') : btn('mute', 'softphone.action.mute')}
            {btn('hold', 'softphone.action.hold')}
            <ToggleButton size="small" isPressed={keypad} onClick={() => setKeypad((k) => !k)}>
              {t('softphone.action.keypad')}
            </ToggleButton>
            {btn('hangup', 'softphone.action.hangup', { isDanger: true })}
          </>
        ) : null}
        {call.status === 'on_hold' ? (
          <>
            {btn('resume', 'softphone.action.resume', { isPrimary: true })}
            {btn('hangup', 'softphone.action.hangup', { isDanger: true })}
          </>
        ) : null}
        {call.status === 'missed' || call.status === 'after_call_work'
          ? btn('clear', 'softphone.action.clear')
          : null}
      </Buttons>
      {keypad && call.status === 'connected' ? (
        <DialPad onDigit={(digits) => onCommand({ type: 'digits', digits })} />
      ) : null}
    </Card>
  );
}

export interface SoftphonePanelProps {
  snapshot: SoftphoneSnapshot | null;
  onCommand: (cmd: SoftphoneCommand) => void;
  /** This iframe's origin, which must be an approved origin in Amazon Connect. */
  origin: string;
}

export function SoftphonePanel({ snapshot, onCommand, origin }: SoftphonePanelProps) {
  const { t } = useI18n();
  if (!snapshot) return <LoadingState label={t('softphone.waiting_for_leader')} />;

  const { phase, agent, call, error, warnings, pendingDial } = snapshot;
  return (
    <Stack>
      {phase === 'failed' && error ? (
        <ProblemAlert problem={error} origin={origin} onCommand={onCommand} />
      ) : null}
      {phase !== 'failed' && error ? <ProblemAlert problem={error} origin={origin} type="warning" /> : null}
      {warnings.map((w) => (
        <ProblemAlert key={w.kind} problem={w} origin={origin} onCommand={onCommand} type="warning" />
      ))}
      {phase === 'starting' ? <LoadingState label={t('softphone.starting')} /> : null}
      {phase === 'signin' ? (
        <ErrorState
          type="info"
          title={t('softphone.signin.title')}
          testId="softphone-signin"
          action={
            <Button size="small" onClick={() => onCommand({ type: 'open_signin' })}>
              {t('softphone.action.signin_again')}
            </Button>
          }
        >
          {t('softphone.signin.body')}
        </ErrorState>
      ) : null}

      {agent ? (
        <Header>
          <div>
            <Span isBold>{agent.name}</Span>{' '}
            <Tag hue={hueFor(agent.stateType)} data-testid="agent-state">
              {agent.stateName}
            </Tag>
          </div>
          {agent.states.length > 0 ? (
            <Field>
              <Field.Label hidden>{t('softphone.agent.change_state')}</Field.Label>
              <Select
                isCompact
                value={agent.stateName}
                onChange={(e) => onCommand({ type: 'set_state', name: e.target.value })}
              >
                {agent.states.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </Select>
            </Field>
          ) : null}
        </Header>
      ) : null}

      {pendingDial ? (
        <ErrorState
          type="info"
          title={t('softphone.pending_dial.title', { number: pendingDial })}
          testId="pending-dial"
          action={
            <Button size="small" onClick={() => onCommand({ type: 'cancel_dial' })}>
              {t('softphone.action.cancel')}
            </Button>
          }
        >
          {t('softphone.pending_dial.body')}
        </ErrorState>
      ) : null}

      {call ? (
        <CallCard call={call} muted={agent?.muted ?? false} onCommand={onCommand} />
      ) : phase === 'ready' ? (
        <DialPad onCall={(number) => onCommand({ type: 'dial', number })} />
      ) : null}
    </Stack>
  );
}
