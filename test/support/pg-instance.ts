import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

/**
 * A PostgreSQL server of one test file only (initdb into a temporary directory, trust auth, its own port and
 * socket directory): a test may stop, restart or kill it without disturbing the other files that use the shared
 * server at 127.0.0.1:5432. Runs the binaries under /usr/lib/postgresql/<version>/bin (or PG_BIN); as root, as
 * the `postgres` user (`runuser`), since the server refuses to run as root.
 */

const run = promisify(execFile);

export interface PgInstance {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dir: string;
  /**
   * `pg_ctl restart -m fast`: sessions are terminated (57P01), the server is down for a moment, then accepts
   * again. With `downMs`, a fast stop, that long with nothing listening (connections refused), then a start.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server (immediate) and removes its directory. */
  stop(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

/** The directory of initdb and pg_ctl (PG_BIN, else the newest /usr/lib/postgresql/<version>/bin), or null. */
export function postgresBinDir(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')) && existsSync(join(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why a private instance cannot be started here, or null when it can. */
export function pgInstanceUnavailable(): string | null {
  const bin = postgresBinDir();
  if (!bin) return 'initdb and pg_ctl were not found (no /usr/lib/postgresql/<version>/bin; set PG_BIN)';
  if (process.getuid?.() === 0) {
    if (spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).status !== 0) return 'running as root and there is no `postgres` user to run the server as';
    if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status !== 0) return 'running as root and `runuser` is missing';
  }
  return null;
}

/** Starts a private instance (initdb, then pg_ctl start with fsync off). Throws with the tool's output on failure. */
export async function startPgInstance(options: { settings?: Record<string, string | number> } = {}): Promise<PgInstance> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(pgInstanceUnavailable() ?? 'no PostgreSQL binaries');
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  /** Runs a PostgreSQL tool (as `postgres` when we are root). */
  const tool = async (name: string, args: string[], timeoutMs = 60_000) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]] : [join(bin, name), args];
    try {
      return await run(command, argv, { timeout: timeoutMs, encoding: 'utf8' });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      const serverLog = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${name} ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}\n${serverLog}`);
    }
  };

  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...options.settings };
  const serverOptions = [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
  try {
    await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await tool('pg_ctl', ['-D', data, '-o', serverOptions, '-l', logFile, '-w', '-t', '60', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  // A test process that ends without its afterAll (an error, a timeout) leaves no server behind.
  const stopAtExit = () => {
    const argv = ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop'];
    spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...argv] : argv, { stdio: 'ignore', timeout: 15_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopAtExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async restart({ downMs = 0 } = {}) {
      if (downMs <= 0) {
        await tool('pg_ctl', ['-D', data, '-o', serverOptions, '-l', logFile, '-m', 'fast', '-w', '-t', '60', 'restart']);
        return;
      }
      await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await tool('pg_ctl', ['-D', data, '-o', serverOptions, '-l', logFile, '-w', '-t', '60', 'start']);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', stopAtExit);
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}
