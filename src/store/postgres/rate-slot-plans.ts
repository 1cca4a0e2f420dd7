import type { RateSlotRequest } from '../types.js'
import { assertSchemaName, type Plan } from './plans.js'

/** Statements of the shared rate-limit slots; the schema name is validated, every value bound. */
export function createRateSlotPlans(schema: string) {
  assertSchemaName(schema)
  const slots = `"${schema}".rate_slots`
  return {
    // Takes the longest-free slot; SKIP LOCKED lets concurrent takers each get another one. The
    // count and the earliest free time (read before the take) say whether slots are missing and
    // when to look again.
    take: (r: RateSlotRequest): Plan => ({
      text:
        `WITH pick AS (SELECT slot FROM ${slots} WHERE endpoint_id = $1 AND slot < $2 AND free_at <= $3 ORDER BY free_at, slot LIMIT 1 FOR UPDATE SKIP LOCKED), ` +
        `taken AS (UPDATE ${slots} r SET free_at = $4, held_by = $5 FROM pick WHERE r.endpoint_id = $1 AND r.slot = pick.slot RETURNING r.slot) ` +
        `SELECT (SELECT slot FROM taken) AS slot, (SELECT count(*) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2)::int AS slots, ` +
        `(SELECT min(free_at) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2) AS retry_at`,
      values: [r.endpointId, r.max, r.now, r.holdUntil, r.workerId],
    }),
    /** Creates the endpoint's missing slots `0 … max − 1`, free at once. */
    ensure: (endpointId: string, max: number): Plan => ({
      text: `INSERT INTO ${slots} (endpoint_id, slot, free_at) SELECT $1, g, to_timestamp(0) FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`,
      values: [endpointId, max],
    }),
    release: (endpointId: string, slot: number, workerId: string, freeAt: Date): Plan => ({
      text: `UPDATE ${slots} SET free_at = $4, held_by = NULL WHERE endpoint_id = $1 AND slot = $2 AND held_by = $3`,
      values: [endpointId, slot, workerId, freeAt],
    }),
  }
}
