/** What {@link DueHeap} keeps in each record it orders (the record is its own heap entry). */
export interface HeapItem {
  /** Position in the heap; -1 when not in it. */
  heapIndex: number
  /** Due time the record is ordered by. */
  dueAt: number
  /** Tie-break: records due at the same time come out in the order they were scheduled. */
  seq: number
}

/**
 * Min-heap of records by (due time, scheduling order). Intrusive: each record carries its own
 * position, so rescheduling or removing one moves it in place (no stale entries left behind, and
 * no entry object per record: one array slot each).
 */
export class DueHeap<T extends HeapItem> {
  #items: T[] = []
  #seq = 0

  get size(): number {
    return this.#items.length
  }

  /**
   * Puts `item` in the heap at due time `at`, or moves it there if it is in already. `seq` orders
   * items due at the same time (default: the order of these calls).
   */
  set(item: T, at: number, seq: number = this.#seq++): void {
    item.dueAt = at
    item.seq = seq
    if (item.heapIndex < 0) {
      item.heapIndex = this.#items.length
      this.#items.push(item)
      this.#up(item.heapIndex)
    } else this.#down(this.#up(item.heapIndex))
  }

  /** Takes `item` out of the heap (nothing when it is not in it). */
  remove(item: T): void {
    const i = item.heapIndex
    if (i < 0) return
    item.heapIndex = -1
    const last = this.#items.pop()!
    if (i === this.#items.length) return
    this.#items[i] = last
    last.heapIndex = i
    this.#down(this.#up(i))
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  pop(): T | undefined {
    const top = this.#items[0]
    if (top !== undefined) this.remove(top)
    return top
  }

  #up(i: number): number {
    const items = this.#items
    const item = items[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]!
      if (!less(item, p)) break
      items[i] = p
      p.heapIndex = i
      i = parent
    }
    items[i] = item
    item.heapIndex = i
    return i
  }

  #down(i: number): void {
    const items = this.#items
    const n = items.length
    const item = items[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && less(items[r]!, items[l]!) ? r : l
      const child = items[c]!
      if (!less(child, item)) break
      items[i] = child
      child.heapIndex = i
      i = c
    }
    items[i] = item
    item.heapIndex = i
  }
}

function less(a: HeapItem, b: HeapItem): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq)
}
