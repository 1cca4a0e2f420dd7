import type { DeliveryRecord } from './records.js'

/** The unfinished deliveries of one line (an endpoint and an ordering key), oldest first. */
interface Line {
  list: DeliveryRecord[]
  /** The member claimed last, while it may still be leased. */
  leased: DeliveryRecord | null
}

/**
 * The memory store's fifo lines. Only a line's head (its oldest unfinished delivery) waits in the
 * due heap, together with members whose lease may run out: the others are parked, so a long line
 * costs a claim nothing. The store asks {@link FifoLines.parks} before scheduling a record and
 * {@link FifoLines.mayClaim} before leasing one, and tells the lines of every change.
 */
export class FifoLines {
  #lines = new Map<string, Line>()
  #order = 0

  /** A new delivery joins the back of its line (unordered ones are ignored). */
  add(d: DeliveryRecord): void {
    if (d.orderingKey === null) return
    d.order = this.#order++
    const line = this.#line(d, true)!
    line.list.push(d)
    if (d.status === 'delivering') line.leased ??= d
  }

  /**
   * A finished delivery made unfinished again (manual retry, replay) takes back its place by emit
   * order: it goes next, once the delivery in flight (if any) is done.
   */
  reinsert(d: DeliveryRecord): void {
    if (d.orderingKey === null) return
    const list = this.#line(d, true)!.list
    if (list.includes(d)) return
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid]!.order < d.order) lo = mid + 1
      else hi = mid
    }
    list.splice(lo, 0, d)
  }

  /** A delivery finished or was deleted: it leaves its line. */
  remove(d: DeliveryRecord): void {
    const line = this.#line(d, false)
    if (!line) return
    const i = line.list.indexOf(d)
    if (i >= 0) line.list.splice(i, 1)
    if (line.leased === d) line.leased = null
    if (line.list.length === 0) this.#lines.delete(this.#key(d))
  }

  /** `d` was leased by a claim. */
  leased(d: DeliveryRecord): void {
    const line = this.#line(d, false)
    if (line) line.leased = d
  }

  /** `d`'s lease ended (an outcome or a release was recorded). */
  unleased(d: DeliveryRecord): void {
    const line = this.#line(d, false)
    if (line && line.leased === d) line.leased = null
  }

  /** The first members of `d`'s line (the head and the one behind it), whose place in the heap may have changed. */
  front(d: DeliveryRecord): DeliveryRecord[] {
    return this.#line(d, false)?.list.slice(0, 2) ?? []
  }

  /** True when `d` must stay out of the due heap: a waiting (not leased) member of a line behind its head. */
  parks(d: DeliveryRecord): boolean {
    if (d.orderingKey === null || d.status === 'delivering') return false
    const list = this.#line(d, false)?.list
    return list !== undefined && list[0] !== d
  }

  /** True when `d` may be leased at `now`: unordered, or its line's head with no other member under a live lease. */
  mayClaim(d: DeliveryRecord, now: number): boolean {
    if (d.orderingKey === null) return true
    const line = this.#line(d, false)
    if (!line || line.list[0] !== d) return false
    const other = line.leased
    return other === null || other === d || other.status !== 'delivering' || other.lockedUntil === null || other.lockedUntil <= now
  }

  #key(d: DeliveryRecord): string {
    return `${d.endpointId}\u0000${d.orderingKey}`
  }

  #line(d: DeliveryRecord, create: boolean): Line | undefined {
    if (d.orderingKey === null) return undefined
    const key = this.#key(d)
    let line = this.#lines.get(key)
    if (!line && create) this.#lines.set(key, (line = { list: [], leased: null }))
    return line
  }
}
