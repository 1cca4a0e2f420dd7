// A/B of the incoming server's CPU per request: alternates rounds of two source trees (each with
// its own bench/incoming-server.ts and src/), a fixed number of requests per round, and prints the
// server's CPU µs per request of each round and the medians. With PROFILE_DIR set, each server
// writes a V8 CPU profile there (summarise with bench/tools/cpuprofile-summary.ts).
//   npx tsx bench/tools/incoming-ab.ts <mode> <rootA> [rootB or -] [rounds=3] [requests=20000]
//   mode: bare | hookline | hookline-transform; a root is a directory holding src/ and bench/
// Make a root of an old commit with: mkdir /tmp/base && git archive <commit> src bench | tar -x -C /tmp/base
//   && ln -s "$PWD/node_modules" /tmp/base/node_modules && cp package.json tsconfig.json /tmp/base/
import { fork } from 'node:child_process'
import { resolve } from 'node:path'
import autocannon from 'autocannon'
import { makePayload } from '../lib/payload.js'

const [mode = 'hookline', rootA = '.', rootB, roundsArg, requestsArg] = process.argv.slice(2)
const rounds = Number(roundsArg ?? 3)
const amount = Number(requestsArg ?? 20_000)
const connections = Number(process.env.BENCH_INCOMING_CONNECTIONS ?? 50)
const body = JSON.stringify(makePayload(1024))

interface Ready {
  type: 'ready'
  port: number
  paths: string[]
}

async function runOnce(root: string): Promise<number> {
  const dir = resolve(root)
  const execArgv = ['--import', 'tsx']
  if (process.env.PROFILE_DIR) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`)
  const child = fork(`${dir}/bench/incoming-server.ts`, [mode, '40'], { cwd: dir, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  const messages: ((m: Record<string, unknown>) => void)[] = []
  child.on('message', (m: Record<string, unknown>) => messages.shift()?.(m))
  const next = (): Promise<Record<string, unknown>> => new Promise((r) => messages.push(r))
  try {
    const ready = (await next()) as unknown as Ready
    const requests = ready.paths.map((path) => ({ method: 'POST' as const, path, body, headers: { 'content-type': 'application/json' } }))
    const url = `http://127.0.0.1:${ready.port}`
    await autocannon({ url, connections, amount: Math.max(2000, amount / 5), requests })
    const cpu = async (): Promise<{ micros: number; system?: number; handled: number }> => {
      const reply = next()
      child.send({ type: 'cpu', id: 1 })
      return (await reply) as { micros: number; system?: number; handled: number }
    }
    const before = await cpu()
    const result = await autocannon({ url, connections, amount, requests })
    const after = await cpu()
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${root}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    const count = Math.max(1, after.handled - before.handled)
    if (after.system !== undefined && before.system !== undefined) console.log(`  ${root}: system ${((after.system - before.system) / count).toFixed(1)} µs/request`)
    return (after.micros - before.micros) / count
  } finally {
    child.disconnect()
    await new Promise((r) => child.once('exit', r))
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const roots = rootB === undefined || rootB === '' || rootB === '-' ? [rootA] : [rootA, rootB]
const results = new Map<string, number[]>(roots.map((r) => [r, []]))
for (let r = 0; r < rounds; r++) {
  for (const root of r % 2 === 0 ? roots : [...roots].reverse()) {
    const micros = await runOnce(root)
    results.get(root)!.push(micros)
    console.log(`round ${r + 1} ${root}: ${micros.toFixed(1)} µs/request`)
  }
}
for (const [root, xs] of results) console.log(`${mode} ${root}: median ${median(xs).toFixed(1)} µs/request (${xs.map((x) => x.toFixed(1)).join(', ')})`)
