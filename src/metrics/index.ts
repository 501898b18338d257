// Metrics for one runtime: the registry and its collectors, the audit log
// decorator that counts business events, the HTTP hook, and the listener on
// METRICS_PORT. Nothing here runs unless METRICS_PORT is set.
export { countingAuditLog } from './audit.js';
export { instrumentHttp } from './http.js';
export { registerQueueGauge } from './queue.js';
export { createMetrics, type Metrics } from './registry.js';
export { startMetricsServer, type MetricsServer } from './server.js';
