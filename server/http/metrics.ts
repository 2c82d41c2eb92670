import client from 'prom-client';

/** One registry per app (tests build many apps in one process). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'qoima_' });
  return {
    registry,
    httpRequests: new client.Counter({
      name: 'qoima_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'qoima_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    gitOperations: new client.Counter({
      name: 'qoima_git_operations_total',
      help: 'git transport operations by service and result',
      labelNames: ['service', 'result'] as const,
      registers: [registry],
    }),
    bytesIn: new client.Counter({ name: 'qoima_bytes_in_total', help: 'request body bytes received', labelNames: ['kind'] as const, registers: [registry] }),
    bytesOut: new client.Counter({ name: 'qoima_bytes_out_total', help: 'response body bytes sent', labelNames: ['kind'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
