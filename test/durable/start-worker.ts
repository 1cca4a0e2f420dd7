import { spawn, type ChildProcess } from 'node:child_process'
import { childEntry } from '../helpers/child-entry.js'
import { PG_URL } from '../helpers/pg.js'

/**
 * Starts `worker-process.ts` (a manager on the Postgres `schema`) as a child process and resolves
 * once it is delivering. The child is pushed to `children` so the test can kill what it started.
 * The worker runs from the bundle the global setup built (no per-start compile); the start time
 * is still generous for a heavily loaded machine.
 */
export function startWorker(children: ChildProcess[], schema: string, id: string, env: Record<string, string> = {}, startTimeoutMs = 90_000): Promise<ChildProcess> {
  return new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, childEntry('worker'), {
      env: { ...process.env, PG_URL, PG_SCHEMA: schema, WORKER_ID: id, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    const timer = setTimeout(() => reject(new Error(`worker ${id} did not start within ${startTimeoutMs} ms`)), startTimeoutMs)
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${id}] ${chunk}`))
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== null && code !== 0) reject(new Error(`worker ${id} exited with ${code}`))
    })
  })
}
