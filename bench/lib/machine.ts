import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** Single-core speed probe (singleCoreProbeMs): lower is faster. */
  probeMs: number;
}

/**
 * Milliseconds one core takes for a fixed piece of work shaped like the server's (JSON of an order-sized
 * object, map lookups, string building): the median of three rounds. Shared cloud hosts differ by 2× and
 * more from one session to the next; this says how fast the one a run had was, so runs can be compared.
 */
export function singleCoreProbeMs(): number {
  const order = { id: '1764100000000000012345', items: [{ skuId: '01JABCDEF', title: '纯棉T恤', quantity: 1, unitPrice: { amount: 9900, currency: 'CNY' } }], status: 'pending_payment' };
  const round = () => {
    const started = performance.now();
    const seen = new Map<string, number>();
    let checksum = 0;
    for (let n = 0; n < 60_000; n++) {
      const copy = JSON.parse(JSON.stringify({ ...order, n })) as typeof order & { n: number };
      const key = `${copy.id}-${n % 1000}`;
      seen.set(key, (seen.get(key) ?? 0) + copy.items[0]!.quantity);
      checksum += copy.n & 7;
    }
    if (checksum < 0 || seen.size === 0) throw new Error('unreachable');
    return performance.now() - started;
  };
  const rounds = [round(), round(), round()].sort((a, b) => a - b);
  return Math.round(rounds[1]!);
}

export function machineInfo(now = new Date()): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    date: now.toISOString(),
    probeMs: singleCoreProbeMs(),
  };
}

export function machineMarkdown(info: MachineInfo): string {
  return [
    `- Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB RAM, ${info.platform}`,
    `- Node: ${info.node}`,
    `- Date: ${info.date}`,
    `- Single-core speed probe: ${info.probeMs} ms (bench/lib/machine.ts; a fixed JSON and map workload, lower is faster: hosts of this kind vary by 2× between sessions)`,
  ].join('\n');
}

/** Share (0–1) of all cores busy during the next `ms` milliseconds, from the kernel's CPU counters. */
export async function cpuBusy(ms = 2_000): Promise<number> {
  const snapshot = () =>
    os.cpus().reduce(
      (acc, cpu) => {
        const { user, nice, sys, idle, irq } = cpu.times;
        return { busy: acc.busy + user + nice + sys + irq, total: acc.total + user + nice + sys + idle + irq };
      },
      { busy: 0, total: 0 },
    );
  const before = snapshot();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = snapshot();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

export interface CpuSample {
  at: number;
  /** CPU time of all cores, busy (user + nice + sys + irq), ms. */
  busyMs: number;
  /** CPU time of this process and of the given child processes, ms. */
  ownMs: number;
}

/** CPU time of a process from /proc (Linux; 0 elsewhere or once it is gone), ms. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

export function cpuSample(childPids: readonly number[] = []): CpuSample {
  const busyMs = os.cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
  const own = process.cpuUsage();
  const ownMs = (own.user + own.system) / 1000 + childPids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  return { at: performance.now(), busyMs, ownMs };
}

/**
 * Average number of cores busy outside this process (and the given children) between two samples:
 * other work on the machine, plus the kernel's own threads (e.g. writeback of the benchmark's files).
 */
export function otherCores(from: CpuSample, to: CpuSample): number {
  const wallMs = to.at - from.at;
  if (wallMs <= 0) return 0;
  return Math.max(0, (to.busyMs - from.busyMs - (to.ownMs - from.ownMs)) / wallMs);
}
