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
