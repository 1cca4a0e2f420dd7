import { DueHeap, type HeapItem } from './due-heap.js'

/** What {@link DueLanes} orders: a heap item that belongs to one endpoint. */
export interface LaneItem extends HeapItem {
  /** The endpoint whose lane the item is in. */
  readonly endpointId: string
}

/** One endpoint's due items, itself ordered among the lanes by its earliest item. */
interface Lane<T extends LaneItem> extends HeapItem {
  endpointId: string
  items: DueHeap<T>
  /** Set aside by a running claim that excludes its endpoint: not in the lane heap meanwhile. */
  aside: boolean
}

/**
 * The memory store's due queue: one min-heap per endpoint and a heap of the endpoints by their
 * earliest item, ordered as one heap of every item would be (by due time, then by the order items
 * were scheduled). A claim that leaves out some endpoints (at their concurrency cap, paused, their
 * breaker open) steps over each of them once, whatever their backlog, instead of taking out and
 * putting back every one of their due items.
 */
export class DueLanes<T extends LaneItem> {
  readonly #lanes = new DueHeap<Lane<T>>()
  readonly #byEndpoint = new Map<string, Lane<T>>()
  #seq = 0

  /** Puts `item` in its endpoint's lane at due time `at`, or moves it there if it is in already. */
  set(item: T, at: number): void {
    let lane = this.#byEndpoint.get(item.endpointId)
    if (lane === undefined) {
      lane = { endpointId: item.endpointId, items: new DueHeap<T>(), aside: false, heapIndex: -1, dueAt: 0, seq: 0 }
      this.#byEndpoint.set(item.endpointId, lane)
    }
    lane.items.set(item, at, this.#seq++)
    this.#place(lane)
  }

  /** Takes `item` out (nothing when it is not in). */
  remove(item: T): void {
    if (item.heapIndex < 0) return
    const lane = this.#byEndpoint.get(item.endpointId)
    if (lane === undefined) return
    lane.items.remove(item)
    this.#place(lane)
  }

  /** The earliest item of all. */
  peek(): T | undefined {
    return this.#lanes.peek()?.items.peek()
  }

  /**
   * Takes out, earliest first, up to `limit` items due at `now` or before, stepping over the lanes
   * of `excluded` endpoints (which keep their items and their order), and hands each to `take`. An
   * item `take` declines (returns `false`: it waits behind its fifo line's head) is out of the
   * queue and does not count against `limit`.
   */
  takeDue(now: number, limit: number, excluded: ReadonlySet<string> | undefined, take: (item: T) => unknown): void {
    const aside: Lane<T>[] = []
    try {
      for (let taken = 0; taken < limit; ) {
        const lane = this.#lanes.peek()
        if (lane === undefined || lane.dueAt > now) break
        if (excluded?.has(lane.endpointId)) {
          this.#lanes.remove(lane)
          lane.aside = true
          aside.push(lane)
          continue
        }
        const item = lane.items.pop()!
        this.#place(lane)
        if (take(item) !== false) taken++
      }
    } finally {
      for (const lane of aside) {
        lane.aside = false
        this.#place(lane)
      }
    }
  }

  /** Puts a lane where its earliest item says among the lanes; an empty lane is dropped. */
  #place(lane: Lane<T>): void {
    if (lane.aside) return
    const head = lane.items.peek()
    if (head === undefined) {
      this.#lanes.remove(lane)
      this.#byEndpoint.delete(lane.endpointId)
    } else if (head.dueAt !== lane.dueAt || head.seq !== lane.seq || lane.heapIndex < 0) this.#lanes.set(lane, head.dueAt, head.seq)
  }
}
