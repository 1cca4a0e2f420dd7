import { ValidationError, type FieldIssue } from '../errors.js'
import type { IncomingHook } from '../types.js'
import { createId } from '../util/ids.js'
import { parseInput } from '../validation/parse.js'
import { assertStorableJson } from '../validation/text-checks.js'
import {
  createIncomingHookSchema,
  updateIncomingHookSchema,
  type CreateIncomingHookInput,
  type UpdateIncomingHookInput,
} from './incoming-schema.js'
import { generateIncomingToken, hashIncomingToken, incomingTokenPrefix } from './incoming-token.js'
import { checkTransform } from './template-check.js'

/** Requests per minute when a hook sets none (AGiXT's default). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 100

/** Largest body when a hook sets none, in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576

/** A stored hook together with the plain token, which exists only at creation and rotation. */
export interface IssuedHook {
  /** The record to store (token hash only). */
  hook: IncomingHook
  /** The plain token, to show once. */
  token: string
}

function assertTransform(transform: unknown, what: string): void {
  const issues: FieldIssue[] = checkTransform(transform)
  if (issues.length > 0) throw new ValidationError(what, issues)
}

/**
 * Validates `input` and builds a new hook with a fresh token (returned once, stored only as its
 * SHA-256). Throws ValidationError naming each bad field, templates included.
 */
export function buildIncomingHook(input: CreateIncomingHookInput, now: Date): IssuedHook {
  const v = parseInput(createIncomingHookSchema, input, 'incoming hook')
  assertStorableJson('incoming hook', { transform: v.transform, metadata: v.metadata })
  assertTransform(v.transform ?? null, 'incoming hook')
  const token = generateIncomingToken()
  const hook: IncomingHook = {
    id: createId('ih'),
    owner: v.owner ?? null,
    name: v.name,
    description: v.description ?? null,
    active: v.active ?? true,
    route: v.route,
    tokenHash: hashIncomingToken(token),
    tokenPrefix: incomingTokenPrefix(token),
    transform: v.transform ?? null,
    rateLimitPerMinute: v.rateLimitPerMinute === undefined ? DEFAULT_RATE_LIMIT_PER_MINUTE : v.rateLimitPerMinute,
    allowedIps: v.allowedIps ?? [],
    verification: v.verification ?? null,
    dedupeWindowMs: v.dedupeWindowMs ?? null,
    dedupeHeader: v.dedupeHeader?.toLowerCase() ?? null,
    maxBodyBytes: v.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    version: 1,
    metadata: v.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  }
  return { hook, token }
}

/** Validates a partial update and applies it; the version goes up so cached templates are recompiled. */
export function applyIncomingUpdate(hook: IncomingHook, input: UpdateIncomingHookInput, now: Date): IncomingHook {
  const v = parseInput(updateIncomingHookSchema, input, 'incoming hook update')
  assertStorableJson('incoming hook update', { transform: v.transform, metadata: v.metadata })
  if (v.transform !== undefined) assertTransform(v.transform, 'incoming hook update')
  const next: IncomingHook = { ...hook, version: hook.version + 1, updatedAt: now }
  if (v.name !== undefined) next.name = v.name
  if (v.description !== undefined) next.description = v.description
  if (v.active !== undefined) next.active = v.active
  if (v.route !== undefined) next.route = v.route
  if (v.owner !== undefined) next.owner = v.owner
  if (v.transform !== undefined) next.transform = v.transform
  if (v.rateLimitPerMinute !== undefined) next.rateLimitPerMinute = v.rateLimitPerMinute
  if (v.allowedIps !== undefined) next.allowedIps = v.allowedIps
  if (v.verification !== undefined) next.verification = v.verification
  if (v.dedupeWindowMs !== undefined) next.dedupeWindowMs = v.dedupeWindowMs
  if (v.dedupeHeader !== undefined) next.dedupeHeader = v.dedupeHeader?.toLowerCase() ?? null
  if (v.maxBodyBytes !== undefined) next.maxBodyBytes = v.maxBodyBytes
  if (v.metadata !== undefined) next.metadata = v.metadata
  return next
}

/** Gives a hook a new token; the old one stops working at once. */
export function rotateIncomingToken(hook: IncomingHook, now: Date): IssuedHook {
  const token = generateIncomingToken()
  return {
    hook: { ...hook, tokenHash: hashIncomingToken(token), tokenPrefix: incomingTokenPrefix(token), version: hook.version + 1, updatedAt: now },
    token,
  }
}
