import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DueLanes } from '../../src/store/memory/due-lanes.js'
import { fuzzParams } from '../fuzz/fuzz-settings.js'

interface Item {
  id: number
  endpointId: string
  heapIndex: number
  dueAt: number
  seq: number
}

type Op =
  | { kind: 'set'; id: number; at: number }
  | { kind: 'remove'; id: number }
  | { kind: 'take'; now: number; limit: number; excluded: string[] }

const ENDPOINTS = ['a', 'b', 'c', 'd']
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 30 }), at: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 30 }) }),
  fc.record({
    kind: fc.constant('take' as const),
    now: fc.integer({ min: 0, max: 25 }),
    limit: fc.integer({ min: 0, max: 8 }),
    excluded: fc.subarray(ENDPOINTS),
  }),
)

describe('memory store due lanes', () => {
  it('hands out items in the order one heap of every item would (due time, then scheduling order), stepping over excluded endpoints', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const lanes = new DueLanes<Item>()
        const items = Array.from({ length: 31 }, (_, id): Item => ({ id, endpointId: ENDPOINTS[id % ENDPOINTS.length]!, heapIndex: -1, dueAt: 0, seq: 0 }))
        // The model: every queued item with its due time and the order it was (re)scheduled in.
        const model = new Map<number, { at: number; order: number }>()
        let order = 0
        const sorted = () => [...model].sort(([, x], [, y]) => x.at - y.at || x.order - y.order)
        for (const o of ops) {
          if (o.kind === 'set') {
            lanes.set(items[o.id]!, o.at)
            model.set(o.id, { at: o.at, order: order++ })
          } else if (o.kind === 'remove') {
            lanes.remove(items[o.id]!)
            model.delete(o.id)
          } else {
            const excluded = new Set(o.excluded)
            const expected = sorted()
              .filter(([id, e]) => e.at <= o.now && !excluded.has(items[id]!.endpointId))
              .slice(0, o.limit)
              .map(([id]) => id)
            const taken: number[] = []
            lanes.takeDue(o.now, o.limit, excluded.size > 0 ? excluded : undefined, (item) => taken.push(item.id))
            expect(taken).toEqual(expected)
            for (const id of taken) model.delete(id)
            expect(items.filter((i) => i.heapIndex >= 0).length).toBe(model.size)
          }
          const head = sorted()[0]
          expect(lanes.peek()?.id).toBe(head?.[0])
        }
      }),
      fuzzParams(),
    )
  })

  it('an item rescheduled from inside takeDue (a claim leasing it) goes back in its lane at its new time', () => {
    const lanes = new DueLanes<Item>()
    const a1: Item = { id: 1, endpointId: 'a', heapIndex: -1, dueAt: 0, seq: 0 }
    const a2: Item = { id: 2, endpointId: 'a', heapIndex: -1, dueAt: 0, seq: 0 }
    const b1: Item = { id: 3, endpointId: 'b', heapIndex: -1, dueAt: 0, seq: 0 }
    lanes.set(a1, 1)
    lanes.set(b1, 2)
    lanes.set(a2, 3)
    const taken: number[] = []
    lanes.takeDue(5, 10, new Set(['b']), (item) => {
      taken.push(item.id)
      lanes.set(item, 100) // leased until 100
    })
    expect(taken).toEqual([1, 2])
    expect(lanes.peek()).toBe(b1)
    lanes.takeDue(200, 10, undefined, (item) => taken.push(item.id))
    expect(taken).toEqual([1, 2, 3, 1, 2])
  })
})
