// Benchmark 2 — verifySignature (standard-webhooks, 1 KB body) against one bare node:crypto
// HMAC-SHA256 + timingSafeEqual, and the `standardwebhooks` package's Webhook.verify for reference.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { generateSecret, sign, verifySignature } from '../src/index.js'
import { envInt } from './lib/env.js'
import { makeEnvelope, makePayloadForEnvelope } from './lib/payload.js'
import { record, section } from './lib/report.js'
import { fmt, median, spread } from './lib/stats.js'

interface Case {
  name: string
  iterations: number
  /** One verification; true when the signature is valid. */
  fn: () => boolean
  opsPerSecond: number[]
}

/** Runs `fn` `iterations` times and returns ops/s; throws if any verification failed. */
function run(c: Case, iterations = c.iterations): number {
  const fn = c.fn
  let ok = 0
  const start = performance.now()
  for (let i = 0; i < iterations; i++) if (fn()) ok++
  const ms = performance.now() - start
  if (ok !== iterations) throw new Error(`${c.name}: ${iterations - ok} of ${iterations} verifications failed`)
  return iterations / (ms / 1000)
}

/** Runs benchmark 2 and records its results. */
export async function runVerify(): Promise<void> {
  const iterations = envInt('BENCH_VERIFY_N', 200_000)
  const rounds = envInt('BENCH_VERIFY_ROUNDS', 3)
  section(`verifySignature, standard-webhooks, 1 KB body (${fmt(iterations)} iterations × ${rounds} interleaved rounds, median)`)

  const secret = generateSecret('standard-webhooks')
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const body = makeEnvelope(makePayloadForEnvelope(1024))
  const id = `msg_${'7'.repeat(32)}`
  const timestamp = Math.floor(Date.now() / 1000)
  const signature = sign({ scheme: 'standard-webhooks', secret, body, id, timestamp })
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
  const signedContent = `${id}.${timestamp}.${body}`
  const received = Buffer.from(signature.slice('v1,'.length), 'base64')
  const webhook = new Webhook(secret)

  const baseline: Case = {
    name: 'bare createHmac + timingSafeEqual',
    iterations,
    fn: () => timingSafeEqual(createHmac('sha256', key).update(signedContent).digest(), received),
    opsPerSecond: [],
  }
  const hookline: Case = {
    name: 'hookline verifySignature',
    iterations,
    fn: () => verifySignature({ scheme: 'standard-webhooks', secret, body, headers }),
    opsPerSecond: [],
  }
  const reference: Case = {
    name: 'standardwebhooks Webhook.verify',
    iterations,
    fn: () => webhook.verify(body, headers) !== undefined,
    opsPerSecond: [],
  }
  const cases = [baseline, hookline, reference]
  console.log(`  body ${body.length} B; the baseline's signed content and decoded signature are precomputed`)

  // Warm-up, and size the slow reference so one of its runs takes about as long as the others'.
  for (const c of cases) run(c, Math.min(20_000, iterations))
  const baselineRate = run(baseline, Math.min(50_000, iterations))
  const referenceRate = run(reference, Math.min(20_000, iterations))
  reference.iterations = Math.max(10_000, Math.min(iterations, Math.round((iterations * referenceRate) / baselineRate)))

  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no case always runs first (after the GC of the previous one).
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + r) % cases.length]!
      c.opsPerSecond.push(run(c))
    }
  }
  const base = median(baseline.opsPerSecond)
  const spreadNote = (c: Case): string => `spread ${(spread(c.opsPerSecond) * 100).toFixed(0)} %, ${(1e6 / median(c.opsPerSecond)).toFixed(2)} µs/op`
  record({ section: 'verify', name: baseline.name, value: base, unit: 'ops/s', note: `${spreadNote(baseline)} (baseline)` })
  const value = median(hookline.opsPerSecond)
  record({
    section: 'verify',
    name: hookline.name,
    value,
    unit: 'ops/s',
    baseline: { name: 'bare HMAC', value: base },
    ratio: value / base,
    target: { op: '>=', value: 0.9 },
    note: spreadNote(hookline),
  })
  const ref = median(reference.opsPerSecond)
  record({
    section: 'verify',
    name: reference.name,
    value: ref,
    unit: 'ops/s',
    baseline: { name: 'bare HMAC', value: base },
    ratio: ref / base,
    note: `${spreadNote(reference)}, ${fmt(reference.iterations)} iterations/round (reference, expected ~0.2×)`,
  })
}
