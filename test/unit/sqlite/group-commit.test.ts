import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../../src/adapters/sqlite/group-commit.js';

const committing = () => {
  const batches: number[][] = [];
  const commits = groupCommit<number, number>((batch) => {
    batches.push(batch);
    return batch.map((value) => ({ ok: true, value }));
  });
  return { commits, batches };
};

describe('the group commit', () => {
  it('commits the appends its callers make as soon as they are answered, before the loop moves on', async () => {
    const { commits, batches } = committing();
    const order: string[] = [];
    await commits.submit(1).then(async () => {
      // the loop's next turn, as requests arriving meanwhile would be served
      setImmediate(() => order.push('next turn'));
      await Promise.all([commits.submit(2), commits.submit(3)]);
      order.push('second append committed');
    });
    await sleep(5);
    expect(order).toEqual(['second append committed', 'next turn']);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('gives the loop its turn when the callers keep appending', async () => {
    const { commits, batches } = committing();
    let stop = false;
    const appender = (async () => {
      for (let n = 0; !stop; n++) await commits.submit(n);
    })();
    // a timer due now fires although the appender never stops on its own
    await sleep(1);
    stop = true;
    await appender;
    expect(batches.length).toBeGreaterThan(4);
  });
});
