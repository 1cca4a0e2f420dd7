import { defineRoute, type Route } from '../route.js'
import { ownerScope } from '../scope.js'
import { deliveryDetailOutput, deliveryOutput } from './delivery-schemas.js'
import { toDeliveryDetailOutput, toDeliveryOutput } from './delivery-wire.js'

const idParam = { id: 'Delivery id (`dlv_…`).' }

/** Routes of `/deliveries/:id`. */
export const deliveryRoutes: Route[] = [
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
