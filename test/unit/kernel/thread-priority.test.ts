import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const helper = fileURLToPath(new URL('../../../src/runtime/thread-priority.ts', import.meta.url));

describe('deprioritizeThisThread (Linux: the machines Bazaar runs on)', () => {
  it('lowers the priority of the calling thread alone, not of its process', async () => {
    const processPriority = getPriority(process.pid);
    // Called in a worker, as the projector thread calls it; the worker reports its thread id.
    const worker = new Worker(
      `require(${JSON.stringify(require.resolve('tsx/cjs'))});
       const { parentPort } = require('node:worker_threads');
       const { readlinkSync } = require('node:fs');
       const changed = require(${JSON.stringify(helper)}).deprioritizeThisThread(7);
       parentPort.postMessage({ changed, threadId: Number(readlinkSync('/proc/thread-self').split('/').pop()) });`,
      { eval: true },
    );
    const { changed, threadId } = await new Promise<{ changed: boolean; threadId: number }>((resolve) => worker.once('message', resolve));
    expect(changed).toBe(true);
    expect(threadId).not.toBe(process.pid);
    expect(getPriority(threadId)).toBe(7);
    expect(getPriority(process.pid)).toBe(processPriority);
    await worker.terminate();
  });
});
