import * as v from 'valibot'
import { HooklineError, ValidationError } from '../../errors.js'
import { PROMETHEUS_CONTENT_TYPE, toPrometheusText } from '../../observability/prometheus-text.js'
import { iso } from '../common-schemas.js'
import { defineRoute, type Route } from '../route.js'
import { ownerScope } from '../scope.js'
import { breakerOutput, timelineOutput, timelineQuery } from './observability-schemas.js'
import { buildTimeline } from './webhook-timeline.js'

const idParam = { id: 'Webhook id (`ep_…`).' }
const DAY_MS = 86_400_000

/** Breaker state, delivery timeline and the Prometheus metrics. */
export const observabilityRoutes: Route[] = [
  defineRoute({
    operationId: 'getWebhookBreaker',
    method: 'GET',
    path: '/webhooks/:id/breaker',
    tag: 'Observability',
    summary: 'Circuit breaker state of a webhook',
    description: 'Breakers are kept per worker process: this is the state in the process that answers.',
    params: idParam,
    response: { status: 200, description: 'The breaker state.', schema: breakerOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      const state = await manager.getBreakerState(params.id, ownerScope(scope))
      return {
        status: 200,
        body: { webhook_id: params.id, state: state.state, consecutive_failures: state.consecutiveFailures, retry_at: iso(state.retryAt === null ? null : new Date(state.retryAt)) },
      }
    },
  }),
  defineRoute({
    operationId: 'getWebhookTimeline',
    method: 'GET',
    path: '/webhooks/:id/timeline',
    tag: 'Observability',
    summary: 'Success rate and latency of a webhook over time',
    description:
      'Deliveries created in the window, bucketed by creation time: counts by state and success rate from the newest 2000, ' +
      'attempt latency from the attempts of the newest 300 that have any.',
    params: idParam,
    query: timelineQuery,
    response: { status: 200, description: 'The buckets, oldest first.', schema: timelineOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const until = query.until ?? new Date()
      const since = query.since ?? new Date(until.getTime() - DAY_MS)
      if (since.getTime() >= until.getTime()) throw new ValidationError('query parameters', [{ field: 'since', message: 'must be before `until`' }])
      const t = await buildTimeline(manager, params.id, { owner: scope.owner, since, until, buckets: query.buckets ?? 24 })
      return {
        status: 200,
        body: {
          webhook_id: params.id,
          since: t.since.toISOString(),
          until: t.until.toISOString(),
          bucket_ms: t.bucketMs,
          deliveries: t.deliveries,
          truncated: t.truncated,
          buckets: t.buckets.map((b) => ({
            start: b.start.toISOString(),
            total: b.total,
            succeeded: b.succeeded,
            failed: b.failed,
            dead: b.dead,
            pending: b.pending,
            success_rate: b.successRate,
            attempts: b.attempts,
            average_duration_ms: b.averageDurationMs,
            p95_duration_ms: b.p95DurationMs,
          })),
        },
      }
    },
  }),
  defineRoute({
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    tag: 'Observability',
    summary: 'Metrics in the Prometheus text format',
    description: 'Counters and gauges of the process that answers (`manager.getMetrics()`); see docs/observability.md. Unscoped callers only.',
    response: { status: 200, description: 'Prometheus text exposition (version 0.0.4).', schema: v.string(), contentType: PROMETHEUS_CONTENT_TYPE },
    async handle({ manager, scope }) {
      if (scope.owner !== undefined) throw new HooklineError('FORBIDDEN', 'metrics cover every tenant: unscoped callers only', { status: 403 })
      return { status: 200, body: toPrometheusText(manager.getMetrics()), contentType: PROMETHEUS_CONTENT_TYPE }
    },
  }),
]
