import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryKeyValue } from '../../../src/adapters/keyvalue/memory.js';
import { answerKeyValueCall, remoteKeyValue } from '../../../src/runtime/remote-key-value.js';

describe("a thread's KeyValue that is its parent's (remoteKeyValue)", () => {
  const channels: MessageChannel[] = [];
  afterEach(() => {
    for (const channel of channels.splice(0)) {
      channel.port1.close();
      channel.port2.close();
    }
  });
  const connect = () => {
    const channel = new MessageChannel();
    channels.push(channel);
    const parentKv = memoryKeyValue();
    channel.port1.on('message', (message: unknown) => answerKeyValueCall(parentKv, message, (answer) => channel.port1.postMessage(answer)));
    return { parentKv, remote: remoteKeyValue(channel.port2) };
  };

  it("reads and writes the parent's store, answering each call with its own result", async () => {
    const { parentKv, remote } = connect();
    expect(await remote.set('a', '1', { ifAbsent: true })).toBe(true);
    expect(await remote.set('a', '2', { ifAbsent: true })).toBe(false);
    expect(await parentKv.get('a')).toBe('1');
    await parentKv.set('gate', '3');
    expect(await Promise.all([remote.takeTokens('gate', 2), remote.get('a'), remote.incr('n', 5), remote.takeTokens('gate', 2)])).toEqual(['taken', '1', 5, 'insufficient']);
    expect(await remote.returnTokens('gate', 1)).toBe(2);
    expect(await remote.del('a')).toBe(true);
    expect(await parentKv.get('a')).toBeNull();
  });

  it("rejects with the parent's error, and leaves the parent's store open on close", async () => {
    const { parentKv, remote } = connect();
    await expect(remote.takeTokens('gate', 0)).rejects.toThrow();
    await remote.close();
    expect(await parentKv.set('still', 'open')).toBe(true);
  });

  it('answers only its own calls', () => {
    expect(answerKeyValueCall(memoryKeyValue(), { type: 'applied' }, () => undefined)).toBe(false);
    expect(answerKeyValueCall(memoryKeyValue(), { type: 'kv', id: 1, method: 'close', args: [] }, () => undefined)).toBe(false);
  });
});
