import { Dispatcher } from 'undici'

const OK = Buffer.from('ok')
const RAW_HEADERS = [Buffer.from('content-length'), Buffer.from('2'), Buffer.from('content-type'), Buffer.from('text/plain')]

/**
 * An undici dispatcher that answers every request `200 ok` on the next turn of the event loop,
 * without a socket: the bottom of the send path replaced and nothing else. hookline's transport,
 * ofetch, undici's request API and its response stream all run as they do over the network.
 * Counts the requests, so a run is checked like one against the receiver.
 */
export class AnswerAtOnce extends Dispatcher {
  count = 0
  #pending: Dispatcher.DispatchHandler[] = []
  #scheduled = false

  override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.count++
    this.#pending.push(handler)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.#answer())
    }
    return true
  }

  #answer(): void {
    this.#scheduled = false
    const handlers = this.#pending
    this.#pending = []
    for (const h of handlers as LegacyHandler[]) {
      h.onConnect?.(() => {})
      h.onHeaders?.(200, RAW_HEADERS, () => {}, 'OK')
      h.onData?.(OK)
      h.onComplete?.([])
    }
  }

  override async close(): Promise<void> {}
  override async destroy(): Promise<void> {}
}

/** The callbacks undici's `request()` handler implements (its legacy handler interface). */
interface LegacyHandler {
  onConnect?(abort: () => void): void
  onHeaders?(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean
  onData?(chunk: Buffer): boolean
  onComplete?(trailers: Buffer[]): void
}
