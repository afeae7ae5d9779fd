/**
 * HTTP load over a pool of keep-alive connections opened before the clock starts (as a load balancer keeps
 * a pool; opening connections mid-run adds the kernel's connection set-up to some requests' latency).
 *
 * - `pacedLoad`, open loop at a fixed rate: request n is due at start + n / rate and is sent then (queued
 *   in the client when every connection is busy); its latency counts from when it was due, so a slow
 *   server cannot slow the arrivals (no coordinated omission). autocannon's `overallRate` is not this: each
 *   connection sends its share of a second back to back at the start of every second, so "1,000
 *   requests/s over 100 connections" arrives as a burst of 100 concurrent requests each second.
 * - `closedLoad`, closed loop: each connection sends its next request when the previous one is answered,
 *   until `amount` requests are answered (what autocannon's `amount` does, minus the connection storm at
 *   its start).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchLateness } from './loop-watch.js';

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  sent: number;
  seconds: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Errors and time-outs. */
  failed: number;
  /** Latency of every response, ms (paced: from when it was due). */
  latencies: number[];
  /** The worst latency of the requests sent in each second of the run, ms: whether the slow ones cluster. */
  worstPerSecond: number[];
  /** The longest this (the client's) event loop was late in each second, ms: a late client sends late. */
  clientLatePerSecond: number[];
}

interface Pool {
  /** Sends and counts the answer (`record: false`: sends only, for a warm-up). */
  send(request: LoadRequest, startedAt: number, options?: { record: boolean }): Promise<void>;
  /** Marks the start of the measured run (the seconds of `worstPerSecond` count from here; default now). */
  startClock(at?: number): number;
  result(sent: number, seconds: number): LoadResult;
  close(): void;
}

async function openPool(url: string, connections: number, timeoutMs = 30_000): Promise<Pool> {
  let clockStart = 0;
  const worstPerSecond: number[] = [];
  const clientLateness = watchLateness();
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let failed = 0;
  const exchange = (request: LoadRequest) =>
    new Promise<string | null>((resolve) => {
      const { method, path, headers, body } = request;
      const outgoing = http.request(
        { host: target.hostname, port: target.port, method, path, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent, timeout: timeoutMs },
        (response) => {
          response.resume();
          response.once('end', () => resolve(String(response.statusCode)));
          response.once('error', () => resolve(null));
        },
      );
      outgoing.once('timeout', () => outgoing.destroy(new Error('timeout')));
      outgoing.once('error', () => resolve(null));
      outgoing.end(body);
    });
  // Every connection is opened first: as many requests at once as there are connections.
  await Promise.all(Array.from({ length: connections }, () => exchange({ method: 'GET', path: '/healthz', headers: {} })));
  return {
    async send(request, startedAt, options = { record: true }) {
      const status = await exchange(request);
      if (!options.record) return;
      if (status === null) failed++;
      else {
        statuses[status] = (statuses[status] ?? 0) + 1;
        const latency = performance.now() - startedAt;
        latencies.push(latency);
        const second = Math.max(0, Math.floor((startedAt - clockStart) / 1000));
        worstPerSecond[second] = Math.max(worstPerSecond[second] ?? 0, latency);
      }
    },
    startClock: (at = performance.now()) => (clockStart = at),
    result: (sent, seconds) => ({
      sent,
      seconds,
      statuses,
      failed,
      latencies,
      worstPerSecond: Array.from(worstPerSecond, (worst) => Math.round(worst ?? 0)),
      clientLatePerSecond: clientLateness.worstPerSecond(clockStart),
    }),
    close: () => {
      clientLateness.stop();
      agent.destroy();
    },
  };
}

export interface PacedOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationSec: number;
  /** Keep-alive connections (default 256). */
  connections?: number;
  /**
   * Seconds at the same rate before the measured ones, not counted (default 0): the server settles from the
   * connection storm of the pool's opening into its steady state, as an open-loop tool's calibration period.
   */
  warmUpSec?: number;
  request: (n: number) => LoadRequest;
}

export async function pacedLoad(options: PacedOptions): Promise<LoadResult> {
  const pool = await openPool(options.url, options.connections ?? 256);
  const pending = new Set<Promise<void>>();
  const interval = 1000 / options.rate;
  const warmUp = Math.round(options.rate * (options.warmUpSec ?? 0));
  const total = warmUp + Math.round(options.rate * options.durationSec);
  const begin = performance.now();
  const start = begin + warmUp * interval;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && begin + sent * interval <= now) {
      const due = begin + sent * interval;
      if (sent === warmUp) pool.startClock(due);
      const done = pool.send(options.request(sent), due, { record: sent >= warmUp });
      pending.add(done);
      void done.then(() => pending.delete(done));
      sent++;
    }
    await sleep(1);
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([...pending]);
  pool.close();
  return pool.result(sent - warmUp, seconds);
}

export interface ClosedOptions {
  url: string;
  connections: number;
  /** Requests in all. */
  amount: number;
  request: (n: number) => LoadRequest;
}

export async function closedLoad(options: ClosedOptions): Promise<LoadResult> {
  const pool = await openPool(options.url, options.connections);
  let next = 0;
  const start = pool.startClock();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (next < options.amount) {
        const n = next++;
        await pool.send(options.request(n), performance.now());
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  pool.close();
  return pool.result(options.amount, seconds);
}
