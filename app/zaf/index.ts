import ZAFClient from 'zendesk_app_framework_sdk';
import { wrapZafClient, type ZafClient } from './client';

export * from './client';
export { ClientProvider, useClient } from './ClientProvider';

/** The client for this iframe, or null when the page was not opened by Zendesk. */
export function initZafClient(): ZafClient | null {
  const raw = ZAFClient.init();
  return raw ? wrapZafClient(raw) : null;
}
