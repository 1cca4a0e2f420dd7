// The Hono app of the incoming benchmark (bench/incoming-server.ts) and of its in-process twin
// (bench/tools/incoming-inproc.ts): a bare Hono JSON handler, or hookline's incoming handler.
import { Hono } from 'hono'
import { createWebhookManager, memoryStore, toHonoHandler, type WebhookManager } from '../../src/index.js'

/** What the app answers with: the baseline, or hookline without / with a Nunjucks transform. */
export type IncomingBenchMode = 'bare' | 'hookline' | 'hookline-transform'

/** A Nunjucks transform of the kind a user writes: a few fields picked out and reshaped. */
export const TRANSFORM = '{"agent": {{ agentId | tojson }}, "name": {{ name | upper | tojson }}, "tokens": {{ usage.totalTokens }}, "tags": {{ tags | join(",") | tojson }}}'

/** The app, the paths to post to, and how many times the route handler ran. */
export interface IncomingBenchApp {
  app: Hono
  paths: string[]
  handled(): number
  manager: WebhookManager | null
}

/** Builds the benchmark's app with `hookCount` hooks (or `hookCount` bare paths). */
export async function buildIncomingApp(mode: IncomingBenchMode, hookCount: number): Promise<IncomingBenchApp> {
  const app = new Hono()
  let handled = 0
  if (mode === 'bare') {
    // The baseline: what any Hono JSON endpoint does — parse the body, answer JSON.
    app.post('/webhook/:token', async (c) => {
      const body = await c.req.json()
      if (body !== null && typeof body === 'object') handled++
      return c.json({ ok: true })
    })
    return { app, paths: Array.from({ length: hookCount }, (_, i) => `/webhook/bare${i}`), handled: () => handled, manager: null }
  }
  const manager = createWebhookManager({ store: memoryStore(process.env.BENCH_INCOMING_LOG_CAP ? { maxIncomingLogsPerHook: Number(process.env.BENCH_INCOMING_LOG_CAP) } : {}) })
  manager.onIncoming('bench', () => {
    handled++
    return { ok: true }
  })
  const paths: string[] = []
  for (let i = 0; i < hookCount; i++) {
    const hook = await manager.createIncomingHook({
      name: `bench ${i}`,
      route: 'bench',
      // The set-up: 40 hooks at the old maximum, so the per-hook cap never binds.
      rateLimitPerMinute: 100_000,
      transform: mode === 'hookline-transform' ? TRANSFORM : null,
    })
    paths.push(hook.path!)
  }
  app.post('/webhook/:token', toHonoHandler(manager.incomingHandler()))
  return { app, paths, handled: () => handled, manager }
}
