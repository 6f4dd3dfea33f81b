/**
 * What a component test needs around a view: the app environment (ZAF context, settings, user, the
 * real service API over a fake ZAF client) and a stand-in EventSource the test drives by hand.
 */
import { act } from '@testing-library/react';
import { createServiceApi } from '../../../app/api';
import type { AppEnv } from '../../../app/shared/AppRoot';
import type { FakeZaf } from './fake-zaf';

export const SERVICE = 'https://svc.example.com';

export interface EnvOptions {
  location?: 'ticket_sidebar' | 'nav_bar' | 'top_bar';
  /** Zendesk user id and role put in the signed requests' claims. */
  userId?: number;
  role?: 'admin' | 'agent';
  /** Any part replaced as a whole. */
  over?: Partial<AppEnv>;
}

const GUIDS = { ticket_sidebar: 'sidebar-1', nav_bar: 'nav-1', top_bar: 'top-bar-1' } as const;

export function appEnv(client: FakeZaf, o: EnvOptions = {}): AppEnv {
  const location = o.location ?? 'ticket_sidebar';
  const userId = o.userId ?? 7;
  return {
    context: {
      product: 'support',
      location,
      instanceGuid: GUIDS[location],
      ...(location === 'ticket_sidebar' ? { ticketId: 42 } : {}),
      account: { subdomain: 'acme' },
    },
    metadata: { appId: 1, installationId: 1, settings: {} },
    settings: { serviceUrl: SERVICE, ccpUrl: 'https://acme.my.connect.aws/ccp-v2/' },
    problems: [],
    user: { id: userId, locale: 'en-US', ...(o.role ? { role: o.role } : {}) },
    api: createServiceApi({
      client,
      serviceUrl: SERVICE,
      subdomain: 'acme',
      userId,
      ...(o.role ? { role: o.role } : {}),
    }),
    ...o.over,
  };
}

/** Installed as the global EventSource; `emit` delivers a server-sent event inside act(). */
export class FakeEventSource {
  static all: FakeEventSource[] = [];
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  close() {}
  emit(type: string, data: unknown) {
    act(() => this.listeners.get(type)?.forEach((l) => l({ data: JSON.stringify(data) } as MessageEvent)));
  }
  static install(): void {
    (globalThis as unknown as { EventSource: unknown }).EventSource = FakeEventSource;
  }
}
