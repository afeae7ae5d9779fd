import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

export function machineInfo(now = new Date()): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    date: now.toISOString(),
  };
}

export function machineMarkdown(info: MachineInfo): string {
  return [
    `- Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB RAM, ${info.platform}`,
    `- Node: ${info.node}`,
    `- Date: ${info.date}`,
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
