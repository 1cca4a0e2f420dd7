import { AsyncLocalStorage } from 'node:async_hooks'
import { context, metrics, propagation, trace, ROOT_CONTEXT, SpanStatusCode, type Context, type ContextManager } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

/** The context manager a Node SDK registers, in a few lines (AsyncLocalStorage). */
class AlsContextManager implements ContextManager {
  #als = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#als.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#als.disable()
    return this
  }
}

// The host's SDK, with in-memory exporters.
const spans = new InMemorySpanExporter()
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
const meterProvider = new MeterProvider({ readers: [reader] })

let manager: WebhookManager
let receiver: Receiver

beforeAll(async () => {
  context.setGlobalContextManager(new AlsContextManager())
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  receiver = await startReceiver()
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { maxAttempts: 2, initialDelayMs: 0, jitter: 0 }, telemetry: { traceparent: true } })
  await manager.start()
})
afterAll(async () => {
  await manager?.close()
  await receiver?.close()
  await tracerProvider.shutdown()
  await meterProvider.shutdown()
})

describe('OpenTelemetry', () => {
  it('writes emit and attempt spans in the caller’s trace, sends traceparent, and records metrics', async () => {
    receiver.respond((_req, i) => (i === 0 ? { status: 503, body: 'later' } : { status: 200 }))
    const endpoint = await manager.createEndpoint({ url: `${receiver.url}/otel`, events: ['order.*'] })
    const tracer = trace.getTracer('host-app')
    const parent = tracer.startSpan('POST /orders')
    await context.with(trace.setSpan(context.active(), parent), () => manager.emit('order.paid', { id: 1 }))
    parent.end()
    const requests = await receiver.waitFor(2, 10_000)
    for (let i = 0; i < 200 && spans.getFinishedSpans().filter((s) => s.name === 'hookline.deliver').length < 2; i++) await new Promise((r) => setTimeout(r, 25))

    const finished = spans.getFinishedSpans()
    const emit = finished.find((s) => s.name === 'hookline.emit')!
    expect(emit.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    expect(emit.spanContext().traceId).toBe(parent.spanContext().traceId)
    expect(emit.attributes).toMatchObject({ 'hookline.event': 'order.paid', 'hookline.endpoint_count': 1 })
    const attempts = finished.filter((s) => s.name === 'hookline.deliver').sort((a, b) => Number(a.attributes['hookline.attempt']) - Number(b.attributes['hookline.attempt']))
    expect(attempts.map((s) => [s.attributes['hookline.attempt'], s.attributes['http.response.status_code'], s.attributes['hookline.outcome'], s.status.code])).toEqual([
      [1, 503, 'failed', SpanStatusCode.ERROR],
      [2, 200, 'succeeded', SpanStatusCode.UNSET],
    ])
    for (const s of attempts) {
      expect(s.parentSpanContext?.spanId).toBe(emit.spanContext().spanId)
      expect(s.attributes['hookline.endpoint_id']).toBe(endpoint.id)
      expect(s.attributes['hookline.duration_ms']).toBeGreaterThanOrEqual(0)
    }
    // The receiver can join the trace: parent = the emit span.
    for (const req of requests) expect(req.headers.traceparent).toBe(`00-${emit.spanContext().traceId}-${emit.spanContext().spanId}-01`)

    await reader.forceFlush()
    const all = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics).filter((s) => s.scope.name === 'hookline').flatMap((s) => s.metrics)
    const byName = (name: string) => all.filter((m) => m.descriptor.name === name).at(-1)!
    const outcomes = byName('hookline.delivery.attempts').dataPoints.map((p) => [p.attributes.outcome, p.value])
    expect(outcomes).toEqual(expect.arrayContaining([['failed', 1], ['succeeded', 1]]))
    const histogram = byName('hookline.delivery.attempt.duration').dataPoints.map((p) => (p.value as { count: number }).count)
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(2)
    expect(byName('hookline.emitted.messages').dataPoints[0]!.value).toBe(1)
    expect(byName('hookline.queue.deliveries').dataPoints.map((p) => p.attributes.state).sort()).toEqual(['active', 'held'])
    expect(byName('hookline.breakers').dataPoints.find((p) => p.attributes.state === 'closed')!.value).toBe(1)
  })

  it('writes a span for each incoming request', async () => {
    const handler = manager.incomingHandler()
    const res = await handler(new Request('http://localhost/webhook/unknown-token', { method: 'POST', body: '{}' }))
    const span = spans.getFinishedSpans().find((s) => s.name === 'hookline.incoming')!
    expect(span.attributes['http.response.status_code']).toBe(res.status)
  })

  it('a manager that was never started loads the API on its first emit and test send: neither goes untraced', async () => {
    // Telemetry and the HTTP sender load on first use (not when the manager is made): the first
    // emit waits for the API, the first send for ofetch and the transport.
    const fresh = createWebhookManager({ egress: allowLoopback, telemetry: {} })
    try {
      receiver.respond(() => ({ status: 200 }))
      const endpoint = await fresh.createEndpoint({ url: `${receiver.url}/fresh`, events: ['fresh.*'] })
      const attempt = await fresh.testEndpoint(endpoint.id)
      expect(attempt.responseStatus).toBe(200)
      const deliver = spans.getFinishedSpans().find((s) => s.name === 'hookline.deliver' && s.attributes['hookline.endpoint_id'] === endpoint.id)
      expect(deliver?.attributes).toMatchObject({ 'hookline.trigger': 'test', 'http.response.status_code': 200 })
      const { messageId } = await fresh.emit('fresh.made', { n: 1 })
      const emit = spans.getFinishedSpans().find((s) => s.name === 'hookline.emit' && s.attributes['hookline.message_id'] === messageId)
      expect(emit?.attributes).toMatchObject({ 'hookline.event': 'fresh.made', 'hookline.endpoint_count': 1 })
    } finally {
      await fresh.close({ drain: false })
    }
  })

  it('a fresh incoming handler records its first request', async () => {
    const fresh = createWebhookManager({ telemetry: {} })
    try {
      const before = spans.getFinishedSpans().filter((s) => s.name === 'hookline.incoming').length
      const res = await fresh.incomingHandler()(new Request('http://localhost/webhook/unknown-token', { method: 'POST', body: '{}' }))
      const incoming = spans.getFinishedSpans().filter((s) => s.name === 'hookline.incoming')
      expect(incoming.length).toBe(before + 1)
      expect(incoming.at(-1)!.attributes['http.response.status_code']).toBe(res.status)
    } finally {
      await fresh.close()
    }
  })

  it('sends no traceparent and writes no span with telemetry: false', async () => {
    const quiet = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, telemetry: false })
    await quiet.start()
    try {
      await quiet.createEndpoint({ url: `${receiver.url}/quiet`, events: ['*'] })
      const before = spans.getFinishedSpans().length
      const seen = receiver.requests.length
      receiver.respond(() => ({ status: 200 }))
      await quiet.emit('x.y', {})
      const [req] = (await receiver.waitFor(seen + 1, 10_000)).slice(seen)
      expect(req!.headers.traceparent).toBeUndefined()
      expect(spans.getFinishedSpans().length).toBe(before)
    } finally {
      await quiet.close()
    }
  })
})
