import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import type { Undici } from './undici.js'

/**
 * The floor of the alternative design (issue 13): a hand-written minimal loop on hookline's own
 * Postgres tables with the same guarantees — claims by FOR UPDATE SKIP LOCKED with a lease, every
 * attempt logged (request headers and body, response, timing), the state written only while the
 * lease is held — and nothing else: no breaker, no per-endpoint queues, no retry policy, claims of
 * `batch` rows with two in flight, each sent by 50 loops over an undici Pool of 50 connections,
 * its outcomes written by one `UPDATE … FROM unnest` + `INSERT` of the attempts, named prepared
 * statements. Several such loops (in several processes) share the queue as hookline's workers do.
 */
export interface MinimalLoop {
  /**
   * Claims and sends until a claim comes back empty (`untilEmpty`), or until `stop()` (an empty
   * claim then waits `pollMs` before the next). Resolves once its batches are written.
   */
  run(options: { untilEmpty: boolean; pollMs?: number }): Promise<void>
  /** Ends `run` after its batches in flight. */
  stop(): void
  close(): Promise<void>
}

export function minimalLoop(options: { undici: Undici; connectionString: string; schema: string; origin: string; batch: number }): MinimalLoop {
  const { schema, batch } = options
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 10 })
  const http = new options.undici.Pool(options.origin, { connections: 50, pipelining: 1, keepAliveTimeout: 60_000 })
  const secret = randomBytes(32)
  const url = `${options.origin}/hook`
  const t = (name: string) => `"${schema}".${name}`
  const worker = `loop_${randomUUID()}`
  const due = `(CASE WHEN status = 'delivering' THEN locked_until WHEN status IN ('pending', 'failed') THEN next_attempt_at END)`
  const claimSql =
    `WITH due AS (SELECT id FROM ${t('deliveries')} WHERE ${due} <= now() ORDER BY ${due}, seq LIMIT $1 FOR UPDATE SKIP LOCKED), ` +
    `c AS (UPDATE ${t('deliveries')} d SET status = 'delivering', locked_by = $2, locked_until = now() + interval '2 minutes', updated_at = now() WHERE d.id = ANY(ARRAY(SELECT id FROM due)) RETURNING d.id, d.message_id, d.endpoint_id, d.attempts) ` +
    `SELECT c.id, c.message_id, c.endpoint_id, c.attempts, m.event, m.data::text AS data FROM c JOIN ${t('messages')} m ON m.id = c.message_id`
  const completeSql =
    `WITH o AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[]) AS o(id, endpoint_id, status, body, headers, ms, started)), ` +
    `u AS (UPDATE ${t('deliveries')} d SET status = 'succeeded', attempts = d.attempts + 1, last_status_code = o.status, completed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL ` +
    `FROM o WHERE d.id = ANY($1::text[]) AND d.id = o.id AND d.locked_by = $8) ` +
    `INSERT INTO ${t('attempts')} (id, delivery_id, endpoint_id, attempt, trigger, url, method, request_headers, request_body, response_status, response_body, response_headers, error, succeeded, duration_ms, started_at) ` +
    `SELECT 'att_' || md5(o.id), o.id, o.endpoint_id, 1, 'automatic', $9, 'POST', o.headers::jsonb, o.body, o.status, 'ok', '{}'::jsonb, NULL, true, o.ms, o.started FROM o`
  async function handle(rows: { id: string; endpoint_id: string; event: string; data: string }[]): Promise<void> {
    const out = { id: [] as string[], ep: [] as string[], status: [] as number[], body: [] as string[], headers: [] as string[], ms: [] as number[], started: [] as string[] }
    let next = 0
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < rows.length) {
          const row = rows[next++]!
          const body = `{"id":"${row.id}","event":"${row.event}","timestamp":"${new Date().toISOString()}","data":${row.data}}`
          const headers = { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'x-webhook-id': row.id }
          const started = new Date()
          const t0 = performance.now()
          const res = await http.request({ path: '/hook', method: 'POST', headers, body })
          await res.body.text()
          out.id.push(row.id)
          out.ep.push(row.endpoint_id)
          out.status.push(res.statusCode)
          out.body.push(body)
          out.headers.push(JSON.stringify({ ...headers, 'x-webhook-signature': '[redacted]' }))
          out.ms.push(performance.now() - t0)
          out.started.push(started.toISOString())
        }
      }),
    )
    await pool.query({ name: 'loop_complete', text: completeSql, values: [out.id, out.ep, out.status, out.body, out.headers, out.ms, out.started, worker, url] })
  }
  let stopping = false
  return {
    async run({ untilEmpty, pollMs = 20 }) {
      stopping = false
      const inFlight = new Set<Promise<void>>()
      while (!stopping) {
        const { rows } = await pool.query({ name: 'loop_claim', text: claimSql, values: [batch, worker] })
        if (rows.length > 0) {
          const p = handle(rows).finally(() => inFlight.delete(p))
          inFlight.add(p)
        }
        if (inFlight.size >= 2 || (rows.length === 0 && inFlight.size > 0)) await Promise.race(inFlight)
        else if (rows.length === 0) {
          if (untilEmpty) break
          await new Promise((resolve) => setTimeout(resolve, pollMs))
        }
      }
      await Promise.all(inFlight)
    },
    stop() {
      stopping = true
    },
    async close() {
      await pool.end()
      await http.close()
    },
  }
}
