import { deliveryRoutes } from './deliveries/delivery-routes.js'
import { eventRoutes } from './events/event-routes.js'
import { incomingRoutes } from './incoming/incoming-routes.js'
import { observabilityRoutes } from './observability/observability-routes.js'
import type { Route } from './route.js'
import { webhookRoutes } from './webhooks/webhook-routes.js'
import { workerRoutes } from './workers/worker-routes.js'

/** Every route of the management API, below the prefix (the OpenAPI route is added by the handler). */
export const managementRoutes: readonly Route[] = [...webhookRoutes, ...deliveryRoutes, ...eventRoutes, ...incomingRoutes, ...observabilityRoutes, ...workerRoutes]
