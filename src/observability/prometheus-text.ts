import type { MetricsSnapshot } from './metrics-snapshot.js'

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * Renders a metrics snapshot in the Prometheus text exposition format (what `GET /metrics`
 * answers). Metric names are listed in docs/observability.md.
 */
export function toPrometheusText(m: MetricsSnapshot): string {
  const out: string[] = []
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: [labels: string, value: number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) out.push(`${name}${labels} ${formatNumber(value)}`)
  }
  metric('hookline_emitted_messages_total', 'counter', 'Events emitted.', [['', m.emitted.messages]])
  metric('hookline_emitted_deliveries_total', 'counter', 'Deliveries created by emitted events.', [['', m.emitted.deliveries]])
  metric('hookline_delivery_attempts_total', 'counter', 'Attempts made by the worker, by the state the delivery moved to.', [
    ['{outcome="succeeded"}', m.deliveries.succeeded],
    ['{outcome="failed"}', m.deliveries.failed],
    ['{outcome="dead"}', m.deliveries.dead],
  ])
  const h = m.attemptDuration
  metric('hookline_attempt_duration_seconds', 'histogram', 'Duration of delivery attempts.', [
    ...h.buckets.map((le, i): [string, number] => [`_bucket{le="${formatNumber(le)}"}`, h.counts[i]!]),
    ['_bucket{le="+Inf"}', h.count],
    ['_sum', h.sum],
    ['_count', h.count],
  ])
  metric('hookline_queue_deliveries', 'gauge', 'Deliveries held by this worker: claimed and not yet recorded (held), queued or being sent (active).', [
    ['{state="held"}', m.queue.held],
    ['{state="active"}', m.queue.active],
  ])
  metric('hookline_breakers', 'gauge', 'Circuit breakers of endpoints called by this process, by state.', [
    ['{state="closed"}', m.breakers.closed],
    ['{state="open"}', m.breakers.open],
    ['{state="half_open"}', m.breakers.halfOpen],
  ])
  metric(
    'hookline_incoming_requests_total',
    'counter',
    'Requests answered by the incoming handler, by HTTP status.',
    Object.entries(m.incoming.requests).map(([status, n]): [string, number] => [`{status="${status}"}`, n]),
  )
  return `${out.join('\n')}\n`
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}
