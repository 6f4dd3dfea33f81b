import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process (tests create their own so figures never leak between them). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    intake: new Counter({
      name: 'concierge_intake_events_total',
      help: 'Connect contact events received, by outcome (accepted, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'concierge_jobs_total',
      help: 'Jobs finished, by queue and outcome (completed, failed, retried, delayed)',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
    zendeskRequests: new Counter({
      name: 'concierge_zendesk_requests_total',
      help: 'Requests sent to Zendesk, by kind and HTTP status',
      labelNames: ['kind', 'status'] as const,
      registers: [registry],
    }),
    zendeskLatency: new Histogram({
      name: 'concierge_zendesk_request_seconds',
      help: 'Zendesk request latency',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'concierge_queue_jobs',
      help: 'Jobs in each queue by state (read at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    inbox: new Gauge({
      name: 'concierge_inbox_events',
      help: 'Contact events in the inbox by status (read at scrape time)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
