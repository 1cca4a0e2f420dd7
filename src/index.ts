// The public API of hookline. Adapters with their own dependencies live in `hookline/sqlite` and
// `hookline/postgres`, so importing this entry never loads a database driver.

export { createWebhookManager, WebhookManager } from './manager/webhook-manager.js'
export type {
  CleanupOptions,
  DeliveryDetail,
  EmitManyItem,
  EmitManyOptions,
  EmitOptions,
  EmitResult,
  EventMap,
  FindDeliveriesOptions,
  ListDeliveriesOptions,
  ListEndpointsOptions,
  OwnerScope,
  ReplayOptions,
  TestEndpointOptions,
} from './manager/manager-types.js'
export type { RetentionOptions, WebhookManagerOptions } from './manager/options.js'
export type { EncryptionKeyInput } from './crypto/secret-codec.js'
export type { ReencryptCounts, ReencryptOptions, ReencryptProgress, ReencryptResult } from './store/encrypted-store.js'
export type { DeliveryEvent, EgressRefusedEvent, WebhookManagerEventName, WebhookManagerEvents } from './manager/manager-events.js'
export type { WorkerHeartbeatOptions, WorkerInfo } from './manager/worker-registry.js'

export type { CreateEndpointInput, UpdateEndpointInput } from './endpoints/endpoint-schema.js'
export type { EndpointView } from './endpoints/endpoint-view.js'
export type { EventType, EventTypeOptions } from './events/event-catalog.js'
export type { BreakerOptions } from './dispatch/endpoint-breakers.js'
export type { EgressLookup, EgressOptions } from './dispatch/egress-guard.js'
export type { EnvelopeNames, HeaderNames } from './dispatch/build-request.js'
export { DEFAULT_RETRY_POLICY } from './dispatch/retry-policy.js'

export { assertSignature, checkSignature, generateSecret, sign, verifySignature } from './signature/index.js'
export type {
  SignatureCheck,
  SignatureFailureReason,
  SignatureHeaders,
  SignatureScheme,
  SignOptions,
  VerifyOptions,
} from './signature/types.js'

// Incoming webhooks (token URLs, verification presets, sandboxed transforms) and the bridges that
// mount any Web-standard handler on Node http / Express, Koa and Hono.
export { renderTransform } from './incoming/transform.js'
export type { TransformLimits, TransformOptions, TransformTemplate } from './incoming/transform.js'
export type { TemplatePoolOptions } from './incoming/template-pool.js'
export { TemplateError } from './incoming/template-error.js'
export { checkIncomingSignature } from './incoming/verify-presets.js'
export type { IncomingRequestHandler } from './incoming/handle-incoming.js'
export type { CreateIncomingHookInput, UpdateIncomingHookInput } from './incoming/incoming-schema.js'
export type {
  GetIncomingHookOptions,
  ListIncomingHooksOptions,
  ListIncomingLogsOptions,
} from './incoming/incoming-service.js'
export type {
  IncomingEvent,
  IncomingHandlerOptions,
  IncomingRouteHandler,
  IncomingTransformOptions,
} from './incoming/incoming-types.js'
export type { IncomingHookView } from './incoming/incoming-view.js'
export { toNodeHandler } from './http/node-handler.js'
export type { NodeHandler, NodeHandlerOptions } from './http/node-handler.js'
export { toKoaMiddleware } from './http/koa-middleware.js'
export type { KoaContextLike, KoaMiddleware, KoaMiddlewareOptions } from './http/koa-middleware.js'
export { toHonoHandler } from './http/hono-handler.js'
export type { HonoBodyCache, HonoContextLike, HonoHandler, HonoHandlerOptions } from './http/hono-handler.js'
export type { ConnectionInfo, FetchHandler } from './http/fetch-handler.js'
export type { ParsedBodyPolicy } from './http/preparsed-body.js'

// ── management REST API ──
export { createManagementHandler } from './management/create-management-handler.js'
export type { ManagementHandler } from './management/create-management-handler.js'
export type { AuthorizeContext, AuthorizeDenial, AuthorizeResult, ManagementHandlerOptions } from './management/options.js'
export type { ErrorBody, ManagementErrorCode } from './management/error-response.js'

// ── console, tenant portal and observability ──
export { createConsoleHandler } from './console/create-console-handler.js'
export type { ConsoleHandler } from './console/create-console-handler.js'
export type { ConsoleHandlerOptions } from './console/console-options.js'
export type { PortalLink, PortalLinkOptions } from './portal/portal-link.js'
export type { PortalGrant } from './portal/portal-token.js'
export type { BreakerState } from './dispatch/endpoint-breakers.js'
export type { LatencyHistogram, MetricsSnapshot } from './observability/metrics-snapshot.js'
export { toPrometheusText } from './observability/prometheus-text.js'

export { memoryStore } from './store/memory/index.js'
export type { MemoryStoreOptions } from './store/memory/index.js'
export type {
  BreakerFailure,
  BreakerFailureVerdict,
  BreakerProbeGrant,
  BreakerProbeRequest,
  ClaimedDelivery,
  ClaimRequest,
  CleanupRequest,
  CleanupResult,
  DeliveryOutcome,
  DeliveryQuery,
  EndpointQuery,
  EnqueueItem,
  EnqueueManyOptions,
  EnqueueOptions,
  EnqueueResult,
  IncomingHookQuery,
  PageQuery,
  RateSlotGrant,
  RateSlotRelease,
  RateSlotRequest,
  ReplayRequest,
  RequeueResult,
  SharedBreaker,
  UpdateOptions,
  WebhookStore,
  WorkerHeartbeat,
  WorkerRecord,
} from './store/types.js'

export {
  ConflictError,
  EncryptionKeyError,
  HooklineError,
  isHooklineError,
  ManagerClosedError,
  NotFoundError,
  PayloadTooLargeError,
  SignatureError,
  StoreError,
  ValidationError,
} from './errors.js'
export type { FieldIssue, HooklineErrorCode, HooklineErrorOptions } from './errors.js'

export type {
  Attempt,
  AttemptTrigger,
  Clock,
  Delivery,
  DeliveryStats,
  DeliveryStatus,
  Endpoint,
  EndpointAuth,
  EndpointOrdering,
  EndpointSecret,
  EndpointStatus,
  EndpointTls,
  IncomingHook,
  IncomingLog,
  IncomingStats,
  IncomingVerification,
  Message,
  PayloadFilters,
  RateLimit,
  RetryPolicy,
  RetryStrategy,
} from './types.js'
export { VERSION } from './version.js'
