import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach } from 'vitest'
import { createWebhookManager, type WebhookManager, type WebhookManagerOptions } from '../../src/index.js'
import { allowLoopback } from './egress.js'
import { createPgTestContext } from './pg.js'
import { startReceiver, type Receiver } from './receiver.js'

/** What a delivery test file shares: a receiver per test, and everything it started, stopped after it. */
export interface DeliveryFixture {
  /** The current test's receiver on 127.0.0.1 (a new one for each test). */
  readonly receiver: Receiver
  /** Managers closed (without draining) after each test. */
  readonly managers: WebhookManager[]
  /** Child processes, SIGKILLed after each test if still running. */
  readonly children: ChildProcess[]
  /** The file's Postgres context: its schemas are dropped and its pool closed after the file. */
  readonly pg: ReturnType<typeof createPgTestContext>
  /** A manager that may deliver to the receiver (`egress: allowLoopback`), closed after the test. */
  manage(options?: WebhookManagerOptions): WebhookManager
  /** A path in the file's temporary directory (made on first use, removed after the file). */
  tempPath(name: string): string
  /** Runs `cleanup` after the current test, once its managers are closed (before the receiver is). */
  defer(cleanup: () => unknown): void
}

/**
 * Registers the hooks of a delivery test file (or of the `describe` it is called in) and returns
 * what they manage. After each test, in this order: child processes are killed, managers closed,
 * deferred clean-ups run, the receiver closed. Call once per file or `describe`.
 */
export function useDeliveryFixture(): DeliveryFixture {
  let receiver: Receiver | null = null
  let dir: string | null = null
  const managers: WebhookManager[] = []
  const children: ChildProcess[] = []
  const deferred: (() => unknown)[] = []
  const pg = createPgTestContext()

  beforeEach(async () => {
    receiver = await startReceiver()
  })
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const m of managers.splice(0)) await m.close({ drain: false }).catch(() => {})
    for (const cleanup of deferred.splice(0)) await cleanup()
    await receiver?.close()
    receiver = null
  })
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    await pg.dispose()
  })

  return {
    get receiver(): Receiver {
      if (!receiver) throw new Error('the receiver exists only inside a test')
      return receiver
    },
    managers,
    children,
    pg,
    manage(options = {}) {
      const m = createWebhookManager({ egress: allowLoopback, ...options })
      managers.push(m)
      return m
    },
    tempPath(name) {
      dir ??= mkdtempSync(join(tmpdir(), 'hookline-test-'))
      return join(dir, name)
    },
    defer(cleanup) {
      deferred.push(cleanup)
    },
  }
}
