import type { BreakerFailure, BreakerProbeRequest } from '../types.js'
import { assertSchemaName, type Plan } from './plans.js'

const COLUMNS = 'endpoint_id, failures, retry_at, probe_by, probe_until'

/** Statements of the shared circuit breakers; the schema name is validated, every value bound. */
export function createBreakerPlans(schema: string) {
  assertSchemaName(schema)
  const breakers = `"${schema}".breakers`
  return {
    /**
     * One upsert counts the failure and decides: it opens a closed breaker at the threshold and
     * re-opens one whose probe this worker held. `open_token` (unique per call) tells the caller
     * whether its own write opened it: Postgres 15 cannot return the row's previous values.
     */
    failure: (f: BreakerFailure, token: string): Plan => {
      const opens = `(b.retry_at IS NULL AND b.failures + 1 >= $3) OR b.probe_by = $2`
      const ownProbe = `b.probe_by = $2`
      return {
        text:
          `INSERT INTO ${breakers} AS b (endpoint_id, failures, retry_at, open_token) ` +
          `VALUES ($1, 1, CASE WHEN $3 <= 1 THEN $4::timestamptz END, CASE WHEN $3 <= 1 THEN $5 END) ` +
          `ON CONFLICT (endpoint_id) DO UPDATE SET failures = b.failures + 1, ` +
          `retry_at = CASE WHEN ${opens} THEN $4::timestamptz ELSE b.retry_at END, ` +
          `open_token = CASE WHEN ${opens} THEN $5 ELSE b.open_token END, ` +
          `probe_by = CASE WHEN ${ownProbe} THEN NULL ELSE b.probe_by END, ` +
          `probe_until = CASE WHEN ${ownProbe} THEN NULL ELSE b.probe_until END ` +
          `RETURNING ${COLUMNS}, open_token IS NOT DISTINCT FROM $5 AS opened`,
        values: [f.endpointId, f.workerId, f.failureThreshold, f.retryAt, token],
      }
    },
    /** Removes a closed breaker's failures, or an open one whose probe this worker held (it closes). */
    success: (endpointId: string, workerId: string): Plan => ({
      text: `DELETE FROM ${breakers} WHERE endpoint_id = $1 AND (retry_at IS NULL OR probe_by = $2) RETURNING retry_at IS NOT NULL AS closed`,
      values: [endpointId, workerId],
    }),
    /**
     * Takes the probe when the breaker is due and nobody else holds it. Concurrent takers queue on
     * the row lock and re-check the condition on the winner's version, so only one gets it. The
     * second SELECT (same snapshot, so only when the UPDATE took nothing) shows the breaker as it is.
     */
    takeProbe: (r: BreakerProbeRequest): Plan => ({
      text:
        `WITH took AS (UPDATE ${breakers} SET probe_by = $2, probe_until = $4 ` +
        `WHERE endpoint_id = $1 AND retry_at <= $3 AND (probe_until IS NULL OR probe_until <= $3) RETURNING ${COLUMNS}) ` +
        `SELECT true AS granted, ${COLUMNS} FROM took ` +
        `UNION ALL SELECT false, ${COLUMNS} FROM ${breakers} WHERE endpoint_id = $1 AND NOT EXISTS (SELECT 1 FROM took)`,
      values: [r.endpointId, r.workerId, r.now, r.holdUntil],
    }),
    get: (endpointId: string): Plan => ({ text: `SELECT ${COLUMNS} FROM ${breakers} WHERE endpoint_id = $1`, values: [endpointId] }),
    listOpen: (): Plan => ({ text: `SELECT ${COLUMNS} FROM ${breakers} WHERE retry_at IS NOT NULL`, values: [] }),
    clear: (endpointId: string): Plan => ({ text: `DELETE FROM ${breakers} WHERE endpoint_id = $1`, values: [endpointId] }),
  }
}
