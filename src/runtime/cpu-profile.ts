import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * "Where does the time go" on a live process (docs/operations.md): with BAZAAR_CPU_PROFILE_DIR set,
 * SIGUSR2 starts V8's sampling profiler and the next SIGUSR2 stops it and writes a `.cpuprofile` (Chrome
 * DevTools, speedscope) named after the role and the pid. Nothing is sampled until the first signal.
 */
export function profileOnSignal(dir: string, role: string, logger: Logger): () => void {
  let session: Session | null = null;
  let busy = false;

  const toggle = async () => {
    if (busy) return;
    busy = true;
    try {
      if (!session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
        logger.info({ dir }, 'CPU profile started (SIGUSR2 again writes it)');
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = null;
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${role}-${process.pid}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      logger.info({ file }, 'CPU profile written');
    } catch (error) {
      logger.error({ err: error }, 'CPU profile failed');
    } finally {
      busy = false;
    }
  };
  const onSignal = () => void toggle();
  process.on('SIGUSR2', onSignal);
  return () => {
    process.off('SIGUSR2', onSignal);
    session?.disconnect();
  };
}
