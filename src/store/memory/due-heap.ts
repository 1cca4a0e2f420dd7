interface Entry {
  at: number
  seq: number
  id: string
}

/**
 * Min-heap of (due time, id) with lazy deletion: callers push a new entry whenever an id's due time
 * changes and skip entries whose time no longer matches the record when they pop.
 */
export class DueHeap {
  #items: Entry[] = []
  #seq = 0

  get size(): number {
    return this.#items.length
  }

  push(id: string, at: number): void {
    const items = this.#items
    items.push({ at, seq: this.#seq++, id })
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(items[i]!, items[parent]!)) break
      swap(items, i, parent)
      i = parent
    }
  }

  peek(): Entry | undefined {
    return this.#items[0]
  }

  pop(): Entry | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let smallest = i
      if (l < items.length && less(items[l]!, items[smallest]!)) smallest = l
      if (r < items.length && less(items[r]!, items[smallest]!)) smallest = r
      if (smallest === i) break
      swap(items, i, smallest)
      i = smallest
    }
    return top
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function swap(items: Entry[], i: number, j: number): void {
  const t = items[i]!
  items[i] = items[j]!
  items[j] = t
}
