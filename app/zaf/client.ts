/**
 * The one typed wrapper around the ZAF client. Nothing else in the app touches the SDK object, so the
 * postMessage protocol details (bulk `get` results, error shapes, subscriber counts) stay here.
 */
import type { RawZafClient } from 'zendesk_app_framework_sdk';

export type ZafLocation =
  | 'top_bar'
  | 'ticket_sidebar'
  | 'new_ticket_sidebar'
  | 'user_sidebar'
  | 'organization_sidebar'
  | 'nav_bar'
  | 'background'
  | 'modal';

export interface ZafContext {
  product: string;
  location: ZafLocation | string;
  instanceGuid?: string;
  account?: { subdomain?: string };
  ticketId?: number;
}

export interface ZafMetadata {
  appId: number;
  installationId: number;
  name?: string;
  version?: string;
  /** Non-secure settings only: secure ones never reach the browser. */
  settings: Record<string, unknown>;
}

export interface ZafJwtOptions {
  algorithm: 'HS256';
  secret_key: string;
  expiry?: number;
  claims?: Record<string, string | number | boolean>;
}

export interface ZafRequestOptions {
  url: string;
  type?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  data?: string;
  contentType?: string;
  dataType?: 'json' | 'text';
  headers?: Record<string, string>;
  /** Route through Zendesk's proxy, which fills `{{setting.*}}` and signs `{{jwt.token}}`. */
  secure?: boolean;
  cors?: boolean;
  timeout?: number;
  jwt?: ZafJwtOptions;
}

export interface ZafInstance {
  instanceGuid: string;
  location: string;
  [key: string]: unknown;
}

/** What a failed `client.request` rejects with (jQuery-ish XHR shape), normalised. */
export class ZafRequestError extends Error {
  constructor(
    readonly status: number,
    readonly responseText: string,
    readonly body: unknown,
  ) {
    super(`Request failed with status ${status}`);
    this.name = 'ZafRequestError';
  }
}

export interface ZafClient {
  /** Resolves once Zendesk has answered the handshake (`app.registered`). */
  registered(): Promise<void>;
  isRegistered(): boolean;
  context(): Promise<ZafContext>;
  metadata(): Promise<ZafMetadata>;
  get<T = unknown>(path: string): Promise<T>;
  getMany(paths: string[]): Promise<Record<string, unknown>>;
  set(path: string, value: unknown): Promise<void>;
  invoke(name: string, ...args: unknown[]): Promise<void>;
  request<T = unknown>(options: ZafRequestOptions): Promise<T>;
  /** Subscribes to a framework or custom event; returns the unsubscribe function. */
  on<T = unknown>(event: string, handler: (data: T) => void): () => void;
  trigger(event: string, data?: unknown): void;
  /** A client that talks to another instance of this app (ZAF instance messaging). */
  instance(instanceGuid: string): Pick<ZafClient, 'trigger'>;
  instances(): Promise<ZafInstance[]>;
}

function pathError(result: Record<string, unknown>, path: string): Error | null {
  const errors = result.errors as Record<string, { message?: string }> | undefined;
  const err = errors?.[path];
  return err ? new Error(err.message ?? `${path} unavailable`) : null;
}

function toRequestError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  const r = (reason ?? {}) as { status?: number; responseText?: string; responseJSON?: unknown };
  let body: unknown = r.responseJSON;
  if (body === undefined && typeof r.responseText === 'string') {
    try {
      body = JSON.parse(r.responseText);
    } catch {
      body = undefined;
    }
  }
  return new ZafRequestError(typeof r.status === 'number' ? r.status : 0, r.responseText ?? '', body);
}

export function wrapZafClient(raw: RawZafClient): ZafClient {
  let registered = raw.ready;
  const waiting = new Set<() => void>();
  raw.on('app.registered', () => {
    registered = true;
    waiting.forEach((resolve) => resolve());
    waiting.clear();
  });

  const client: ZafClient = {
    registered: () => (registered ? Promise.resolve() : new Promise<void>((resolve) => waiting.add(resolve))),
    isRegistered: () => registered,
    context: async () => (await raw.context()) as ZafContext,
    metadata: async () => (await raw.metadata()) as ZafMetadata,
    async get<T>(path: string): Promise<T> {
      const result = await raw.get(path);
      const err = pathError(result, path);
      if (err) throw err;
      return result[path] as T;
    },
    getMany: (paths) => raw.get(paths),
    async set(path, value) {
      await raw.set(path, value);
    },
    async invoke(name, ...args) {
      await raw.invoke(name, ...args);
    },
    async request<T>(options: ZafRequestOptions): Promise<T> {
      try {
        return (await raw.request(options)) as T;
      } catch (reason) {
        throw toRequestError(reason);
      }
    },
    on<T>(event: string, handler: (data: T) => void) {
      const h = handler as (data: unknown) => void;
      raw.on(event, h);
      return () => raw.off(event, h);
    },
    trigger: (event, data) => raw.trigger(event, data),
    instance: (guid) => {
      const other = raw.instance(guid);
      return { trigger: (event: string, data?: unknown) => other.trigger(event, data) };
    },
    async instances() {
      const all = await client.get<Record<string, Partial<ZafInstance>>>('instances');
      return Object.entries(all ?? {}).map(([guid, inst]): ZafInstance => ({
        ...inst,
        instanceGuid: inst.instanceGuid ?? guid,
        location: String(inst.location ?? ''),
      }));
    },
  };
  return client;
}
