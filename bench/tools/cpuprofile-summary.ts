// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by origin
// (a node_modules package, node's internals, hookline's src/, the GC, idle).
//   npx tsx bench/tools/cpuprofile-summary.ts <file.cpuprofile> [top=40]
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const file = process.argv[2]
if (!file) throw new Error('usage: cpuprofile-summary <file.cpuprofile> [top]')
const top = Number(process.argv[3] ?? 40)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const self = new Map<number, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  self.set(id, (self.get(id) ?? 0) + dt)
  total += dt
})

function origin(frame: CallFrame): string {
  const { url, functionName } = frame
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)'
    if (functionName === '(idle)') return '(idle)'
    if (functionName === '(program)') return '(program)'
    return '(native)'
  }
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:internal/deps/undici')) return 'node:undici (bundled)'
  if (url.startsWith('node:internal/webstreams')) return 'node:webstreams'
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  const src = url.indexOf('/src/')
  if (src >= 0) return `hookline ${url.slice(src + 1).split('/').slice(0, 2).join('/')}`
  const bench = url.indexOf('/bench/')
  if (bench >= 0) return `bench ${url.slice(bench + 1)}`
  return url
}

const byFunction = new Map<string, number>()
const byOrigin = new Map<string, number>()
for (const [id, t] of self) {
  const frame = byId.get(id)!.callFrame
  const o = origin(frame)
  const key = `${frame.functionName || '(anonymous)'}  ${o}${frame.url ? `:${frame.lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + t)
  byOrigin.set(o, (byOrigin.get(o) ?? 0) + t)
}

// Inclusive time of interesting frames: anything on the stack of a sample counts once.
const inclusive = new Map<string, number>()
for (const [id, t] of self) {
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = byId.get(cur)!.callFrame
    const key = `${frame.functionName || '(anonymous)'}  ${origin(frame)}`
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + t)
  }
}

// Responsible component: walk from the sampled frame towards the root to the first frame of a
// package, of node's bundled undici/webstreams, or of hookline's own files; node internals and
// natives (crypto, sockets, timers) count for whoever called them. GC and idle stay separate.
function component(frame: CallFrame): string | null {
  const o = origin(frame)
  if (o.startsWith('hookline ')) {
    const src = frame.url.indexOf('/src/')
    return `hookline ${frame.url.slice(src + 1)}`
  }
  if (o === '(gc)' || o === '(idle)' || o === '(program)') return o
  if (o.startsWith('node:undici') || o === 'node:webstreams') return 'fetch (node bundled undici + webstreams)'
  if (o.startsWith('node:') || o === '(native)') return null
  if (o.startsWith('bench ')) return o
  return o
}
const byComponent = new Map<string, number>()
for (const [id, t] of self) {
  let name: string | null = null
  for (let cur: number | undefined = id; cur !== undefined && name === null; cur = parent.get(cur)) name = component(byId.get(cur)!.callFrame)
  name ??= '(node internals, no JS caller: event loop, sockets)'
  byComponent.set(name, (byComponent.get(name) ?? 0) + t)
}

const busy = total - (byOrigin.get('(idle)') ?? 0)
const pct = (t: number): string => `${((100 * t) / busy).toFixed(1).padStart(5)} %`
const print = (title: string, map: Map<string, number>, limit: number): void => {
  console.log(`\n${title}`)
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`  ${pct(t)}  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`)
}
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy (percentages are of busy time)`)
byOrigin.delete('(idle)')
byComponent.delete('(idle)')
print('time by responsible component (node internals and natives charged to their nearest JS caller)', byComponent, 40)
print('self time by origin', byOrigin, 30)
print('self time by function', byFunction, top)
print('inclusive time by function', inclusive, top)
