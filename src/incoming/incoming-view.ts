import { isSealed } from '../crypto/secret-codec.js'
import type { IncomingHook, IncomingVerification } from '../types.js'
import { REDACTED } from '../util/sensitive-header.js'

/**
 * An incoming hook as the manager returns it: no token hash, the verification secret redacted
 * unless asked for, and the plain token (with the path to post to) only on creation and rotation.
 */
export interface IncomingHookView extends Omit<IncomingHook, 'tokenHash'> {
  /** The secret token; present only in the result of `createIncomingHook` and `rotateIncomingToken`. */
  token?: string
  /** Path to post to, `<mount path>/<token>` (e.g. `/webhook/3q2…`); present only with `token`. */
  path?: string
}


/** Options of {@link toIncomingHookView}. */
export interface IncomingViewOptions {
  /** Keep the verification secret. @default false */
  includeSecrets?: boolean
  /** The plain token to include (creation, rotation). */
  token?: string
  /** Mount path the token URL starts with. @default '/webhook' */
  basePath?: string
}

/** Converts a stored hook into its public view. */
export function toIncomingHookView(hook: IncomingHook, options: IncomingViewOptions = {}): IncomingHookView {
  // Built field by field (no spread-then-delete, which turns the object into a slow dictionary):
  // the incoming handler builds one per request.
  const view: IncomingHookView = {
    id: hook.id,
    owner: hook.owner,
    name: hook.name,
    description: hook.description,
    active: hook.active,
    route: hook.route,
    tokenPrefix: hook.tokenPrefix,
    transform: hook.transform,
    rateLimitPerMinute: hook.rateLimitPerMinute,
    allowedIps: hook.allowedIps,
    // A secret still sealed (no configured key opened it) is never shown as if it were the secret.
    verification:
      hook.verification !== null && (options.includeSecrets !== true || isSealed(hook.verification.secret)) ? redact(hook.verification) : hook.verification,
    dedupeWindowMs: hook.dedupeWindowMs,
    dedupeHeader: hook.dedupeHeader,
    maxBodyBytes: hook.maxBodyBytes,
    version: hook.version,
    metadata: hook.metadata,
    createdAt: hook.createdAt,
    updatedAt: hook.updatedAt,
  }
  if (options.token !== undefined) {
    view.token = options.token
    view.path = `${(options.basePath ?? '/webhook').replace(/\/+$/, '')}/${options.token}`
  }
  return view
}

function redact(verification: IncomingVerification): IncomingVerification {
  return { ...verification, secret: REDACTED }
}
