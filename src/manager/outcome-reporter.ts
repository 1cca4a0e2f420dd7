// What follows each attempt's outcome once it is written: counters and telemetry, the
// `delivery.*` and `egress.refused` lifecycle events, and the endpoint's health.

import type { OutcomeReport } from '../dispatch/dispatcher.js'
import type { MetricsCounters } from '../observability/metrics-snapshot.js'
import type { Telemetry } from '../observability/telemetry.js'
import type { EndpointHealth } from './endpoint-health.js'
import type { TypedEmitter, WebhookManagerEvents } from './manager-events.js'

export interface OutcomeReporterDeps {
  events: TypedEmitter<WebhookManagerEvents>
  metrics: MetricsCounters
  telemetry: Telemetry | null
  health: EndpointHealth
}

/** Returns the dispatcher's `onOutcome` callback. */
export function outcomeReporter({ events, metrics, telemetry, health }: OutcomeReporterDeps): (report: OutcomeReport) => void {
  return ({ outcome, endpoint, claimed, result }) => {
    const attempt = outcome.attempt
    if (!attempt) return
    if (attempt.trigger !== 'test') metrics.outcome(outcome.status, attempt.durationMs)
    if (telemetry?.active) telemetry.attempted(claimed.message.id, attempt, outcome.status)
    const name = outcome.status === 'succeeded' ? 'delivery.succeeded' : outcome.status === 'dead' ? 'delivery.dead' : 'delivery.failed'
    if (events.hasListeners(name)) {
      events.emit(name, {
        deliveryId: outcome.deliveryId,
        messageId: claimed.message.id,
        endpointId: claimed.delivery.endpointId,
        event: claimed.message.event,
        attempt: attempt.attempt,
        status: outcome.status,
        statusCode: outcome.lastStatusCode,
        error: outcome.lastError,
        durationMs: attempt.durationMs,
        nextAttemptAt: outcome.nextAttemptAt,
      })
    }
    if (result?.errorKind === 'egress') {
      events.emit('egress.refused', {
        deliveryId: outcome.deliveryId,
        endpointId: claimed.delivery.endpointId,
        url: attempt.url,
        error: attempt.error ?? '',
        trigger: attempt.trigger,
      })
    }
    if (endpoint && attempt.trigger !== 'test') health.track(endpoint, attempt.succeeded, result?.status ?? null)
  }
}
