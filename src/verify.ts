// `hookline/verify`: the signature helpers alone, for a receiver. Imports nothing but node:crypto
// and hookline's error classes: no queue, store, template engine or HTTP client.
export { assertSignature, checkSignature, generateSecret, generateStandardSecret, sign, verifySignature } from './signature/index.js'
export type { SignOptions, SignatureCheck, SignatureFailureReason, SignatureHeaders, SignatureScheme, VerifyOptions } from './signature/index.js'
export { HooklineError, SignatureError, ValidationError } from './errors.js'
