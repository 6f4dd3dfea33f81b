/** Browser APIs jsdom lacks that Garden or the app touch at import or render time. */
const g = globalThis as unknown as Record<string, unknown>;

if (typeof window !== 'undefined' && typeof window.matchMedia !== 'function') {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener() {},
      removeListener() {},
      addEventListener() {},
      removeEventListener() {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

class NoopResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
g.ResizeObserver ??= NoopResizeObserver;

// jsdom has no fetch; components that call the network directly (the install status) see it fail, as
// offline. Tests that care install their own answer (test/app/connect-account.test.tsx).
if (typeof g.fetch !== 'function') {
  g.fetch = () => Promise.reject(new Error('no network in jsdom component tests'));
}
