// The SDK ships no types; this is the surface of lib/client.js (2.0.x) that app/zaf/client.ts wraps.
declare module 'zendesk_app_framework_sdk' {
  export interface RawZafClient {
    readonly ready: boolean;
    on(name: string, handler: (data: unknown) => void, context?: unknown): void;
    off(name: string, handler: (data: unknown) => void): void;
    has(name: string, handler: (data: unknown) => void): boolean;
    trigger(name: string, data?: unknown): void;
    postMessage(name: string, data?: unknown): void;
    request(options: unknown): Promise<unknown>;
    instance(instanceGuid: string): RawZafClient;
    metadata(): Promise<unknown>;
    context(): Promise<unknown>;
    get(path: string | string[]): Promise<Record<string, unknown>>;
    set(key: string | Record<string, unknown>, value?: unknown): Promise<Record<string, unknown>>;
    invoke(name: string | Record<string, unknown[]>, ...args: unknown[]): Promise<Record<string, unknown>>;
  }

  const ZAFClient: {
    /** Returns false when the page was not opened by Zendesk (no `origin` / `app_guid` in the URL). */
    init(callback?: (context: unknown) => void): RawZafClient | false;
  };
  export default ZAFClient;
}
