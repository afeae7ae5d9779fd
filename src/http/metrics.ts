import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one app instance (its own registry, so tests can build many apps). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    commandConflicts: new Counter({
      name: 'bazaar_command_conflicts_total',
      help: 'Commands answered with a concurrency or version conflict',
      registers: [registry],
    }),
    commandRetries: new Counter({
      name: 'bazaar_command_retries_total',
      help: 'Command attempts that lost a concurrency race and were tried again, by aggregate',
      labelNames: ['aggregate'] as const,
      registers: [registry],
    }),
    commandConflictsExhausted: new Counter({
      name: 'bazaar_command_conflicts_exhausted_total',
      help: 'Commands that gave up after their last attempt on a concurrency conflict, by aggregate',
      labelNames: ['aggregate'] as const,
      registers: [registry],
    }),
    flashSaleGate: new Counter({
      name: 'bazaar_flash_sale_gate_total',
      help: 'Flash-sale gate decisions (admitted or refused checkout lines)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    flashSaleGateUnits: new Counter({
      name: 'bazaar_flash_sale_gate_units_total',
      help: 'Units admitted or refused by the flash-sale gate',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    reactorBacklog: new Gauge({
      name: 'bazaar_reactor_backlog_events',
      help: 'Events written but not yet handled by the reactor',
      labelNames: ['reactor'] as const,
      registers: [registry],
    }),
    leaseOwned: new Gauge({
      name: 'bazaar_lease_owned',
      help: '1 when this process holds the lease of the projection, reactor or sweeper (runs it), else 0',
      labelNames: ['lease'] as const,
      registers: [registry],
    }),
    projectionLag: new Gauge({
      name: 'bazaar_projection_lag_events',
      help: 'Events written but not yet applied by the projection',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionLagSeconds: new Gauge({
      name: 'bazaar_projection_lag_seconds',
      help: 'Age of the oldest event the projection or reactor has not applied yet (0 when caught up)',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
