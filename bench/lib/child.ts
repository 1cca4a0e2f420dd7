import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Root of the repository (children run with it as their working directory). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A forked TypeScript child with request/response messaging over IPC. */
export interface Child {
  readonly process: ChildProcess
  /** Sends `{ type, id, ...payload }` and resolves with the child's reply carrying the same id. */
  request<T extends Record<string, unknown>>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** Resolves with the first message of this type (sent without an id). */
  next<T extends Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>
  /** Disconnects and waits for the exit (kills it after `graceMs`). */
  close(graceMs?: number): Promise<void>
}

interface Message {
  type: string
  id?: number
  error?: string
  [key: string]: unknown
}

/**
 * Forks `script` (a path relative to the repository root) under tsx. The child inherits stderr and
 * stdout so its crashes are visible.
 */
export function forkTs(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Child {
  const child = fork(script, args, {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  let nextId = 1
  const waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>()
  const typed = new Map<string, Message[]>()
  const typedWaiters = new Map<string, ((m: Message) => void)[]>()
  let exitError: Error | null = null
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitError = new Error(`${script} exited (code ${code}, signal ${signal})`)
      for (const w of waiting.values()) w.reject(exitError)
      waiting.clear()
      resolve()
    })
  })
  child.on('message', (m: Message) => {
    if (typeof m.id === 'number') {
      const w = waiting.get(m.id)
      if (!w) return
      waiting.delete(m.id)
      if (typeof m.error === 'string') w.reject(new Error(`${script}: ${m.error}`))
      else w.resolve(m)
      return
    }
    const list = typedWaiters.get(m.type)
    const waiter = list?.shift()
    if (waiter) waiter(m)
    else {
      const queue = typed.get(m.type) ?? []
      queue.push(m)
      typed.set(m.type, queue)
    }
  })

  const withTimeout = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${script}: no ${what} within ${timeoutMs} ms`)), timeoutMs)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  return {
    process: child,
    request<T extends Record<string, unknown>>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
      if (exitError) return Promise.reject(exitError)
      const id = nextId++
      const reply = new Promise<Message>((resolve, reject) => {
        waiting.set(id, { resolve, reject })
      })
      child.send({ ...payload, type, id })
      return withTimeout(reply, timeoutMs, `reply to ${type}`).finally(() => waiting.delete(id)) as Promise<unknown> as Promise<T>
    },
    next<T extends Record<string, unknown>>(type: string, timeoutMs = 30_000): Promise<T> {
      const queued = typed.get(type)?.shift()
      if (queued) return Promise.resolve(queued as unknown as T)
      if (exitError) return Promise.reject(exitError)
      const message = new Promise<Message>((resolve, reject) => {
        const list = typedWaiters.get(type) ?? []
        list.push(resolve)
        typedWaiters.set(type, list)
        void exited.then(() => reject(exitError))
      })
      return withTimeout(message, timeoutMs, `${type} message`) as Promise<unknown> as Promise<T>
    },
    async close(graceMs = 5000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
