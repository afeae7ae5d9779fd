/**
 * What a server's event loop went through over a measured window: how late a 1 ms timer fired (the wait
 * every callback saw on top of its own work), the garbage collector's pauses, and the CPU the process used.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopStats {
  /** How late the loop ran a due timer, ms. */
  delay: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
  /** CPU time of the process (all threads) per wall-clock second. */
  cpuPerSecond: number;
  /** The longest the loop was late in each second of the window (a 10 ms timer), ms: whether the stalls cluster. */
  worstDelayPerSecond: number[];
  /** CPU time of the main thread (the event loop) per wall-clock second; undefined off Linux. */
  mainThreadCpuPerSecond?: number;
}

/** CPU seconds of this process's main thread, from /proc (Linux); undefined elsewhere. */
function mainThreadCpuSeconds(): number | undefined {
  try {
    // utime and stime are fields 14 and 15; the command name before them is in parentheses and may hold spaces
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * How late a 10 ms timer fires on this thread, from now until `stop`: `worstPerSecond(origin)` gives the worst
 * lateness of each second counted from `origin` (ticks before it are left out), ms.
 */
export function watchLateness(): { worstPerSecond(origin: number): number[]; stop(): void } {
  const ticks: Array<[at: number, lateMs: number]> = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    ticks.push([last, now - last - 10]);
    last = now;
  }, 10);
  return {
    worstPerSecond(origin) {
      const worst: number[] = [];
      for (const [at, late] of ticks) {
        if (at < origin) continue;
        const second = Math.floor((at - origin) / 1000);
        worst[second] = Math.max(worst[second] ?? 0, Math.round(late));
      }
      return Array.from(worst, (late) => Math.max(0, late ?? 0));
    },
    stop: () => clearInterval(ticker),
  };
}

export function watchLoop(): () => LoopStats {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const startedAt = performance.now();
  const lateness = watchLateness();
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuSeconds();
  return () => {
    delay.disable();
    lateness.stop();
    observer.disconnect();
    const cpu = process.cpuUsage(cpuBefore);
    const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e5) / 10;
    const mainAfter = mainThreadCpuSeconds();
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      delay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      gc: { count: pauses.length, totalMs: Math.round(pauses.reduce((sum, pause) => sum + pause, 0)), maxMs: Math.round(Math.max(0, ...pauses) * 10) / 10 },
      worstDelayPerSecond: lateness.worstPerSecond(startedAt),
      cpuPerSecond: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
      ...(mainBefore !== undefined && mainAfter !== undefined ? { mainThreadCpuPerSecond: Math.round(((mainAfter - mainBefore) / seconds) * 100) / 100 } : {}),
    };
  };
}
