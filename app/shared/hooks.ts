import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ZafClient } from '../zaf';

/** The current time, ticking every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [active, intervalMs]);
  return now;
}

/** 75 s → "1:15", 3725 s → "1:02:05". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export const FIRST_RENDER_MARK = 'concierge:first-render';

/** Marks the first meaningful paint once (read by bench/app.ts). */
export function useFirstRenderMark(ready: boolean): void {
  const done = useRef(false);
  useEffect(() => {
    if (!ready || done.current) return;
    done.current = true;
    const mark = () => performance.mark?.(FIRST_RENDER_MARK);
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(mark);
    else mark();
  }, [ready]);
}

/** Keeps a sidebar iframe as tall as its content. */
export function useAutoResize(client: ZafClient, ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let last = 0;
    const observer = new ResizeObserver(() => {
      const height = Math.ceil(el.getBoundingClientRect().height);
      if (height === last || height === 0) return;
      last = height;
      void client.invoke('resize', { width: '100%', height: `${height}px` }).catch(() => undefined);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [client, ref]);
}
