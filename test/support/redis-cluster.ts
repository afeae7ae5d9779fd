import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** Whether this machine has the redis-server and redis-cli binaries (a local cluster can be started). */
export function redisBinariesAvailable(): boolean {
  const ok = (binary: string) => spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return ok('redis-server') && ok('redis-cli');
}

export interface LocalRedisCluster {
  /** For REDIS_CLUSTER_NODES: redis://127.0.0.1:<port>, comma-separated. */
  nodes: string;
  ports: number[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });

/**
 * A real Redis Cluster of `masters` nodes (no replicas) on free loopback ports, in a temporary directory,
 * nothing persisted: 16384 slots spread over the masters by `redis-cli --cluster create`.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
      args.push('--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', join(dir, `${port}.log`));
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) {
      for (let attempt = 0; cli(port, 'ping').stdout.trim() !== 'PONG'; attempt++) {
        if (attempt > 100) throw new Error(`redis-server on port ${port} did not start`);
        await sleep(50);
      }
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) {
      for (let attempt = 0; !cli(port, 'cluster', 'info').stdout.includes('cluster_state:ok'); attempt++) {
        if (attempt > 200) throw new Error(`the cluster node on port ${port} did not reach cluster_state:ok`);
        await sleep(50);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => `redis://127.0.0.1:${port}`).join(','), ports, stop };
}
