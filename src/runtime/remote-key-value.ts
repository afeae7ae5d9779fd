import type { MessagePort } from 'node:worker_threads';
import type { KeyValue } from '../ports/key-value.js';

/**
 * A thread's KeyValue that is its parent's, over the thread's message port: the in-process store of the
 * embedded default lives in one thread, and a projector thread marks changed products in it
 * (src/projections/search/product-cache.ts) like the API thread reads them.
 */
type Method = Exclude<keyof KeyValue, 'close'>;
const METHODS: readonly Method[] = ['get', 'set', 'del', 'incr', 'compareAndSet', 'takeTokens', 'returnTokens', 'ttl', 'ping'];

interface KeyValueCall {
  type: 'kv';
  id: number;
  method: Method;
  args: unknown[];
}
interface KeyValueAnswer {
  type: 'kv-answer';
  id: number;
  result?: unknown;
  error?: string;
}

/** The worker's side: every call goes to the parent and waits for its answer. */
export function remoteKeyValue(port: Pick<MessagePort, 'postMessage' | 'on'>): KeyValue {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  port.on('message', (message: KeyValueAnswer | { type?: string }) => {
    if (message.type !== 'kv-answer') return;
    const answer = message as KeyValueAnswer;
    const waiter = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (answer.error !== undefined) waiter?.reject(new Error(answer.error));
    else waiter?.resolve(answer.result);
  });
  const call = (method: Method, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      port.postMessage({ type: 'kv', id, method, args } satisfies KeyValueCall);
    });
  const remote = Object.fromEntries(METHODS.map((method) => [method, (...args: unknown[]) => call(method, args)])) as unknown as KeyValue;
  // The parent owns the store and closes it.
  remote.close = async () => undefined;
  return remote;
}

/** The parent's side: answers a `remoteKeyValue` call from `kv`; false for any other message. */
export function answerKeyValueCall(kv: KeyValue, message: unknown, reply: (answer: KeyValueAnswer) => void): boolean {
  const call = message as Partial<KeyValueCall> | null;
  if (call?.type !== 'kv' || typeof call.id !== 'number' || !METHODS.includes(call.method as Method)) return false;
  const { id, method, args } = call as KeyValueCall;
  (kv[method] as (...values: unknown[]) => Promise<unknown>)(...args).then(
    (result) => reply({ type: 'kv-answer', id, result }),
    (error: unknown) => reply({ type: 'kv-answer', id, error: error instanceof Error ? error.message : String(error) }),
  );
  return true;
}
