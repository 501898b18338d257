// How many ID checks wait for a checker (photo ID referrals and fraud
// signals), read from the database when Prometheus scrapes, so every
// instance reports the same shared queue and nothing has to keep it in step.
import { Gauge } from 'prom-client';
import type { Db } from '../store/db.js';
import { PREFIX, type Metrics } from './registry.js';

/** The kinds id_checks allows (migration 0006), always reported, at 0 when none wait. */
const KINDS = ['fraud-signal', 'photo-id'] as const;

export function registerQueueGauge(metrics: Metrics, db: Db): Gauge<'kind'> {
  return new Gauge({
    name: `${PREFIX}id_check_queue_length`,
    help: 'ID checks waiting for an ID checker (status open), by kind.',
    labelNames: ['kind'],
    registers: [metrics.registry],
    async collect() {
      const rows = await db
        .selectFrom('id_checks')
        .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
        .where('status', '=', 'open')
        .groupBy('kind')
        .execute();
      for (const kind of KINDS) this.set({ kind }, 0);
      for (const r of rows) this.set({ kind: r.kind }, Number(r.n));
    },
  });
}
