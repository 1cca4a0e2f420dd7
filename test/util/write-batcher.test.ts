import { describe, expect, it, vi } from 'vitest'
import { WriteBatcher } from '../../src/util/write-batcher.js'

/** A write that waits until released, recording the batches it was given. */
function gatedWriter() {
  const batches: number[][] = []
  const gates: (() => void)[] = []
  let inFlight = 0
  let maxInFlight = 0
  return {
    batches,
    get maxInFlight() {
      return maxInFlight
    },
    release(): void {
      for (const open of gates.splice(0)) open()
    },
    run: async (items: number[]): Promise<number[]> => {
      batches.push(items)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise<void>((resolve) => gates.push(resolve))
      inFlight--
      return items.map((x) => x * 10)
    },
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('WriteBatcher', () => {
  it('.add() - an item alone goes out at once; items added meanwhile share the next batch', async () => {
    const w = gatedWriter()
    const batcher = new WriteBatcher({ run: w.run })
    const first = batcher.add(1)
    await tick()
    expect(w.batches).toEqual([[1]])
    const rest = [2, 3, 4].map((x) => batcher.add(x))
    await tick()
    expect(w.batches).toEqual([[1]]) // one in flight: the rest wait
    w.release()
    expect(await first).toBe(10)
    await tick()
    expect(w.batches).toEqual([[1], [2, 3, 4]])
    w.release()
    expect(await Promise.all(rest)).toEqual([20, 30, 40])
  })

  it('.add() - never more than maxInFlight batches at once, batches of at most maxBatch', async () => {
    const w = gatedWriter()
    const batcher = new WriteBatcher({ run: w.run, maxInFlight: 2, maxBatch: 3 })
    const all = Array.from({ length: 10 }, (_, i) => batcher.add(i))
    for (let i = 0; i < 20 && w.batches.flat().length < 10; i++) {
      await tick()
      w.release()
    }
    expect(await Promise.all(all)).toEqual(Array.from({ length: 10 }, (_, i) => i * 10))
    expect(w.maxInFlight).toBeLessThanOrEqual(2)
    expect(Math.max(...w.batches.map((b) => b.length))).toBeLessThanOrEqual(3)
    expect(w.batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => i))
  })

  it("delay 'immediate' collects the items of one turn into one batch", async () => {
    const batches: number[][] = []
    const batcher = new WriteBatcher({ run: async (items: number[]) => (batches.push(items), items), delay: 'immediate' })
    await Promise.all([1, 2, 3].map((x) => batcher.add(x)))
    expect(batches).toEqual([[1, 2, 3]])
  })

  it('a rejected result fails its item alone; a failed run fails its whole batch', async () => {
    const batcher = new WriteBatcher<number, number>({
      delay: 'immediate',
      run: async (items) => {
        if (items.includes(99)) throw new Error('batch refused')
        return items.map((x) => (x === 2 ? Promise.reject(new Error('item 2 refused')) : x))
      },
    })
    const settled = await Promise.allSettled([1, 2, 3].map((x) => batcher.add(x)))
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('item 2 refused')
    const failed = await Promise.allSettled([98, 99].map((x) => batcher.add(x)))
    expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected'])
  })

  it('a run that answers with the wrong number of results fails its batch instead of hanging', async () => {
    const batcher = new WriteBatcher<number, number>({ delay: 'immediate', run: async (items) => items.slice(1) })
    const settled = await Promise.allSettled([1, 2, 3].map((x) => batcher.add(x)))
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected'])
    const broken = new WriteBatcher<number, number>({ run: async () => undefined as unknown as number[] })
    await expect(broken.add(1)).rejects.toThrow(/1 was written with no results/)
    await broken.drain()
  })

  it('.drain() resolves once everything queued is written', async () => {
    const written: number[] = []
    const batcher = new WriteBatcher({
      maxBatch: 2,
      run: async (items: number[]) => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        written.push(...items)
        return items
      },
    })
    for (let i = 0; i < 7; i++) void batcher.add(i)
    await batcher.drain()
    expect(written).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('linger: a batch waits for minBatch items or for its oldest to wait maxWaitMs; drain() does not wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const batches: number[][] = []
      let linger: { minBatch: number; maxWaitMs: number } | null = { minBatch: 3, maxWaitMs: 100 }
      const batcher = new WriteBatcher({ run: async (items: number[]) => (batches.push(items), items), linger: () => linger })
      const firstTwo = [batcher.add(1), batcher.add(2)]
      await vi.advanceTimersByTimeAsync(50)
      expect(batches).toEqual([]) // 2 of 3, the oldest has waited 50 of 100 ms
      void batcher.add(3)
      await vi.advanceTimersByTimeAsync(0)
      expect(batches).toEqual([[1, 2, 3]]) // minBatch reached
      expect(await Promise.all(firstTwo)).toEqual([1, 2])
      const alone = batcher.add(4)
      await vi.advanceTimersByTimeAsync(99)
      expect(batches).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1)
      expect(batches).toEqual([[1, 2, 3], [4]]) // its oldest waited maxWaitMs
      expect(await alone).toBe(4)
      void batcher.add(5)
      await batcher.drain()
      expect(batches.at(-1)).toEqual([5])
      linger = null // no linger: at once
      void batcher.add(6)
      await vi.advanceTimersByTimeAsync(0)
      expect(batches.at(-1)).toEqual([6])
    } finally {
      vi.useRealTimers()
    }
  })
})
