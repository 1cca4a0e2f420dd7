// An endpoint's health as its outcomes arrive: keeps `failingSince` and applies the auto-disable
// rules (410 Gone; nothing but failures for too long), one store write per endpoint at a time.

import type { EndpointDirectory } from '../endpoints/endpoint-directory.js'
import type { WebhookStore } from '../store/types.js'
import type { Clock, Endpoint } from '../types.js'

export interface EndpointHealthDeps {
  store: WebhookStore
  directory: EndpointDirectory
  clock: Clock
  /** Failing this long disables an endpoint; `null` never. */
  disableAfterFailingMs: number | null
  disabled: (endpointId: string, reason: string) => void
  onError: (error: unknown) => void
}

export class EndpointHealth {
  readonly #deps: EndpointHealthDeps
  readonly #writes = new Set<string>()
  /** Disables decided while a health write of the same endpoint was in flight, written after it. */
  readonly #pendingDisables = new Map<string, { reason: string; at: number }>()

  constructor(deps: EndpointHealthDeps) {
    this.#deps = deps
  }

  /** Takes one (non-test) attempt's outcome into account. */
  track(endpoint: Endpoint, succeeded: boolean, status: number | null): void {
    const now = this.#deps.clock.now()
    const disableAfter = this.#deps.disableAfterFailingMs
    let reason: string | null = null
    if (status === 410) reason = 'endpoint answered 410 Gone'
    else if (!succeeded && endpoint.failingSince && disableAfter !== null && now - endpoint.failingSince.getTime() >= disableAfter) {
      reason = `nothing but failures since ${endpoint.failingSince.toISOString()}`
    }
    const needsWrite = reason !== null || (succeeded ? endpoint.failingSince !== null : endpoint.failingSince === null)
    if (!needsWrite) return
    if (this.#writes.has(endpoint.id)) {
      // A write for this endpoint is in flight: a failingSince update can wait for the next
      // outcome, but a disable must not be lost; it is written when that write is done.
      if (reason !== null && !this.#pendingDisables.has(endpoint.id)) this.#pendingDisables.set(endpoint.id, { reason, at: now })
      return
    }
    this.#write(endpoint.id, reason, succeeded, now)
  }

  /** Writes one health change of an endpoint (disable, or failingSince set / cleared), re-reading it first. */
  #write(endpointId: string, reason: string | null, succeeded: boolean, now: number): void {
    const { store, directory } = this.#deps
    this.#writes.add(endpointId)
    void (async () => {
      const fresh = await store.getEndpoint(endpointId)
      if (!fresh) return
      let next: Endpoint
      if (reason !== null) {
        if (fresh.status === 'disabled') return
        next = { ...fresh, status: 'disabled', disabledReason: reason, updatedAt: new Date(now) }
      } else next = { ...fresh, failingSince: succeeded ? null : (fresh.failingSince ?? new Date(now)) }
      await store.updateEndpoint(next)
      directory.invalidate()
      if (reason !== null) this.#deps.disabled(endpointId, reason)
    })()
      .catch((error: unknown) => this.#deps.onError(error))
      .finally(() => {
        this.#writes.delete(endpointId)
        const pending = this.#pendingDisables.get(endpointId)
        if (pending === undefined) return
        this.#pendingDisables.delete(endpointId)
        this.#write(endpointId, pending.reason, false, pending.at)
      })
  }
}
