import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PG_URL, pgAvailable } from '../helpers/pg.js'
import { useDeliveryFixture } from '../helpers/delivery-fixture.js'

// After close(), nothing of hookline's keeps the process alive: the linger timer of the outcome
// writes, the coalesced NOTIFY's timer, the transport's keep-alive sockets and the pool are all
// gone. The receiver is this process's, so its sockets cannot hold the child open.
const fx = useDeliveryFixture()
const SCRIPT = fileURLToPath(new URL('./fixtures/close-and-exit.ts', import.meta.url))

describe.skipIf(!pgAvailable)('close() on Postgres', () => {
  it('lets the process exit by itself after a burst and a single emit were delivered', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, PG_URL, PG_SCHEMA: fx.pg.schema(), RECEIVER_URL: fx.receiver.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    // Bounded: a child still alive after 45 s is killed and the test fails.
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000)
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
    clearTimeout(killer)
    expect({ code, signal, out: out.trim() }, err.slice(0, 2000)).toEqual({ code: 0, signal: null, out: 'closed 51' })
  }, 60_000)
})
