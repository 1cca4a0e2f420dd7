// Diagnostic: CPU per message of `emitMany` and of single `emit`s on the Postgres store, this
// process and the store's own Postgres backends apart (worker not started, one endpoint, 1 KB
// payload, fresh schema). Rounds alternate the two kinds; medians are printed.
//   npx tsx bench/tools/emit-cost.ts [rounds] [batch] [batches per round]
//   BENCH_PRODUCERS (16): concurrent callers of the single emits (group commit applies)
//   BENCH_EMIT_KINDS (many,single): which kinds to run
// Copy it into an old tree (same path) for an interleaved A/B of two trees.
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName } from '../lib/pg-backends.js'
import { loopbackEgress } from '../lib/egress.js'

const rounds = Number(process.argv[2] ?? 7)
const batch = Number(process.argv[3] ?? 1000)
const perRound = Number(process.argv[4] ?? 4)
const producers = Number(process.env.BENCH_PRODUCERS ?? 16)
const kinds = (process.env.BENCH_EMIT_KINDS ?? 'many,single').split(',')
const schema = freshSchema('hookline_emitcost')
const app = `hlemitcost_${schema.slice(-10)}`
const manager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: withApplicationName(PG_URL, app), schema }) })
const pg = await pgBackendMeter(app)
const data = makePayload(1024)
const EVENT = 'agent.created'

async function singles(n: number): Promise<void> {
  let started = 0
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (started++ < n) await manager.emit(EVENT, data)
    }),
  )
}

const runs: Record<string, () => Promise<void>> = {
  many: async () => {
    for (let i = 0; i < perRound; i++) await manager.emitMany(Array.from({ length: batch }, () => ({ event: EVENT, data })))
  },
  single: () => singles(batch * perRound),
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

try {
  await manager.migrate()
  await manager.createEndpoint({ url: 'http://127.0.0.1:9/never', events: ['agent.*'] })
  for (const kind of kinds) await runs[kind]!() // warm-up
  const out: Record<string, { proc: number[]; pg: number[] }> = {}
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      await pg.start()
      const cpu0 = process.cpuUsage()
      await runs[kind]!()
      const cpu = process.cpuUsage(cpu0)
      const backend = (await pg.stop()) ?? Number.NaN
      const n = batch * perRound
      ;(out[kind] ??= { proc: [], pg: [] }).proc.push((cpu.user + cpu.system) / n)
      out[kind]!.pg.push(backend / n)
    }
  }
  for (const kind of kinds) {
    const { proc, pg: back } = out[kind]!
    const sums = proc.map((p, i) => p + back[i]!)
    console.log(
      `${kind.padEnd(6)} process ${median(proc).toFixed(1)} µs/msg, backends ${median(back).toFixed(1)} µs/msg, total ${median(sums).toFixed(1)} µs/msg  [totals ${sums.map((x) => x.toFixed(0)).join(' ')}]`,
    )
  }
  if (out.many && out.single) {
    const ratio = median(out.many.proc.map((p, i) => p + out.many!.pg[i]!)) / median(out.single.proc.map((p, i) => p + out.single!.pg[i]!))
    console.log(`ratio many/single ${ratio.toFixed(3)}`)
  }
} finally {
  await pg.close()
  await manager.close()
  await dropSchemas([schema])
}
