// Child of bench/incoming.ts: one Hono server on @hono/node-server, 127.0.0.1, port 0.
//   node --import tsx bench/incoming-server.ts <bare|hookline|hookline-transform> <hooks>
// Sends { type: 'ready', port, paths } over IPC; answers { type: 'cpu' } with its CPU time (µs).
import { serve } from '@hono/node-server'
import { buildIncomingApp, type IncomingBenchMode } from './lib/incoming-app.js'

const mode = (process.argv[2] ?? 'bare') as IncomingBenchMode
const hookCount = Number(process.argv[3] ?? 40)
const { app, paths, handled } = await buildIncomingApp(mode, hookCount)

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
server.once('listening', () => {
  const address = server.address()
  process.send!({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, paths })
})
process.on('message', (m: { type: string; id?: number }) => {
  if (m.type === 'cpu') {
    const cpu = process.cpuUsage()
    process.send!({ type: 'cpu', id: m.id, micros: cpu.user + cpu.system, system: cpu.system, handled: handled() })
  }
})
process.on('disconnect', () => process.exit(0))
