/**
 * How a webhook payload is signed.
 *
 * - `'hmac-sha256'`: hex HMAC-SHA256 of the raw body, sent as `sha256=<hex>` in one header
 *   (`x-webhook-signature` by default). The key is the secret string's UTF-8 bytes.
 * - `'standard-webhooks'`: the [Standard Webhooks](https://www.standardwebhooks.com) scheme:
 *   base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, sent as `webhook-signature: v1,<base64>`
 *   next to `webhook-id` and `webhook-timestamp`. The key is the base64-decoded `whsec_` secret.
 */
export type SignatureScheme = 'hmac-sha256' | 'standard-webhooks'

/**
 * Request headers as hookline reads them: a Fetch `Headers` object, or a plain record such as
 * Node's `IncomingHttpHeaders`. Lookups are case-insensitive either way; an array value (a
 * repeated header) is treated as its entries joined by a space.
 */
export type SignatureHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

/** Options of {@link sign}. */
export interface SignOptions {
  /**
   * Signing scheme.
   * @default 'hmac-sha256'
   */
  scheme?: SignatureScheme
  /**
   * Secret, or several during a rotation: one signature per secret is emitted, space separated,
   * in one header value so that receivers holding either the old or the new secret accept it.
   *
   * For `'standard-webhooks'` each secret is `whsec_` + base64 (the prefix is optional). For
   * `'hmac-sha256'` the secret's UTF-8 bytes are the key, whatever the string looks like.
   */
  secret: string | readonly string[]
  /** The exact bytes that are sent as the request body (a string is encoded as UTF-8). */
  body: string | Uint8Array
  /**
   * Text before each hex digest (`'hmac-sha256'` only): `'sha256='` gives `sha256=<hex>`, `''` the
   * bare hex some receivers compare (seed 002's). Ignored by `'standard-webhooks'`.
   * @default 'sha256='
   */
  prefix?: string
  /** Message id (`webhook-id`). Required for `'standard-webhooks'`, ignored by `'hmac-sha256'`. */
  id?: string
  /**
   * Send time as unix time in **seconds** (not milliseconds), or a `Date`.
   * Required for `'standard-webhooks'`, ignored by `'hmac-sha256'`.
   * @example Math.floor(Date.now() / 1000)
   */
  timestamp?: number | Date
}

/** Why a signature was rejected. */
export type SignatureFailureReason =
  /** A required header (or explicit value) is absent or empty. */
  | 'missing-header'
  /** The signature header holds no well-formed signature (bad prefix, wrong length, not hex/base64). */
  | 'malformed'
  /** The timestamp is not an integer number of unix seconds. */
  | 'invalid-timestamp'
  /** The timestamp is further in the past than the tolerance allows. */
  | 'timestamp-too-old'
  /** The timestamp is further in the future than the tolerance allows. */
  | 'timestamp-too-new'
  /** Well-formed signatures were present but none matched any secret. */
  | 'mismatch'

/** Detailed verification result returned by {@link checkSignature}. */
export type SignatureCheck =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: SignatureFailureReason; readonly message: string }

/** Options of {@link checkSignature}, {@link verifySignature} and {@link assertSignature}. */
export interface VerifyOptions {
  /**
   * Signing scheme the sender used. When not given it is detected: Standard Webhooks when a
   * `webhook-signature` / `svix-signature` header is present, an explicit `signature` starts
   * with `v1,`, or (with no hmac header either) a secret starts with `whsec_`; otherwise
   * `'hmac-sha256'` (a `sha256=` header).
   * @default detected, else 'hmac-sha256'
   */
  scheme?: SignatureScheme
  /**
   * Secret, or several (e.g. old and new during a rotation): a signature matching any of them
   * is accepted.
   */
  secret: string | readonly string[]
  /**
   * The RAW body exactly as received (string or Buffer). Never a re-serialised parsed JSON
   * value: `JSON.stringify(JSON.parse(raw))` rarely reproduces the signed bytes.
   */
  body: string | Uint8Array
  /**
   * Request headers to read the signature (and, for `'standard-webhooks'`, `webhook-id` and
   * `webhook-timestamp`, or their `svix-id` / `svix-timestamp` / `svix-signature` aliases) from. Case-insensitive; a Fetch `Headers` object or a plain record
   * such as Node's `req.headers` both work. Explicit `signature` / `id` / `timestamp` options
   * take precedence over headers.
   */
  headers?: SignatureHeaders
  /**
   * Signature header value to verify, instead of reading it from `headers`.
   * @example 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
   */
  signature?: string
  /** Message id (`webhook-id`) instead of reading it from `headers`. `'standard-webhooks'` only. */
  id?: string
  /**
   * Send time (`webhook-timestamp`) in unix **seconds** instead of reading it from `headers`.
   * `'standard-webhooks'` only.
   */
  timestamp?: number | string
  /**
   * Header carrying the signature for `'hmac-sha256'` (case-insensitive).
   * `'standard-webhooks'` always reads `webhook-signature` (or `svix-signature`).
   * @default 'x-webhook-signature'
   */
  header?: string
  /**
   * Largest accepted distance, in seconds, between the message timestamp and now, in either
   * direction (older and newer messages are both rejected). `Infinity` disables the check.
   * `'standard-webhooks'` only.
   * @default 300
   */
  toleranceSeconds?: number
  /**
   * Clock returning the current time in **milliseconds** since the epoch; inject for tests.
   * @default Date.now
   */
  now?: () => number
}
