/**
 * Search cold start (issue 17, "Ready at start"): the time from opening the embedded SearchIndex on an
 * existing database (a process start) to its first answer, with and without the persisted engine image.
 *
 *   npx tsx bench/search-start.ts build <file> --skus 1000000     generate and index a catalog into <file>
 *   npx tsx bench/search-start.ts measure <file> [--runs 3]        before/after cold starts, each in a fresh process
 *   npx tsx bench/search-start.ts write-image <file>               the time to write an image (on the event loop)
 *   npx tsx bench/search-start.ts write-image-background <file>    a due image written in a worker: the loop's longest stop
 *   npx tsx bench/search-start.ts backlog <file> [--changes 20000] rows after the image, writer killed (then once-after)
 *   npx tsx bench/search-start.ts once-before|once-after <file>    one cold start in this process
 *
 * "before" opens with the persisted image ignored (`snapshot: false`: every row is read, JSON-parsed and
 * indexed, as the adapter did before); "after" opens from the image written by the previous open (the
 * first "after" run writes it if the file has none). Each timing is a child process: open → first search
 * (a keyword with facets) answered.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sqliteSearchIndex } from '../src/adapters/search/sqlite.js';
import type { ProductSearchDocument } from '../src/ports/search-index.js';
import { buildAdapter, round } from './search.js';

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
}

function open(path: string, snapshot: boolean) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return sqliteSearchIndex(db, { snapshot });
}

/** One cold start in this process: open, then the first answer. */
async function coldStart(path: string, snapshot: boolean) {
  const started = performance.now();
  const index = open(path, snapshot);
  const opened = performance.now();
  const result = await index.search({ q: '手机', inStock: true, sort: 'relevance' });
  const answered = performance.now();
  const heap = process.memoryUsage();
  const products = await index.count();
  await index.close();
  return {
    openMs: round(opened - started),
    firstAnswerMs: round(answered - started),
    total: result.total,
    products,
    rssMiB: round(heap.rss / 2 ** 20),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, path] = process.argv.slice(2);
  if (!path) throw new Error('usage: search-start.ts build|measure|once-before|once-after <file>');
  if (command === 'build') {
    const built = await buildAdapter(path, argument('seed') ?? 7, argument('skus') ?? 1_000_000, console.log);
    await built.index.close();
    console.log(`built ${built.products} products in ${round(built.seconds)} s`);
  } else if (command === 'write-image') {
    // The cost of writing an image (what a process pays every `snapshotEvery` changes, at most once a minute, and at close).
    const db = new Database(path);
    db.prepare("DELETE FROM search_meta WHERE key IN ('image', 'image_generation', 'image_seq')").run();
    db.close();
    const index = open(path, false);
    const started = performance.now();
    const written = (index as ReturnType<typeof sqliteSearchIndex>).persist();
    console.log(JSON.stringify({ written, writeMs: round(performance.now() - started) }));
    await index.close();
  } else if (command === 'write-image-background') {
    // A due image as a serving process writes it: the file in a worker thread. How long the event loop stops.
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.prepare("DELETE FROM search_meta WHERE key IN ('image', 'image_generation', 'image_seq')").run();
    const index = sqliteSearchIndex(db, { snapshot: true, snapshotEvery: 1, snapshotDelayMs: 1 });
    const id = db.prepare<[], string>('SELECT id FROM search_documents WHERE doc IS NOT NULL LIMIT 1').pluck().get()!;
    const doc = (await index.get(id))!;
    const recorded = db.prepare<[], number>("SELECT value FROM search_meta WHERE key = 'image'").pluck();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    await index.upsert([{ ...doc, revision: doc.revision + 1 }]); // the change that makes an image due
    let answers = 0;
    while (!recorded.get()) {
      await index.search({ q: '手机' }); // the process keeps serving meanwhile
      answers++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    loop.disable();
    console.log(JSON.stringify({ writtenAfterMs: round(performance.now() - started), answersMeanwhile: answers, maxLoopDelayMs: round(loop.max / 1e6), p99LoopDelayMs: round(loop.percentile(99) / 1e6) }));
    await index.close();
  } else if (command === 'backlog') {
    // Rows written after the image (the writer then dies without closing): half price changes, half new words.
    const changes = argument('changes') ?? 20_000;
    const db = new Database(path);
    const docs = db
      .prepare<[number], string>('SELECT doc FROM search_documents WHERE doc IS NOT NULL ORDER BY seq LIMIT ?')
      .pluck()
      .all(changes)
      .map((json) => JSON.parse(json) as ProductSearchDocument);
    db.close();
    const index = sqliteSearchIndex(new Database(path), { snapshotEvery: 0 });
    const changed = docs.map((doc, i) =>
      i % 2 === 0 ? { ...doc, minPrice: doc.minPrice + 1, revision: doc.revision + 1 } : { ...doc, title: `${doc.title} 新款${i % 97}`, revision: doc.revision + 1 },
    );
    for (let i = 0; i < changed.length; i += 500) await index.upsert(changed.slice(i, i + 500));
    console.log(JSON.stringify({ changes: changed.length }));
    process.exit(0);
  } else if (command === 'once-before' || command === 'once-after') {
    console.log(JSON.stringify(await coldStart(path, command === 'once-after')));
  } else if (command === 'measure') {
    const runs = argument('runs') ?? 3;
    console.log(`${new Date().toISOString()} ${cpus().length} × ${cpus()[0]?.model} ${round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg().map((x) => round(x, 2)).join(' ')}`);
    const child = (mode: string) =>
      JSON.parse(execFileSync('npx', ['tsx', new URL(import.meta.url).pathname, mode, path], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop()!) as Awaited<
        ReturnType<typeof coldStart>
      >;
    // A first open with snapshots on writes the image at close if the file has none (not timed).
    child('once-after');
    const rows: string[] = [];
    for (let run = 0; run < runs; run++) {
      for (const mode of ['once-before', 'once-after']) {
        const result = child(mode);
        rows.push(
          `| ${mode === 'once-before' ? 'before (rows re-read)' : 'after (persisted image)'} | ${result.products.toLocaleString('en')} | ${result.openMs} | ${result.firstAnswerMs} | ${result.total.toLocaleString('en')} | ${result.rssMiB} |`,
        );
        console.log(rows.at(-1));
      }
    }
    console.log(`\n${new Date().toISOString()} load ${loadavg().map((x) => round(x, 2)).join(' ')}`);
    console.log(`database ${round(statSync(path).size / 2 ** 20)} MiB, image ${round(statSync(join(dirname(path), readdirSync(dirname(path)).find((name) => name.startsWith(`${basename(path)}-search-image-`))!)).size / 2 ** 20)} MiB`);
    console.log('| start | products | open ms | first answer ms | hits | RSS MiB |\n|---|---:|---:|---:|---:|---:|');
    console.log(rows.join('\n'));
  } else {
    throw new Error(`unknown command ${command}`);
  }
}
