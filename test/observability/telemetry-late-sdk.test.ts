import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, it } from 'vitest'
import { Telemetry } from '../../src/observability/telemetry.js'
import { attemptFixture, deliveryFixture, endpointFixture, messageFixture } from '../store/fixtures.js'

describe('Telemetry without an SDK', () => {
  afterAll(() => trace.disable())

  it('skips spans while no tracer provider is registered, and writes them once one is (registered later)', async () => {
    const telemetry = new Telemetry({}, { queue: () => ({ held: 0, active: 0 }), breakers: () => ({ closed: 0, open: 0, 'half-open': 0 }) })
    await telemetry.ready
    expect(telemetry.active).toBe(true)
    const message = messageFixture()
    const attempt = attemptFixture(deliveryFixture(message, endpointFixture()))
    // No SDK: nothing to record, and nothing throws.
    telemetry.emitted(message, 1, Date.now(), false)
    telemetry.attempted(message.id, attempt, 'failed')

    const spans = new InMemorySpanExporter()
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }))
    telemetry.emitted(message, 1, Date.now(), false)
    telemetry.attempted(message.id, attempt, 'failed')
    const finished = spans.getFinishedSpans()
    expect(finished.map((s) => s.name)).toEqual(['hookline.emit', 'hookline.deliver'])
    expect(finished[1]!.attributes['hookline.outcome']).toBe('failed')
    // The attempt's span is a child of the emit's.
    expect(finished[1]!.parentSpanContext?.spanId ?? (finished[1] as unknown as { parentSpanId?: string }).parentSpanId).toBe(finished[0]!.spanContext().spanId)
  })
})
