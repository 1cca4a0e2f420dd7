import { defineRoute, type Route } from '../route.js'
import { ownerScope } from '../scope.js'
import { paginate } from '../paginate.js'
import { replayBody, replayOutput } from '../webhooks/webhook-schemas.js'
import { deliveryDetailOutput, deliveryListOutput, deliveryOutput, findDeliveriesQuery } from './delivery-schemas.js'
import { toDeliveryDetailOutput, toDeliveryOutput } from './delivery-wire.js'

const idParam = { id: 'Delivery id (`dlv_…`).' }

/** Routes of `/deliveries` and `/deliveries/:id`. */
export const deliveryRoutes: Route[] = [
  defineRoute({
    operationId: 'listDeliveries',
    method: 'GET',
    path: '/deliveries',
    tag: 'Deliveries',
    summary: 'List deliveries across webhooks',
    description: 'Newest first, filtered by state, creation time and webhook. A scoped caller sees the deliveries to its own tenant’s webhooks.',
    query: findDeliveriesQuery,
    response: { status: 200, description: 'A page of deliveries.', schema: deliveryListOutput },
    errors: [404],
    async handle({ manager, query, scope }) {
      const page = await paginate(query, (limit, offset) =>
        manager.findDeliveries({ ...ownerScope(scope), endpointId: query.webhook_id, status: query.status, since: query.since, until: query.until, limit, offset }),
      )
      return { status: 200, body: { deliveries: page.items.map(toDeliveryOutput), has_more: page.has_more, next_offset: page.next_offset } }
    },
  }),
  defineRoute({
    operationId: 'replayDeliveries',
    method: 'POST',
    path: '/deliveries/replay',
    tag: 'Deliveries',
    summary: 'Redeliver failed deliveries of every webhook since a time',
    description:
      'Makes every failed or dead delivery created in the window due now, across webhooks (a scoped caller: across its own tenant’s). Deliveries in flight are left alone.',
    body: replayBody,
    bodyRequired: true,
    response: { status: 202, description: 'How many deliveries were queued again.', schema: replayOutput },
    errors: [413, 415],
    async handle({ manager, body, scope }) {
      const b = body!
      const replayed = await manager.replayDeliveries({ ...ownerScope(scope), since: b.since, until: b.until, statuses: b.statuses })
      return { status: 202, body: { replayed } }
    },
  }),
  defineRoute({
    operationId: 'getDelivery',
    method: 'GET',
    path: '/deliveries/:id',
    tag: 'Deliveries',
    summary: 'Get a delivery with its attempts',
    description: 'Request and response of every attempt, with credentials redacted (auth and credential-like headers; signatures are kept, they reveal nothing of the secret), and the event message.',
    params: idParam,
    response: { status: 200, description: 'The delivery, its attempts (oldest first) and its message.', schema: deliveryDetailOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      return { status: 200, body: toDeliveryDetailOutput(await manager.getDelivery(params.id, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'retryDelivery',
    method: 'POST',
    path: '/deliveries/:id/retry',
    tag: 'Deliveries',
    summary: 'Retry a delivery now',
    description: 'Makes the delivery due now, whatever its state; a pending automatic retry is replaced, not doubled. 409 while an attempt of it is in flight.',
    params: idParam,
    response: { status: 202, description: 'The delivery, queued.', schema: deliveryOutput },
    errors: [404, 409],
    async handle({ manager, params, scope }) {
      return { status: 202, body: toDeliveryOutput(await manager.retryDelivery(params.id, ownerScope(scope))) }
    },
  }),
]
