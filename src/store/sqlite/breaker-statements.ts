/** Statements of the SQLite shared circuit breakers (named parameters; times in ms). */
export const sqliteBreakerStatements = {
  get: 'SELECT endpoint_id, failures, retry_at, probe_by, probe_until FROM breakers WHERE endpoint_id = @endpoint',
  listOpen: 'SELECT endpoint_id, failures, retry_at, probe_by, probe_until FROM breakers WHERE retry_at IS NOT NULL',
  put:
    'INSERT INTO breakers (endpoint_id, failures, retry_at, probe_by, probe_until) VALUES (@endpoint, @failures, @retry_at, @probe_by, @probe_until) ' +
    'ON CONFLICT (endpoint_id) DO UPDATE SET failures = excluded.failures, retry_at = excluded.retry_at, probe_by = excluded.probe_by, probe_until = excluded.probe_until',
  // Same rule as Postgres: a closed breaker's failures, or an open one whose probe this worker held.
  success: 'DELETE FROM breakers WHERE endpoint_id = @endpoint AND (retry_at IS NULL OR probe_by = @worker) RETURNING retry_at IS NOT NULL AS closed',
  takeProbe:
    'UPDATE breakers SET probe_by = @worker, probe_until = @hold_until ' +
    'WHERE endpoint_id = @endpoint AND retry_at <= @now AND (probe_until IS NULL OR probe_until <= @now)',
  clear: 'DELETE FROM breakers WHERE endpoint_id = @endpoint',
} as const
