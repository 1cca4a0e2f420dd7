import { forkTs, type Child } from './child.js'

/** The receiver child process (bench/receiver.ts), seen from the parent. */
export interface ReceiverProcess {
  /** Process id of the receiver. */
  readonly pid: number
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Requests fully received since the last reset. */
  count(): Promise<number>
  /** Sets the count back to zero (and forgets the `/limited` arrival times). */
  reset(): Promise<void>
  /** Arrival times (epoch ms) of the requests to paths starting with `/limited` since the last reset. */
  limitedTimes(): Promise<number[]>
  /** Polls the count until it reaches `n`; resolves with the `performance.now()` when it did. */
  waitFor(n: number, options?: { timeoutMs?: number; intervalMs?: number }): Promise<number>
  close(): Promise<void>
}

/** Forks bench/receiver.ts and waits until it listens. */
export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const child: Child = forkTs('bench/receiver.ts')
  const { port } = await child.next<{ port: number }>('listening', 30_000)
  const origin = `http://127.0.0.1:${port}`
  const count = async (): Promise<number> => (await child.request<{ count: number }>('count')).count
  return {
    pid: child.process.pid ?? 0,
    url: `${origin}/hook`,
    origin,
    count,
    async reset() {
      await child.request('reset')
    },
    async limitedTimes() {
      return (await child.request<{ times: number[] }>('times')).times
    },
    async waitFor(n, { timeoutMs = 300_000, intervalMs = 10 } = {}) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const seen = await count()
        const now = performance.now()
        if (seen >= n) return now
        if (now > deadline) throw new Error(`receiver saw ${seen} of ${n} requests within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, intervalMs))
      }
    },
    close: () => child.close(),
  }
}
