import type { EgressPolicy } from './egress-guard.js'
import type { OutgoingRequest, SendResult } from './send-request.js'
import { createUndiciFetch, transportOf, type UndiciFetch } from './undici-fetch.js'

/** Sends one built request (see `createSender`). */
export type Send = (request: OutgoingRequest) => Promise<SendResult>

/**
 * A manager's HTTP sender, made when it is first needed — the first request sent, or `load()`
 * (the manager's `start()`) — rather than when the manager is made: ofetch (with
 * node-fetch-native) is imported then, and the default transport's undici pool created. A CLI
 * command that only reads the store, and a host that imports hookline or makes a manager without
 * sending, load neither (about a third of such a command's CPU; see docs/benchmarks.md).
 */
export class LazySender {
  readonly #fetch: typeof fetch | undefined
  readonly #egress: EgressPolicy
  /** The default transport, once made; `null` with a host's own `fetch`. */
  #transport: UndiciFetch | null = null
  #send: Send | null = null
  #loading: Promise<Send> | null = null

  /**
   * @param fetchImpl the host's own `fetch` (a transport of `createUndiciFetch` keeps its headers
   *   and abort handle), or `undefined` for hookline's transport, guarded by `egress`
   */
  constructor(fetchImpl: typeof fetch | undefined, egress: EgressPolicy) {
    this.#fetch = fetchImpl
    this.#egress = egress
  }

  /** Sends a request, loading the sender first on the first call. Pass it as the dispatcher's `send`. */
  readonly send: Send = (request) => (this.#send !== null ? this.#send(request) : this.load().then((send) => send(request)))

  /** Loads the sender (once); resolves when it is ready. */
  load(): Promise<Send> {
    return (this.#loading ??= import('./send-request.js').then(({ createSender }) => {
      const host = this.#fetch
      const transport = host === undefined ? (this.#transport = createUndiciFetch({ egress: this.#egress })) : transportOf(host)
      this.#send = transport === undefined ? createSender(host!) : createSender(transport.fetch, transport.Headers, transport.createAbortable)
      return this.#send
    }))
  }

  /** Closes the default transport's connections, if it was made (after a load still running). */
  async close(): Promise<void> {
    await this.#loading?.catch(() => {})
    await this.#transport?.close()
  }
}
