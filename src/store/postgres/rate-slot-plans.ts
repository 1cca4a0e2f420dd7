import type { RateSlotRelease, RateSlotRequest } from '../types.js'
import { assertSchemaName, type Plan } from './plans.js'

/** Statements of the shared rate-limit slots; the schema name is validated, every value bound. */
export function createRateSlotPlans(schema: string) {
  assertSchemaName(schema)
  const slots = `"${schema}".rate_slots`
  return {
    // Takes the first `count` free slots in key order: the primary key walk stops once it has them
    // (past the slots in use, which are the low ones), with no sort of the endpoint's slots; SKIP
    // LOCKED lets concurrent takers each get others. One statement for the slots of several
    // requests: a slot taken per request cost a round trip and a WAL-logged write each.
    // Only when fewer were free does the statement count the slots (whether some are missing) and
    // read the earliest time a slot given back comes free (when to look again): a scalar subquery
    // in a CASE branch not taken is never run. Slots still held (`held_by` set) are left out of
    // that time: theirs is the end of the hold, not when they will be given back.
    take: (r: RateSlotRequest): Plan => ({
      text:
        `WITH pick AS (SELECT slot FROM ${slots} WHERE endpoint_id = $1 AND slot < $2 AND free_at <= $3 ORDER BY slot LIMIT $6 FOR UPDATE SKIP LOCKED), ` +
        `taken AS (UPDATE ${slots} r SET free_at = $4, held_by = $5 FROM pick WHERE r.endpoint_id = $1 AND r.slot = pick.slot RETURNING r.slot), ` +
        `got AS (SELECT coalesce(array_agg(slot), '{}') AS slots, count(*)::int AS n FROM taken) ` +
        `SELECT got.slots, ` +
        `CASE WHEN got.n < $6 THEN (SELECT count(*) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2)::int END AS total, ` +
        `CASE WHEN got.n < $6 THEN (SELECT min(free_at) FROM ${slots} WHERE endpoint_id = $1 AND slot < $2 AND held_by IS NULL AND free_at > $3) END AS retry_at ` +
        `FROM got`,
      values: [r.endpointId, r.max, r.now, r.holdUntil, r.workerId, r.count],
    }),
    /** Creates the endpoint's missing slots `0 … max − 1`, free at once. */
    ensure: (endpointId: string, max: number): Plan => ({
      text: `INSERT INTO ${slots} (endpoint_id, slot, free_at) SELECT $1, g, to_timestamp(0) FROM generate_series(0, $2::int - 1) g ON CONFLICT DO NOTHING`,
      values: [endpointId, max],
    }),
    /** Gives back any number of slots in one statement (each only while `workerId` still holds it). */
    release: (workerId: string, releases: readonly RateSlotRelease[]): Plan => ({
      text:
        `UPDATE ${slots} r SET free_at = v.free_at, held_by = NULL ` +
        `FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS v(endpoint_id, slot, free_at) ` +
        `WHERE r.endpoint_id = v.endpoint_id AND r.slot = v.slot AND r.held_by = $4`,
      values: [releases.map((r) => r.endpointId), releases.map((r) => r.slot), releases.map((r) => r.freeAt.toISOString()), workerId],
    }),
  }
}
