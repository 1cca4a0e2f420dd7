// The manager-level checks of an endpoint before it is saved: a destination the egress guard allows,
// custom headers that do not override hookline's own, and (with `strictEventTypes`) known events.

import { authHeader, type HeaderNames } from '../dispatch/build-request.js'
import type { EgressPolicy } from '../dispatch/egress-guard.js'
import { ValidationError } from '../errors.js'
import type { EventCatalog } from '../events/event-catalog.js'
import type { Endpoint } from '../types.js'

export interface EndpointRulesDeps {
  egress: EgressPolicy
  catalog: EventCatalog
  headerNames: HeaderNames
  /** Header names hookline sets on every request (lower-cased). */
  ownHeaders: ReadonlySet<string>
  strictEventTypes: boolean
}

export class EndpointRules {
  readonly #deps: EndpointRulesDeps

  constructor(deps: EndpointRulesDeps) {
    this.#deps = deps
  }

  /** Refuses a URL whose host is, as spelled, an address the egress guard refuses (or `localhost`). */
  checkDestination(url: string): void {
    const refused = this.#deps.egress.urlRefusal(url)
    if (refused) throw new ValidationError('endpoint', [{ field: 'url', message: `${refused.reason} (allow it with the manager's \`egress\` option)` }])
  }

  /** Refuses custom headers that hookline or the endpoint's auth set themselves (names ignore case). */
  checkHeaders(endpoint: Endpoint): void {
    const auth = endpoint.auth
    const authName = auth === null ? null : authHeader(auth, this.#deps.headerNames).toLowerCase()
    const issues = Object.keys(endpoint.headers).flatMap((name) => {
      const lower = name.toLowerCase()
      if (lower === 'user-agent') return [{ field: `headers.${name}`, message: 'is set by hookline; choose it for every endpoint with the manager option `userAgent`' }]
      if (this.#deps.ownHeaders.has(lower)) return [{ field: `headers.${name}`, message: 'is set by hookline and cannot be overridden' }]
      if (lower === authName) return [{ field: `headers.${name}`, message: `is set by the endpoint's ${auth!.type} auth` }]
      return []
    })
    if (issues.length > 0) throw new ValidationError('endpoint', issues)
  }

  /** With `strictEventTypes`, refuses subscriptions to exact event names the catalog does not know. */
  checkStrictEvents(events: string[]): void {
    if (!this.#deps.strictEventTypes) return
    const unknown = events.filter((e) => !e.includes('*') && !this.#deps.catalog.has(e))
    if (unknown.length > 0) throw new ValidationError('endpoint', [{ field: 'events', message: `unknown event types: ${unknown.join(', ')}` }])
  }
}
