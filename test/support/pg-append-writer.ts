/**
 * A writer process for the PostgreSQL event store stress test (test/contract/pg-event-store-stress.test.ts):
 *
 *   node --import tsx test/support/pg-append-writer.ts <url> <schema> <tag> <writers> <appends per writer>
 *
 * Runs `writers` concurrent loops of `appends` appends each. A writer owns ten streams (`<tag>-w<n>-<k>`) and
 * appends to them with their exact expected revision; every 10th append is a two-stream appendAll of two of
 * its streams, every 25th goes to a stream all writers of every process share (`hot-<0|1>`, expected `any`).
 * Every event has a client-chosen id. Once an append is acknowledged it prints `ack <id>` per event (stdout
 * to a pipe is synchronous on Linux: a printed id was acknowledged, even if the process is killed next),
 * and `done` at the end.
 */
import { postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { uuid7 } from '../../src/kernel/uuid7.js';
import type { NewEvent } from '../../src/ports/event-store.js';

const [url, schema, tag, writersText, appendsText] = process.argv.slice(2);
if (!url || !schema || !tag || !writersText || !appendsText) throw new Error('usage: pg-append-writer.ts <url> <schema> <tag> <writers> <appends>');
const writers = Number(writersText);
const appends = Number(appendsText);

const pool = createPostgresPool(url, writers + 2);
const store = await postgresEventStore(pool, { schema });

const event = (writer: number, n: number): NewEvent => ({ id: uuid7(), type: 'Stressed', data: { tag, writer, n }, metadata: { correlationId: `${tag}-${writer}` } });
const ack = (events: NewEvent[]) => process.stdout.write(events.map((e) => `ack ${e.id}\n`).join(''));

async function writer(w: number): Promise<void> {
  const revisions = Array.from({ length: 10 }, () => -1);
  const own = (k: number) => `${tag}-w${w}-${k}`;
  const expected = (k: number) => (revisions[k]! < 0 ? ('no_stream' as const) : revisions[k]!);
  for (let n = 0; n < appends; n++) {
    const k = n % 10;
    if (n % 25 === 24) {
      const events = [event(w, n)];
      await store.append(`hot-${n % 2}`, events, 'any');
      ack(events);
    } else if (n % 10 === 9) {
      const other = (k + 3) % 10;
      const [first, second] = [[event(w, n)], [event(w, n)]];
      const results = await store.appendAll([
        { streamId: own(k), events: first, expected: expected(k) },
        { streamId: own(other), events: second, expected: expected(other) },
      ]);
      revisions[k] = results[0]!.nextRevision;
      revisions[other] = results[1]!.nextRevision;
      ack([...first, ...second]);
    } else {
      const events = [event(w, n)];
      revisions[k] = (await store.append(own(k), events, expected(k))).nextRevision;
      ack(events);
    }
  }
}

try {
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  process.stdout.write('done\n');
} finally {
  await store.close();
  await pool.end();
}
