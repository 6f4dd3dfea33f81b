/** What the softphone shows and what any copy of its controls (other tab, ticket sidebar) can ask it to do. */

export type SoftphoneErrorKind =
  | 'streams_load_failed'
  | 'origin_not_approved'
  | 'popup_blocked'
  | 'microphone_blocked'
  | 'access_denied'
  | 'auth_failed'
  | 'unsupported_browser'
  | 'softphone_failed'
  | 'dial_failed';

export interface SoftphoneProblem {
  kind: SoftphoneErrorKind;
  /** Technical detail for support (error type from streams), never shown as the main message. */
  detail?: string;
}

export type AgentStateType = 'routable' | 'not_routable' | 'offline' | 'system' | 'error' | string;

export interface AgentView {
  name: string;
  stateName: string;
  stateType: AgentStateType;
  muted: boolean;
  /** States the agent may pick (routable / not routable / offline). */
  states: { name: string; type: AgentStateType }[];
}

export type CallStatus = 'incoming' | 'dialing' | 'connected' | 'on_hold' | 'missed' | 'after_call_work';

export interface CallView {
  contactId: string;
  initialContactId?: string;
  direction: 'inbound' | 'outbound';
  status: CallStatus;
  caller?: string;
  queue?: string;
  /** Epoch ms when the current status began (for the timer). */
  since: number;
}

export type SoftphonePhase = 'starting' | 'signin' | 'ready' | 'failed';

export interface SoftphoneSnapshot {
  phase: SoftphonePhase;
  /** Blocks the softphone (phase 'failed') or an action (dial_failed). */
  error?: SoftphoneProblem;
  /** Non-blocking problems, e.g. the microphone is blocked while the CCP itself works. */
  warnings: SoftphoneProblem[];
  agent?: AgentView;
  call?: CallView;
  /** A click-to-dial number waiting for the softphone to be ready. */
  pendingDial?: string;
}

export type SoftphoneCommand =
  | { type: 'dial'; number: string }
  | { type: 'cancel_dial' }
  | { type: 'accept' }
  | { type: 'reject' }
  | { type: 'hangup' }
  | { type: 'hold' }
  | { type: 'resume' }
  | { type: 'mute' }
  | { type: 'unmute' }
  | { type: 'digits'; digits: string }
  | { type: 'clear' }
  | { type: 'set_state'; name: string }
  | { type: 'open_signin' };

export const INITIAL_SNAPSHOT: SoftphoneSnapshot = { phase: 'starting', warnings: [] };

const COMMAND_TYPES = new Set<SoftphoneCommand['type']>([
  'dial',
  'cancel_dial',
  'accept',
  'reject',
  'hangup',
  'hold',
  'resume',
  'mute',
  'unmute',
  'digits',
  'clear',
  'set_state',
  'open_signin',
]);

/** Commands arrive over postMessage from other frames: check them before acting. */
export function parseCommand(value: unknown): SoftphoneCommand | null {
  const c = value as Record<string, unknown> | null;
  if (!c || typeof c.type !== 'string' || !COMMAND_TYPES.has(c.type as SoftphoneCommand['type'])) return null;
  if (c.type === 'dial')
    return typeof c.number === 'string' && c.number.trim() ? { type: 'dial', number: c.number } : null;
  if (c.type === 'digits') {
    return typeof c.digits === 'string' && /^[0-9*#]{1,32}$/.test(c.digits)
      ? { type: 'digits', digits: c.digits }
      : null;
  }
  if (c.type === 'set_state') return typeof c.name === 'string' ? { type: 'set_state', name: c.name } : null;
  return { type: c.type } as SoftphoneCommand;
}

/** Keeps digits, +, * and #; Zendesk's `voice.dialout` may send formatted numbers like "+1 (555) 010-0000". */
export function normaliseNumber(input: string): string {
  const trimmed = input.trim();
  const plus = trimmed.startsWith('+') ? '+' : '';
  return plus + trimmed.replace(/[^0-9*#]/g, '');
}
