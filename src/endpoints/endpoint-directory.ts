import { matchFilters } from '../events/match-filters.js'
import { isWildcard, matchPattern } from '../events/match-pattern.js'
import type { WebhookStore } from '../store/types.js'
import type { Clock, Endpoint } from '../types.js'

interface Index {
  loadedAt: number
  byId: Map<string, Endpoint>
  /** Exact event name → active endpoints subscribed to it by name. */
  exact: Map<string, Endpoint[]>
  /** Active endpoints with at least one wildcard pattern. */
  wildcard: Endpoint[]
  /** Per event name: the active endpoints whose patterns match (before owner and filters). */
  byEvent: Map<string, Endpoint[]>
}

const PAGE = 1000
const MAX_PAGES = 10_000

/**
 * A cached view of the endpoints: lookup by id for the dispatcher and the event-name index for
 * `emit`. Changes made through this process invalidate it at once; changes made by other processes
 * on a shared database are picked up after `ttlMs`.
 */
export class EndpointDirectory {
  #store: WebhookStore
  #clock: Clock
  #ttlMs: number
  #index: Index | null = null
  #loading: Promise<Index> | null = null
  #generation = 0

  constructor(store: WebhookStore, clock: Clock, ttlMs: number) {
    this.#store = store
    this.#clock = clock
    this.#ttlMs = ttlMs
  }

  /** Drops the cache; the next read reloads from the store. */
  invalidate(): void {
    this.#generation++
    this.#index = null
    this.#loading = null
  }

  /**
   * The endpoint with this id from the cached index, without waiting, when the index is loaded and
   * fresh and holds it; otherwise `undefined` (then ask `get`). The delivery path's lookup: no
   * promise per call while the cache serves it.
   */
  cached(id: string): Endpoint | undefined {
    return this.#fresh()?.byId.get(id)
  }

  /** The endpoint with this id (any status), or undefined. */
  async get(id: string): Promise<Endpoint | undefined> {
    const index = await this.#load()
    const hit = index.byId.get(id)
    if (hit) return hit
    // Created by another process since the last load.
    const fresh = await this.#store.getEndpoint(id)
    if (fresh) index.byId.set(id, fresh)
    return fresh ?? undefined
  }

  /** Ids of endpoints that are not active (their deliveries wait). */
  async inactiveIds(): Promise<string[]> {
    const index = await this.#load()
    const out: string[] = []
    for (const e of index.byId.values()) if (e.status !== 'active') out.push(e.id)
    return out
  }

  /** Active endpoints of `owner` subscribed to `event` whose filters accept `data`. */
  async match(event: string, data: unknown, owner: string | null): Promise<Endpoint[]> {
    return matchIn(await this.#load(), event, data, owner)
  }

  /**
   * `match` without waiting, when the cached index is loaded and fresh; otherwise `null` (then ask
   * `match`). Emit's lookup: no promise per call while the cache serves it.
   */
  matchCached(event: string, data: unknown, owner: string | null): Endpoint[] | null {
    const index = this.#fresh()
    return index === null ? null : matchIn(index, event, data, owner)
  }

  /** The cached index, when it is loaded and younger than the TTL. */
  #fresh(): Index | null {
    const index = this.#index
    return index !== null && this.#clock.now() - index.loadedAt < this.#ttlMs ? index : null
  }

  async #load(): Promise<Index> {
    const now = this.#clock.now()
    if (this.#index && now - this.#index.loadedAt < this.#ttlMs) return this.#index
    if (this.#loading) return this.#loading
    const generation = this.#generation
    const loading = this.#build(now).then((index) => {
      if (generation === this.#generation) {
        this.#index = index
        this.#loading = null
      }
      return index
    })
    this.#loading = loading
    try {
      return await loading
    } catch (error) {
      if (this.#loading === loading) this.#loading = null
      throw error
    }
  }

  async #build(now: number): Promise<Index> {
    const index: Index = { loadedAt: now, byId: new Map(), exact: new Map(), wildcard: [], byEvent: new Map() }
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows = await this.#store.listEndpoints({ limit: PAGE, offset: page * PAGE })
      for (const e of rows) {
        index.byId.set(e.id, e)
        if (e.status !== 'active') continue
        let wild = false
        for (const pattern of e.events) {
          if (isWildcard(pattern)) wild = true
          else {
            let list = index.exact.get(pattern)
            if (!list) index.exact.set(pattern, (list = []))
            list.push(e)
          }
        }
        if (wild) index.wildcard.push(e)
      }
      if (rows.length < PAGE) break
    }
    return index
  }
}

/** Active endpoints of `owner` in `index` subscribed to `event` whose filters accept `data`. */
function matchIn(index: Index, event: string, data: unknown, owner: string | null): Endpoint[] {
  let candidates = index.byEvent.get(event)
  if (!candidates) {
    const set = new Set(index.exact.get(event) ?? [])
    for (const e of index.wildcard) if (e.events.some((p) => matchPattern(p, event))) set.add(e)
    candidates = [...set]
    if (index.byEvent.size > 10_000) index.byEvent.clear()
    index.byEvent.set(event, candidates)
  }
  const out: Endpoint[] = []
  for (const e of candidates) if (e.owner === owner && matchFilters(e.filters, data)) out.push(e)
  return out
}
