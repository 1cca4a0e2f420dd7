// The floor of the alternative design (issue 13, item 3): the smallest pipeline that does what the
// memory store's worker must do per delivery, measured in one process beside the sender floor and
// hookline, rounds interleaved, on the same receiver process.
//
// The minimal pipeline: `emit` stores a compact message record (id, event, time, the payload's
// JSON text) in a Map and pushes its id on an array queue; a worker keeps up to 2 × concurrency
// deliveries in a p-queue of `concurrency`; each task builds the envelope, signs it (hmac-sha256),
// sends it through hookline's sender (ofetch over the default transport, egress guard on), and
// stores a compact attempt record (a tuple of strings and numbers, headers as JSON text) in a Map.
// No breaker, no retry decision, no events, no leases: everything hookline does beyond this is
// its design's cost.
//   npx tsx bench/tools/minimal-pipeline.ts   (BENCH_N per variant and round, default 10 000; BENCH_ROUNDS, default 3)
import PQueue from 'p-queue'
import { EgressPolicy } from '../../src/dispatch/egress-guard.js'
import { createSender } from '../../src/dispatch/send-request.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'
import { generateSecret, sign } from '../../src/index.js'
import { deliveryVariants, type Run, type Variant } from '../delivery.js'
import { loopbackEgress } from '../lib/egress.js'
import { envInt } from '../lib/env.js'
import { makePayloadForEnvelope } from '../lib/payload.js'
import { startReceiverProcess, type ReceiverProcess } from '../lib/receiver-process.js'
import { fmt, median } from '../lib/stats.js'
import { loadUndici } from '../lib/undici.js'

const n = envInt('BENCH_N', 10_000)
const rounds = envInt('BENCH_ROUNDS', 3)
const concurrency = envInt('BENCH_CONCURRENCY', 50)

/** A stored message: id, event, created (ms), the payload's JSON text. */
type MessageTuple = [string, string, number, string]
/** A compact attempt record: attempt id, delivery id, status, error, duration (ms), started (ms), request headers (JSON), request body, response headers (JSON), response body. */
type AttemptTuple = [string, string, number | null, string | null, number, number, string, string, string | null, string | null]

function minimalPipeline(rx: ReceiverProcess, data: unknown): Variant {
  return {
    name: 'minimal pipeline: array queue + p-queue + envelope + sign + ofetch + attempt tuple in a Map',
    async run(count): Promise<Run> {
      const transport = createUndiciFetch({ egress: new EgressPolicy(loopbackEgress) })
      const send = createSender(transport.fetch, transport.Headers, transport.createAbortable)
      const secret = generateSecret()
      const messages = new Map<string, MessageTuple>()
      const attempts = new Map<string, AttemptTuple>()
      const queue: string[] = []
      let head = 0
      let seq = 0
      let done = 0
      let finish!: () => void
      const finished = new Promise<void>((resolve) => (finish = resolve))
      const pq = new PQueue({ concurrency })
      let held = 0
      const deliver = async (id: string): Promise<void> => {
        const [, event, createdAt, text] = messages.get(id)!
        const body = `{"id":${JSON.stringify(id)},"event":${JSON.stringify(event)},"timestamp":"${new Date(createdAt).toISOString()}","webhook_id":"ep_1","data":${text}}`
        const started = Date.now()
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': 'hookline-bench',
          'x-webhook-event': event,
          'x-webhook-id': id,
          'x-webhook-timestamp': new Date(started).toISOString(),
          'x-webhook-delivery': id,
          'x-webhook-attempt': '1',
          'x-webhook-signature': sign({ secret, body }),
        }
        const res = await send({ url: rx.url, method: 'POST', headers, body, timeoutMs: 10_000, maxResponseBytes: 65_536 })
        if (!res.ok) throw new Error(`minimal pipeline: ${res.error}`)
        headers['x-webhook-signature'] = '[redacted]'
        attempts.set(`att_${id}`, [`att_${id}`, id, res.status, res.error, res.durationMs, started, JSON.stringify(headers), body, res.headers && JSON.stringify(res.headers), res.body])
      }
      const pump = (): void => {
        while (held < 2 * concurrency && head < queue.length) {
          const id = queue[head++]!
          held++
          void pq.add(() => deliver(id)).then(() => {
            held--
            if (++done === count) finish()
            else pump()
          })
        }
      }
      const emit = async (event: string, payload: unknown): Promise<void> => {
        const id = `msg_${++seq}`
        messages.set(id, [id, event, Date.now(), JSON.stringify(payload)])
        queue.push(id)
        pump()
      }
      await rx.reset()
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < count; i++) await emit('agent.created', data)
      await finished
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      await transport.close()
      const seen = await rx.count()
      if (seen !== count) throw new Error(`minimal pipeline: receiver counted ${seen}, expected ${count}`)
      return { ms, cpuMs: (cpu.user + cpu.system) / 1000, cpu: null }
    },
  }
}

const undici = await loadUndici()
const rx = await startReceiverProcess()
const { variants, close } = deliveryVariants(undici, rx, concurrency)
const chosen: Variant[] = [variants['sender-floor']!, minimalPipeline(rx, makePayloadForEnvelope(1024)), variants.hookline!]
const runs = new Map<Variant, Run[]>(chosen.map((v) => [v, []]))
for (const v of chosen) await v.run(Math.min(2000, n))
for (let r = 0; r < rounds; r++) for (const v of chosen) runs.get(v)!.push(await v.run(n))
const floorRate = median(runs.get(chosen[0]!)!.map((x) => n / (x.ms / 1000)))
for (const v of chosen) {
  const rate = median(runs.get(v)!.map((x) => n / (x.ms / 1000)))
  const cpu = median(runs.get(v)!.map((x) => (x.cpuMs * 1000) / n))
  console.log(`${v.name}: ${fmt(rate)}/s = ${(rate / floorRate).toFixed(2)}× the sender floor, CPU ${cpu.toFixed(1)} µs/delivery`)
}
await close()
await rx.close()
