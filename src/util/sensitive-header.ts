/** Header names whose values are credentials: never logged or returned unredacted. */
const SENSITIVE_HEADER = /auth|token|secret|password|passwd|cookie|session|api[-_]?key|^x-api|credential|signature/i

/** True when a header's value should be treated as a secret. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name)
}

/** The value shown in place of a secret. */
export const REDACTED = '[redacted]'
