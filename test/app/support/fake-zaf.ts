/** A ZafClient double for component tests: scripted requests, emit-able events, recorded triggers. */
import type { ZafClient, ZafInstance, ZafRequestOptions } from '../../../app/zaf/client';

export interface FakeZaf extends ZafClient {
  requests: ZafRequestOptions[];
  invoked: unknown[][];
  triggered: { instanceGuid: string | null; event: string; data: unknown }[];
  emit(event: string, data?: unknown): void;
  respond(handler: (o: ZafRequestOptions) => unknown | Promise<unknown>): void;
}

export function createFakeZaf(
  options: { values?: Record<string, unknown>; instances?: ZafInstance[] } = {},
): FakeZaf {
  const handlers = new Map<string, Set<(d: unknown) => void>>();
  let responder: (o: ZafRequestOptions) => unknown | Promise<unknown> = () => ({});
  const fake: FakeZaf = {
    requests: [],
    invoked: [],
    triggered: [],
    registered: async () => {},
    isRegistered: () => true,
    context: async () => ({ product: 'support', location: 'ticket_sidebar' }),
    metadata: async () => ({ appId: 1, installationId: 1, settings: {} }),
    async get<T>(path: string) {
      if (!(path in (options.values ?? {}))) throw new Error(`${path} unavailable`);
      return options.values![path] as T;
    },
    getMany: async () => ({}),
    set: async () => {},
    async invoke(name, ...args) {
      fake.invoked.push([name, ...args]);
    },
    async request<T>(o: ZafRequestOptions) {
      fake.requests.push(o);
      return (await responder(o)) as T;
    },
    on<T>(event: string, handler: (d: T) => void) {
      const set = handlers.get(event) ?? new Set();
      set.add(handler as (d: unknown) => void);
      handlers.set(event, set);
      return () => set.delete(handler as (d: unknown) => void);
    },
    trigger(event, data) {
      fake.triggered.push({ instanceGuid: null, event, data });
    },
    instance(instanceGuid) {
      return {
        trigger: (event: string, data?: unknown) => void fake.triggered.push({ instanceGuid, event, data }),
      };
    },
    instances: async () => options.instances ?? [],
    emit(event, data) {
      handlers.get(event)?.forEach((h) => h(data));
    },
    respond(handler) {
      responder = handler;
    },
  };
  return fake;
}
