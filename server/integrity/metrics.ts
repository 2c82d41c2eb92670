import client from 'prom-client';
import type { ServiceDeps } from '../deps.js';
import * as sq from './scrub-queries.js';

/**
 * The scrubber's Prometheus metrics (issue 12), read from fixity_cursors when scraped — so every
 * process reports the same figures whichever one holds the scrubber's lease. The age of the oldest
 * unchecked object of a kind is bounded without a row per object: every object that existed when the
 * last full cycle started has been checked since, so it is `now − last full cycle start`; before a first
 * full cycle, objects past the cursor were never checked, and the age counts from the first cycle's start.
 */
export function registerFixityMetrics(registry: client.Registry, deps: ServiceDeps): void {
  let rows: sq.CursorRow[] = [];
  let read: Promise<void> | null = null;
  // One read per scrape shared by the five metrics.
  const load = () =>
    (read ??= sq
      .cursors(deps.db)
      .then((r) => void (rows = r))
      .catch(() => undefined)
      .finally(() => setImmediate(() => (read = null))));
  const counter = (name: string, help: string, pick: (r: sq.CursorRow) => number) =>
    new client.Counter({
      name,
      help,
      labelNames: ['kind'] as const,
      registers: [registry],
      async collect() {
        await load();
        this.reset();
        for (const r of rows) this.inc({ kind: r.object_kind }, pick(r));
      },
    });
  counter('qoima_fixity_objects_checked_total', 'objects the fixity scrubber checked, by kind of object', (r) => r.objects_total);
  counter('qoima_fixity_bytes_checked_total', 'bytes the fixity scrubber read and hashed, by kind of object', (r) => r.bytes_total);
  counter('qoima_fixity_findings_total', 'fixity findings the scrubber recorded (failures), by kind of object', (r) => r.findings_total);
  new client.Gauge({
    name: 'qoima_fixity_oldest_unchecked_seconds',
    help: 'age of the oldest unchecked object, by kind of object: seconds since the start of the last full scrub cycle (or of the first one while none finished)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      await load();
      this.reset();
      const now = deps.clock().getTime();
      for (const r of rows) this.set({ kind: r.object_kind }, Math.max(0, (now - Date.parse(r.last_full_cycle_started_at ?? r.cycle_started_at)) / 1000));
    },
  });
  new client.Gauge({
    name: 'qoima_fixity_last_full_cycle_timestamp_seconds',
    help: 'when the last full scrub cycle of a kind of object finished (Unix time; absent before the first)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      await load();
      this.reset();
      for (const r of rows) if (r.last_full_cycle_finished_at) this.set({ kind: r.object_kind }, Date.parse(r.last_full_cycle_finished_at) / 1000);
    },
  });
}
