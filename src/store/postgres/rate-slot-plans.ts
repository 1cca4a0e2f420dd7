import type { RateSlotRequest } from '../types.js'
import { assertSchemaName, type Plan } from './plans.js'

/** Statements of the shared rate-limit slots; the schema name is validated, every value bound. */
export function createRateSlotPlans(schema: string) {
  assertSchemaName(schema)
  const slots = `"${schema}".rate_slots`
  return {
    // Takes the first free slot in key order: the primary key walk stops at it (past the slots in
    // use, which are the low ones), with no sort of the endpoint's slots; SKIP LOCKED lets
    // concurrent takers each get another one. Only when none was free does the statement count the
    // slots and read the earliest free time (whether slots are missing, and when to look again):
    // a scalar subquery in a CASE branch not taken is never run. With every slot read and sorted on
    // each take, an endpoint limited to 1 000 per 100 ms cost Postgres several ms per request.
    take: (r: RateSlotRequest): Plan => ({
      text:
        `WITH pick AS (SELECT slot FROM ${slots} WHERE endpoint_id = $1 AND slot < $2 AND free_at <= $3 ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED), ` +
        `taken AS (UPDATE ${slots} r SET free_at = $4, held_by = $5 FROM pick WHERE r.endpoint_id = $1 AND r.slot = pick.slot RETURNING r.slot) ` +
        `SELECT t.slot, ` +
        `CASE WHEN t.slot IS NULL THEN (SELECT count(*) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2)::int END AS slots, ` +
        `CASE WHEN t.slot IS NULL THEN (SELECT min(free_at) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2) END AS retry_at ` +
        `FROM (SELECT (SELECT slot FROM taken) AS slot) t`,
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
