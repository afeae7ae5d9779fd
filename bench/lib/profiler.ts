/**
 * CPU profiles of a benchmark's server over the measured window only (not its setup), through the
 * inspector, and a summary of where the time goes: self time grouped into the layers of Bazaar.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Starts the V8 sampling profiler in this process; the returned function stops it and gives the profile. */
export async function startProfiler(): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    return profile;
  };
}

/** Where a function's self time is counted: the first layer whose pattern matches its script (in order). */
const LAYERS: Array<[layer: string, pattern: RegExp]> = [
  ['idle (waiting for I/O)', /^\(idle\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['event store (SQLite: append, read, parse)', /src\/adapters\/eventstore\//],
  ['view store (SQLite: projection commits, reads)', /src\/adapters\/viewstore\//],
  ['search index (embedded engine, tokenizer, highlighter)', /src\/adapters\/search\/|src\/projections\/search\/|src\/search\//],
  ['key-value (carts, idempotency, gate, rate limits)', /src\/adapters\/keyvalue\//],
  // better-sqlite3's statement methods are native: they show up with no script, under their own names.
  ['SQLite (better-sqlite3 statements and transactions)', /node_modules\/better-sqlite3\/|^(run|all|get|iterate|exec|pragma)$/],
  ['projections and reactors (kernel, evolve)', /src\/projections\/|src\/kernel\/(projection-runner|view-projection|reactor)|src\/adapters\/eventstore\/polling/],
  ['commands and domain (deciders, checkout)', /src\/(commands|domain)\/|src\/kernel\/(command-handler|decider|errors)/],
  ['queries (read models to JSON)', /src\/queries\//],
  ['HTTP routes and middleware (Bazaar)', /src\/http\//],
  ['JWT (fast-jwt, node:crypto)', /node_modules\/fast-jwt\/|node:internal\/crypto\/(webcrypto|mac|keys|util|hash)|js_transferable/],
  ['request validation (zod)', /node_modules\/(zod|@hono\/zod)/],
  ['HTTP framework (Hono, node-server, undici Request)', /node_modules\/(hono|@hono\/node-server)\/|undici|webstreams/],
  ['logging (pino)', /node_modules\/(pino|sonic-boom|thread-stream)/],
  ['metrics (prom-client)', /node_modules\/prom-client/],
  ['Node HTTP and sockets', /node:(_http|http|net|internal\/http|internal\/stream|internal\/streams|stream)|^writev$|^writeUtf8String$|^writeBuffer$/],
];

export interface ProfileSummary {
  totalMs: number;
  layers: Array<{ layer: string; share: number }>;
  functions: Array<{ name: string; share: number }>;
}

/** Self time per layer and the heaviest functions, as shares of the profiled time. */
export function summarizeProfile(profile: CpuProfile, topFunctions = 15): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
    total += delta;
  });
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const script = url || functionName;
    const layer = LAYERS.find(([, pattern]) => pattern.test(script))?.[0] ?? (url.startsWith('node:') || !url ? 'other Node internals' : 'other libraries');
    layers.set(layer, (layers.get(layer) ?? 0) + time);
    const name = `${functionName || '(anonymous)'} (${url ? `${url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1')}:${lineNumber + 1}` : 'native'})`;
    functions.set(name, (functions.get(name) ?? 0) + time);
  }
  const ranked = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    layers: ranked(layers).map(([layer, time]) => ({ layer, share: time / total })),
    functions: ranked(functions)
      .slice(0, topFunctions)
      .map(([name, time]) => ({ name, share: time / total })),
  };
}

/** The summary as Markdown: one table of layers, one of functions. */
export function profileMarkdown(summary: ProfileSummary, title: string): string {
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
  return [
    `#### ${title} (${(summary.totalMs / 1000).toFixed(1)} s of CPU samples)`,
    '',
    '| Layer (self time) | Share |',
    '| --- | ---: |',
    ...summary.layers.filter((entry) => entry.share >= 0.005).map((entry) => `| ${entry.layer} | ${percent(entry.share)} |`),
    '',
    '| Heaviest functions (self time) | Share |',
    '| --- | ---: |',
    ...summary.functions.map((entry) => `| \`${entry.name.replaceAll('|', '\\|')}\` | ${percent(entry.share)} |`),
  ].join('\n');
}
