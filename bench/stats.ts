import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentiles (no interpolation: every figure is a value that was measured). */
export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted.at(-1)!,
    mean: round(sum / sorted.length, 2),
  };
}

export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

export interface ProcessProbe {
  stop(): {
    rssPeakMB: number;
    heapUsedPeakMB: number;
    heapTotalPeakMB: number;
    /** getrusage's ru_maxrss: the true peak, not a sample. */
    maxRssMB: number;
    heapUsedAtEndMB: number;
    cpuSeconds: number;
    cpuPercentOfOneCore: number;
    /** Every core of the machine, all processes: other work on a shared box shows up here. */
    machineCpuBusyPercent: number;
    loadAverage1m: { start: number; end: number };
    /** How late a timer fired beyond its interval: the time a ready callback waited for the loop. */
    eventLoopDelayMs: { p50: number; p99: number; max: number };
  };
}

/** Samples memory every 200 ms and tracks CPU and event-loop delay until stop(). */
export function probeProcess(): ProcessProbe {
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  };
  sample();
  const timer = setInterval(sample, 200);
  timer.unref();
  const resolutionMs = 10;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const machine0 = machineTimes();
  const load0 = os.loadavg()[0]!;
  const t0 = performance.now();
  return {
    stop() {
      clearInterval(timer);
      sample();
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      const wallUs = (performance.now() - t0) * 1000;
      const ms = (ns: number) => round(Math.max(0, ns / 1e6 - resolutionMs), 1);
      const machine1 = machineTimes();
      const machineTotal = machine1.total - machine0.total;
      return {
        rssPeakMB: mb(peak.rss),
        heapUsedPeakMB: mb(peak.heapUsed),
        heapTotalPeakMB: mb(peak.heapTotal),
        maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
        heapUsedAtEndMB: mb(process.memoryUsage().heapUsed),
        cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
        cpuPercentOfOneCore: round(((cpu.user + cpu.system) / wallUs) * 100, 1),
        machineCpuBusyPercent:
          machineTotal > 0 ? round((1 - (machine1.idle - machine0.idle) / machineTotal) * 100, 1) : 0,
        loadAverage1m: { start: round(load0, 2), end: round(os.loadavg()[0]!, 2) },
        eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      };
    },
  };
}

function machineTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

/**
 * CPU seconds of the calling thread alone (Linux: /proc/thread-self/stat, read synchronously so on this
 * thread); null elsewhere. V8's GC helpers and libuv's pool are other threads: the process total has them.
 */
export function threadCpuSeconds(): number | null {
  try {
    const fields = fs.readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_S : null;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux build Node supports. */
const CLOCK_TICKS_PER_S = 100;

/** Small deterministic PRNG (mulberry32), so a seed reproduces the same scenario. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
