// Diagnostic: CPU per message of `emitMany` and of single `emit`s on the Postgres store, this
// process and the store's own Postgres backends apart (worker not started, one endpoint, 1 KB
// payload, fresh schema). Rounds alternate the two kinds; medians are printed.
//   npx tsx bench/tools/emit-cost.ts [rounds] [batch] [batches per round]
//   BENCH_PRODUCERS (16): concurrent callers of the single emits (group commit applies)
//   BENCH_EMIT_KINDS (many,single): which kinds to run
//   BENCH_BASE_TREE=/tmp/base-x: an interleaved A/B in one process: the library of that checkout
//     (its src/, loaded beside this tree's) runs every round too, on a schema of its own, the two
//     trees alternating within each round (which one goes first alternates by round)
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { makePayload } from '../lib/payload.js'
import { pgBackendMeter, withApplicationName, type PgBackendMeter } from '../lib/pg-backends.js'
import { loopbackEgress } from '../lib/egress.js'

const rounds = Number(process.argv[2] ?? 7)
const batch = Number(process.argv[3] ?? 1000)
const perRound = Number(process.argv[4] ?? 4)
const producers = Number(process.env.BENCH_PRODUCERS ?? 16)
const kinds = (process.env.BENCH_EMIT_KINDS ?? 'many,single').split(',')
const data = makePayload(1024)
const EVENT = 'agent.created'

type Manager = ReturnType<typeof createWebhookManager>
interface Tree {
  label: string
  manager: Manager
  meter: PgBackendMeter
  schema: string
}

async function tree(label: string, lib: { createWebhookManager: typeof createWebhookManager; postgresStore: typeof postgresStore }): Promise<Tree> {
  const schema = freshSchema(`hookline_emitcost_${label}`)
  const app = `hlemitcost_${schema.slice(-10)}`
  const manager = lib.createWebhookManager({ egress: loopbackEgress, store: lib.postgresStore({ connectionString: withApplicationName(PG_URL, app), schema }) })
  return { label, manager, meter: await pgBackendMeter(app), schema }
}

const trees: Tree[] = []
if (process.env.BENCH_BASE_TREE) {
  const base = process.env.BENCH_BASE_TREE
  const lib = (await import(`${base}/src/index.ts`)) as { createWebhookManager: typeof createWebhookManager }
  const store = (await import(`${base}/src/store/postgres/index.ts`)) as { postgresStore: typeof postgresStore }
  trees.push(await tree('base', { createWebhookManager: lib.createWebhookManager, postgresStore: store.postgresStore }))
}
trees.push(await tree('this', { createWebhookManager, postgresStore }))

async function singles(manager: Manager, n: number): Promise<void> {
  let started = 0
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (started++ < n) await manager.emit(EVENT, data)
    }),
  )
}

const runs: Record<string, (manager: Manager) => Promise<void>> = {
  many: async (manager) => {
    for (let i = 0; i < perRound; i++) await manager.emitMany(Array.from({ length: batch }, () => ({ event: EVENT, data })))
  },
  single: (manager) => singles(manager, batch * perRound),
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

try {
  for (const t of trees) {
    await t.manager.migrate()
    await t.manager.createEndpoint({ url: 'http://127.0.0.1:9/never', events: ['agent.*'] })
    for (const kind of kinds) await runs[kind]!(t.manager) // warm-up
  }
  const out: Record<string, { proc: number[]; pg: number[] }> = {}
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
        await t.meter.start()
        const cpu0 = process.cpuUsage()
        await runs[kind]!(t.manager)
        const cpu = process.cpuUsage(cpu0)
        const backend = (await t.meter.stop()) ?? Number.NaN
        const n = batch * perRound
        const key = `${t.label}:${kind}`
        ;(out[key] ??= { proc: [], pg: [] }).proc.push((cpu.user + cpu.system) / n)
        out[key]!.pg.push(backend / n)
      }
    }
  }
  const total = (key: string): number => median(out[key]!.proc.map((p, i) => p + out[key]!.pg[i]!))
  for (const t of trees) {
    for (const kind of kinds) {
      const { proc, pg: back } = out[`${t.label}:${kind}`]!
      const sums = proc.map((p, i) => p + back[i]!)
      const name = trees.length > 1 ? `${t.label} ${kind}` : kind
      console.log(
        `${name.padEnd(6)} process ${median(proc).toFixed(1)} µs/msg, backends ${median(back).toFixed(1)} µs/msg, total ${median(sums).toFixed(1)} µs/msg  [totals ${sums.map((x) => x.toFixed(0)).join(' ')}]`,
      )
    }
    if (out[`${t.label}:many`] && out[`${t.label}:single`]) console.log(`${trees.length > 1 ? `${t.label} ` : ''}ratio many/single ${(total(`${t.label}:many`) / total(`${t.label}:single`)).toFixed(3)}`)
  }
} finally {
  for (const t of trees) {
    await t.meter.close()
    await t.manager.close()
  }
  await dropSchemas(trees.map((t) => t.schema))
}
