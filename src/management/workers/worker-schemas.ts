import * as v from 'valibot'

/** A worker of the registry, as the API shows it. */
export const workerOutput = v.object({
  id: v.pipe(v.string(), v.description('Worker id (the `locked_by` of its leases).')),
  host: v.string(),
  pid: v.number(),
  state: v.pipe(v.picklist(['active', 'stopped', 'lost']), v.description('lost: no heartbeat for `lostAfterMs`.')),
  started_at: v.pipe(v.string(), v.isoTimestamp()),
  last_seen_at: v.pipe(v.string(), v.isoTimestamp()),
  in_flight: v.pipe(v.number(), v.description('Deliveries it held at its last heartbeat.')),
  stopped_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  lost_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  leases: v.pipe(v.nullable(v.number()), v.description('Deliveries still leased to it when it was reported lost; null unless lost.')),
})

/** Answer of `GET /workers`. */
export const workerListOutput = v.object({ workers: v.array(workerOutput) })
