import type * as OtelApi from '@opentelemetry/api'
import type { Attempt, Message } from '../types.js'

/** OpenTelemetry settings of a manager (`telemetry` option). */
export interface TelemetryOptions {
  /**
   * Send the W3C `traceparent` (through the host's registered propagator) with each delivery, so
   * the receiver's spans join the trace of the `emit` that caused it. @default false
   */
  traceparent?: boolean
}

type Api = typeof OtelApi

let loading: Promise<Api | null> | null = null

/**
 * `@opentelemetry/api`, imported once per process on first use, or `null` when it is not
 * installed: hookline never requires it and pays nothing without it.
 */
export function loadOpenTelemetry(): Promise<Api | null> {
  return (loading ??= import('@opentelemetry/api').then(
    (api) => api,
    () => null,
  ))
}

/** Emit span contexts kept for the attempts made in this process (oldest dropped first). */
const MAX_REMEMBERED = 10_000

/** Metric attributes by outcome, made once per outcome (instruments read them, never change them). */
const byOutcome = new Map<string, { outcome: string }>()
function outcomeAttributes(outcome: string): { outcome: string } {
  let attributes = byOutcome.get(outcome)
  if (attributes === undefined) byOutcome.set(outcome, (attributes = { outcome }))
  return attributes
}

/** Gauges read when the host's meter collects. */
export interface TelemetryGauges {
  queue(): { held: number; active: number }
  breakers(): { closed: number; open: number; 'half-open': number }
}

/**
 * Spans and metrics of one manager, through the host's OpenTelemetry SDK. Spans are written after
 * the fact with their real start and end times, so the delivery path carries no tracing code.
 */
export class Telemetry {
  #api: Api | null = null
  #tracer: OtelApi.Tracer | null = null
  #attempts: OtelApi.Counter | null = null
  #duration: OtelApi.Histogram | null = null
  #emitted: OtelApi.Counter | null = null
  #incoming: OtelApi.Counter | null = null
  #traceparent: boolean
  /** The tracer provider the API's proxy answers with while no SDK is registered (see `#tracing`). */
  #noopTracerProvider: OtelApi.TracerProvider | null = null
  /** messageId → the context of its emit span. */
  #emits = new Map<string, OtelApi.Context>()
  readonly #gauges: TelemetryGauges
  #ready: Promise<void> | null = null

  constructor(options: TelemetryOptions, gauges: TelemetryGauges) {
    this.#traceparent = options.traceparent === true
    this.#gauges = gauges
  }

  /**
   * Loads `@opentelemetry/api` on first access (not when the manager is made: a manager that never
   * emits, sends or answers never loads it); resolves once it is loaded (or known to be missing).
   */
  get ready(): Promise<void> {
    return (this.#ready ??= loadOpenTelemetry().then((api) => {
      if (api === null) return
      const gauges = this.#gauges
      this.#api = api
      this.#noopTracerProvider = new api.ProxyTracerProvider().getDelegate()
      this.#tracer = api.trace.getTracer('hookline')
      const meter = api.metrics.getMeter('hookline')
      this.#attempts = meter.createCounter('hookline.delivery.attempts', { description: 'Delivery attempts by the state the delivery moved to (outcome).' })
      this.#duration = meter.createHistogram('hookline.delivery.attempt.duration', { description: 'Duration of delivery attempts.', unit: 's' })
      this.#emitted = meter.createCounter('hookline.emitted.messages', { description: 'Events emitted.' })
      this.#incoming = meter.createCounter('hookline.incoming.requests', { description: 'Requests answered by the incoming handler.' })
      meter.createObservableGauge('hookline.queue.deliveries', { description: 'Deliveries held by this worker (held) and queued or being sent (active).' }).addCallback((r) => {
        const q = gauges.queue()
        r.observe(q.held, { state: 'held' })
        r.observe(q.active, { state: 'active' })
      })
      meter.createObservableGauge('hookline.breakers', { description: 'Circuit breakers of endpoints called by this process, by state.' }).addCallback((r) => {
        const b = gauges.breakers()
        for (const state of ['closed', 'open', 'half-open'] as const) r.observe(b[state], { state })
      })
    }))
  }

  /** True once the API is loaded: callers skip all work otherwise. */
  get active(): boolean {
    return this.#api !== null
  }

  /**
   * False while no tracer provider is registered: the API's global proxy then hands out no-op
   * spans, so building their attributes per emit and per attempt would buy nothing. Checked on
   * every call (an SDK may be registered later), without allocating.
   */
  #tracing(): boolean {
    const provider = this.#api!.trace.getTracerProvider()
    return !(provider instanceof this.#api!.ProxyTracerProvider) || provider.getDelegate() !== this.#noopTracerProvider
  }

  /** A finished `emit`: a `hookline.emit` span (child of the caller's active span) from `startedAt` to now. */
  emitted(message: Message, endpointCount: number, startedAt: number, duplicate: boolean): void {
    const api = this.#api!
    this.#emitted!.add(duplicate ? 0 : 1, { 'hookline.event': message.event })
    if (!this.#tracing()) return
    const span = this.#tracer!.startSpan(
      'hookline.emit',
      {
        kind: api.SpanKind.PRODUCER,
        startTime: startedAt,
        attributes: { 'hookline.event': message.event, 'hookline.endpoint_count': endpointCount, 'hookline.message_id': message.id, 'hookline.duplicate': duplicate },
      },
      api.context.active(),
    )
    // Without an SDK (or unsampled) there is nothing to parent the attempts to.
    const recording = span.isRecording()
    span.end()
    if (!recording) return
    this.#emits.set(message.id, api.trace.setSpan(api.context.active(), span))
    if (this.#emits.size > MAX_REMEMBERED) this.#emits.delete(this.#emits.keys().next().value!)
  }

  /** One recorded attempt: a `hookline.deliver` span under its emit's span (when emitted here), and the metrics. */
  attempted(messageId: string, attempt: Attempt, outcome: string): void {
    const api = this.#api!
    if (attempt.trigger !== 'test') {
      const attributes = outcomeAttributes(outcome)
      this.#attempts!.add(1, attributes)
      this.#duration!.record(attempt.durationMs / 1000, attributes)
    }
    if (!this.#tracing()) return
    const parent = this.#emits.get(messageId) ?? api.ROOT_CONTEXT
    const span = this.#tracer!.startSpan(
      'hookline.deliver',
      {
        kind: api.SpanKind.CLIENT,
        startTime: attempt.startedAt,
        attributes: {
          'hookline.endpoint_id': attempt.endpointId,
          'hookline.delivery_id': attempt.deliveryId,
          'hookline.attempt': attempt.attempt,
          'hookline.trigger': attempt.trigger,
          'hookline.outcome': outcome,
          'http.request.method': attempt.method,
          ...(attempt.responseStatus === null ? {} : { 'http.response.status_code': attempt.responseStatus }),
          ...(attempt.error === null ? {} : { 'error.message': attempt.error }),
          'hookline.duration_ms': attempt.durationMs,
        },
      },
      parent,
    )
    if (!attempt.succeeded) span.setStatus({ code: api.SpanStatusCode.ERROR, message: attempt.error ?? `HTTP ${attempt.responseStatus}` })
    span.end(attempt.startedAt.getTime() + attempt.durationMs)
  }

  /** One incoming request answered: a `hookline.incoming` span and the request counter. */
  incoming(status: number, startedAt: number): void {
    const api = this.#api!
    this.#incoming!.add(1, { 'http.response.status_code': status })
    const span = this.#tracer!.startSpan('hookline.incoming', { kind: api.SpanKind.SERVER, startTime: startedAt, attributes: { 'http.response.status_code': status } }, api.context.active())
    if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
    span.end()
  }

  /**
   * The trace headers of a delivery of `message` (the emit span's context through the host's
   * propagator), when `traceparent` is on and the message was emitted in this process.
   */
  traceHeaders(message: Message): Record<string, string> | undefined {
    if (!this.#traceparent || this.#api === null) return undefined
    const ctx = this.#emits.get(message.id)
    if (ctx === undefined) return undefined
    const carrier: Record<string, string> = {}
    this.#api.propagation.inject(ctx, carrier)
    return carrier
  }
}
