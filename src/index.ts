// The public API of hookline. Adapters with their own dependencies live in `hookline/sqlite` and
// `hookline/postgres`, so importing this entry never loads a database driver.

export { createWebhookManager, WebhookManager } from './manager/webhook-manager.js'
export type {
  CleanupOptions,
  DeliveryDetail,
  EmitOptions,
  EmitResult,
  EventMap,
  ListDeliveriesOptions,
  ListEndpointsOptions,
  OwnerScope,
  ReplayOptions,
  TestEndpointOptions,
} from './manager/webhook-manager.js'
export type { RetentionOptions, WebhookManagerOptions } from './manager/options.js'
export type { DeliveryEvent, WebhookManagerEventName, WebhookManagerEvents } from './manager/manager-events.js'

export type { CreateEndpointInput, UpdateEndpointInput } from './endpoints/endpoint-schema.js'
export type { EndpointView } from './endpoints/endpoint-view.js'
export type { EventType, EventTypeOptions } from './events/event-catalog.js'
export type { BreakerOptions } from './dispatch/endpoint-breakers.js'
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

export { memoryStore } from './store/memory/index.js'
export type { MemoryStoreOptions } from './store/memory/index.js'
export type {
  ClaimedDelivery,
  ClaimRequest,
  CleanupRequest,
  CleanupResult,
  DeliveryOutcome,
  DeliveryQuery,
  EndpointQuery,
  EnqueueOptions,
  EnqueueResult,
  IncomingHookQuery,
  PageQuery,
  ReplayRequest,
  RequeueResult,
  WebhookStore,
} from './store/types.js'

export {
  ConflictError,
  HooklineError,
  isHooklineError,
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
  EndpointSecret,
  EndpointStatus,
  IncomingHook,
  IncomingLog,
  IncomingVerification,
  Message,
  PayloadFilters,
  RateLimit,
  RetryPolicy,
  RetryStrategy,
} from './types.js'
export { VERSION } from './version.js'
