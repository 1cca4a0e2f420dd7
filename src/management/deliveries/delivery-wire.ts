import type { DeliveryDetail } from '../../manager/manager-types.js'
import type { Attempt, Delivery, Message } from '../../types.js'
import { iso } from '../common-schemas.js'
import type { AttemptOutput, DeliveryDetailOutput, DeliveryOutput, MessageOutput } from './delivery-schemas.js'

/** A delivery → its wire form. */
export function toDeliveryOutput(d: Delivery): DeliveryOutput {
  return {
    id: d.id,
    message_id: d.messageId,
    webhook_id: d.endpointId,
    event: d.event,
    ordering_key: d.orderingKey,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    completed_at: iso(d.completedAt),
  }
}

/** An attempt → its wire form. */
export function toAttemptOutput(a: Attempt): AttemptOutput {
  return {
    id: a.id,
    delivery_id: a.deliveryId,
    webhook_id: a.endpointId,
    attempt: a.attempt,
    trigger: a.trigger,
    url: a.url,
    method: a.method,
    request_headers: a.requestHeaders,
    request_body: a.requestBody,
    response_status: a.responseStatus,
    response_headers: a.responseHeaders,
    response_body: a.responseBody,
    error: a.error,
    succeeded: a.succeeded,
    duration_ms: a.durationMs,
    started_at: a.startedAt.toISOString(),
  }
}

/** A message → its wire form. */
export function toMessageOutput(m: Message): MessageOutput {
  return {
    id: m.id,
    event: m.event,
    data: m.data,
    metadata: m.metadata,
    idempotency_key: m.idempotencyKey,
    owner: m.owner,
    created_at: m.createdAt.toISOString(),
  }
}

/** A delivery with attempts and message → its wire form. */
export function toDeliveryDetailOutput(d: DeliveryDetail): DeliveryDetailOutput {
  return {
    ...toDeliveryOutput(d),
    attempt_log: d.attemptLog.map(toAttemptOutput),
    message: d.message === null ? null : toMessageOutput(d.message),
  }
}
