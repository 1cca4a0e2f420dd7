import { HooklineError } from '../errors.js'
import type { OwnerScope } from '../manager/manager-types.js'
import type { RequestScope } from './route.js'

/** The manager's owner scope for a request: `{ owner }` when the caller is confined to a tenant. */
export function ownerScope(scope: RequestScope): OwnerScope {
  return scope.owner === undefined ? {} : { owner: scope.owner }
}

/**
 * The owner a write should carry. Unscoped callers may name any owner (or none); a scoped caller
 * always writes as its own tenant and is refused (403) when it names another.
 */
export function ownerForWrite(scope: RequestScope, requested: string | null | undefined): string | null | undefined {
  if (scope.owner === undefined) return requested
  if (requested !== undefined && requested !== scope.owner) {
    throw new HooklineError('FORBIDDEN', '`owner` can only be set by an unscoped caller', { status: 403 })
  }
  return scope.owner
}
