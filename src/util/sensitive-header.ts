/**
 * Header names whose values are credentials (authorization, cookies, tokens, keys, passwords,
 * signatures, HMACs): never logged or returned unredacted, on the outgoing and the incoming side.
 */
const SENSITIVE_HEADER =
  /auth|cookie|token|secret|password|passwd|session|api[-_]?key|^x-api|credential|signature|hmac|access[-_]?key|private|(^|[-_])key$/i

/** True when a header's value should be treated as a secret. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name)
}

/** The value shown in place of a secret. */
export const REDACTED = '[redacted]'

/** Message for a credential sent back as {@link REDACTED}, e.g. a view saved over its record. */
export const REDACTED_INPUT_MESSAGE = `is the "${REDACTED}" placeholder of a view, not a credential: send the real value, or leave the field out to keep it`

/** True unless `value` is the {@link REDACTED} placeholder. */
export function isNotRedacted(value: string): boolean {
  return value !== REDACTED
}
