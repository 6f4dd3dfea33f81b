import type { MessageKey } from '../i18n/i18n';
import type { SoftphoneErrorKind } from './softphone/types';

/** What the agent reads for each problem: what happened, and who must do what. */
export const PROBLEM_TEXT: Record<SoftphoneErrorKind, { title: MessageKey; body: MessageKey }> = {
  streams_load_failed: {
    title: 'softphone.problem.streams_load_failed.title',
    body: 'softphone.problem.streams_load_failed.body',
  },
  origin_not_approved: {
    title: 'softphone.problem.origin_not_approved.title',
    body: 'softphone.problem.origin_not_approved.body',
  },
  popup_blocked: {
    title: 'softphone.problem.popup_blocked.title',
    body: 'softphone.problem.popup_blocked.body',
  },
  microphone_blocked: {
    title: 'softphone.problem.microphone_blocked.title',
    body: 'softphone.problem.microphone_blocked.body',
  },
  access_denied: {
    title: 'softphone.problem.access_denied.title',
    body: 'softphone.problem.access_denied.body',
  },
  auth_failed: { title: 'softphone.problem.auth_failed.title', body: 'softphone.problem.auth_failed.body' },
  unsupported_browser: {
    title: 'softphone.problem.unsupported_browser.title',
    body: 'softphone.problem.unsupported_browser.body',
  },
  softphone_failed: {
    title: 'softphone.problem.softphone_failed.title',
    body: 'softphone.problem.softphone_failed.body',
  },
  dial_failed: { title: 'softphone.problem.dial_failed.title', body: 'softphone.problem.dial_failed.body' },
};

/** Problems the agent can fix with one click on "Sign in". */
export const SIGNIN_FIXES: ReadonlySet<SoftphoneErrorKind> = new Set(['popup_blocked', 'auth_failed']);
