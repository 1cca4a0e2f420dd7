import { seedAliasRoutes } from './alias-routes.js'
import { deliveryRoutes } from './deliveries/delivery-routes.js'
import { eventRoutes } from './events/event-routes.js'
import { incomingRoutes } from './incoming/incoming-routes.js'
import { observabilityRoutes } from './observability/observability-routes.js'
import type { Route } from './route.js'
import { webhookRoutes } from './webhooks/webhook-routes.js'
import { workerRoutes } from './workers/worker-routes.js'

const ownRoutes: readonly Route[] = [...webhookRoutes, ...deliveryRoutes, ...eventRoutes, ...incomingRoutes, ...observabilityRoutes, ...workerRoutes]

/**
 * Every route of the management API, below the prefix (the OpenAPI route is added by the handler).
 * Seed 002's aliases come last, so a path both could match (`/incoming/logs`) is hookline's route.
 */
export const managementRoutes: readonly Route[] = [...ownRoutes, ...seedAliasRoutes(ownRoutes)]
