import { readFileSync } from 'node:fs'
import { validate } from '../management/read-request.js'
import { createWebhookBody, patchWebhookBody, type PatchWebhookBody } from '../management/webhooks/webhook-schemas.js'
import { CliError } from './cli-error.js'
import { parseBoolean, parseDuration, parseHeaderPairs, parseInteger, parseJson, parseJsonObject, parseList } from './parse-options.js'

/** Options of `endpoints create` / `endpoints update`, as commander parses them. */
export interface EndpointOptions {
  url?: string
  events?: string[]
  name?: string
  description?: string
  method?: string
  header?: string[]
  headers?: string
  authType?: string
  authCredentials?: string
  secret?: string
  signatureScheme?: string
  signaturePrefix?: string
  rotationSignatures?: string
  timeout?: string
  maxAttempts?: string
  retryStrategy?: string
  retryDelay?: string
  rateLimit?: string
  concurrency?: string
  ordering?: string
  orderingKey?: string
  filter?: string[]
  metadata?: string
  owner?: string
  paused?: boolean
  active?: string
  status?: string
  tlsCert?: string
  tlsKey?: string
  tlsCa?: string
  tlsPassphrase?: string
  /** `false` with `--no-tls`. */
  tls?: boolean
  /** A URL, or `false` with `--no-proxy`. */
  proxy?: string | false
}

/** Wire fields → the options that set them, for error messages. */
export const ENDPOINT_OPTION_NAMES: Record<string, string> = {
  url: '--url',
  events: '--events',
  name: '--name',
  description: '--description',
  method: '--method',
  headers: '--header/--headers',
  auth: '--auth-type/--auth-credentials',
  secret: '--secret',
  signature_scheme: '--signature-scheme',
  signature_prefix: '--signature-prefix',
  rotation_signatures: '--rotation-signatures',
  timeout_ms: '--timeout',
  retry_policy: '--max-attempts/--retry-strategy/--retry-delay',
  'retry_policy.max_attempts': '--max-attempts',
  'retry_policy.strategy': '--retry-strategy',
  'retry_policy.initial_delay_ms': '--retry-delay',
  rate_limit: '--rate-limit',
  concurrency: '--concurrency',
  ordering: '--ordering',
  ordering_key: '--ordering-key',
  filters: '--filter',
  metadata: '--metadata',
  owner: '--owner',
  active: '--active/--status',
  tls: '--tls-cert/--tls-key/--tls-ca/--tls-passphrase',
  'tls.cert': '--tls-cert',
  'tls.key': '--tls-key',
  'tls.ca': '--tls-ca',
  'tls.passphrase': '--tls-passphrase',
  proxy: '--proxy',
}

/** Builds the API body of a create (`required`) or update from command options, validated like the API's. */
export function endpointBody(o: EndpointOptions, mode: 'create' | 'update'): PatchWebhookBody {
  const body: Record<string, unknown> = {}
  if (o.url !== undefined) body.url = o.url
  if (o.events !== undefined) body.events = parseList(o.events)
  if (o.name !== undefined) body.name = o.name
  if (o.description !== undefined) body.description = o.description
  if (o.method !== undefined) body.method = o.method.toUpperCase()
  if (o.headers !== undefined || o.header !== undefined) {
    body.headers = { ...(o.headers === undefined ? {} : parseJsonObject(o.headers, '--headers')), ...parseHeaderPairs(o.header ?? [], '--header') }
  }
  if (o.authType !== undefined || o.authCredentials !== undefined) body.auth = authBody(o)
  if (o.secret !== undefined) body.secret = o.secret
  if (o.signatureScheme !== undefined) body.signature_scheme = o.signatureScheme
  if (o.signaturePrefix !== undefined) body.signature_prefix = o.signaturePrefix
  if (o.rotationSignatures !== undefined) body.rotation_signatures = o.rotationSignatures
  if (o.timeout !== undefined) body.timeout_ms = parseDuration(o.timeout, '--timeout')
  const retry: Record<string, unknown> = {}
  if (o.maxAttempts !== undefined) retry.max_attempts = parseInteger(o.maxAttempts, '--max-attempts', 1, 100)
  if (o.retryStrategy !== undefined) retry.strategy = o.retryStrategy
  if (o.retryDelay !== undefined) retry.initial_delay_ms = parseDuration(o.retryDelay, '--retry-delay')
  if (Object.keys(retry).length > 0) body.retry_policy = retry
  if (o.rateLimit !== undefined) body.rate_limit = rateLimitBody(o.rateLimit)
  if (o.concurrency !== undefined) body.concurrency = parseInteger(o.concurrency, '--concurrency', 1, 1000)
  if (o.ordering !== undefined) body.ordering = o.ordering
  // `none` (or an empty value) clears the key: one line for the whole endpoint.
  if (o.orderingKey !== undefined) body.ordering_key = o.orderingKey === '' || o.orderingKey === 'none' ? null : o.orderingKey
  if (o.filter !== undefined) body.filters = filtersBody(o.filter)
  if (o.metadata !== undefined) body.metadata = parseJsonObject(o.metadata, '--metadata')
  if (o.owner !== undefined) body.owner = o.owner
  if (o.paused === true) body.active = false
  if (o.active !== undefined) body.active = parseBoolean(o.active, '--active')
  if (o.status !== undefined) body.active = statusToActive(o.status)
  if (o.tls === false) body.tls = null
  else if (o.tlsCert !== undefined || o.tlsKey !== undefined || o.tlsCa !== undefined || o.tlsPassphrase !== undefined) body.tls = tlsBody(o)
  if (o.proxy !== undefined) body.proxy = o.proxy === false ? null : o.proxy
  const schema = mode === 'create' ? createWebhookBody : patchWebhookBody
  return validate(schema, body, 'endpoint options')
}

function authBody(o: EndpointOptions): Record<string, unknown> {
  if (o.authType === undefined) throw new CliError('--auth-credentials needs --auth-type (basic, bearer, api-key or hmac)')
  if (o.authType === 'none') return null as unknown as Record<string, unknown>
  const credentials = o.authCredentials === undefined ? {} : parseJsonObject(o.authCredentials, '--auth-credentials')
  // Accept the names of the seed CLI (`api_key`) besides the API's (`key`).
  if (o.authType === 'api-key' && credentials.key === undefined && credentials.api_key !== undefined) {
    credentials.key = credentials.api_key
    delete credentials.api_key
  }
  return { type: o.authType, ...credentials }
}

/** TLS settings from `--tls-cert/--tls-key/--tls-ca` (PEM files) and `--tls-passphrase` (a source). */
function tlsBody(o: EndpointOptions): Record<string, unknown> {
  const tls: Record<string, unknown> = {}
  if (o.tlsCert !== undefined) tls.cert = readPem(o.tlsCert, '--tls-cert')
  if (o.tlsKey !== undefined) tls.key = readPem(o.tlsKey, '--tls-key')
  if (o.tlsCa !== undefined) tls.ca = readPem(o.tlsCa, '--tls-ca')
  if (o.tlsPassphrase !== undefined) tls.passphrase = readPassphrase(o.tlsPassphrase)
  return tls
}

function readPem(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`${option}: cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/**
 * A passphrase given as OpenSSL's `-passin` takes it: `env:NAME` (an environment variable),
 * `file:PATH` (the first line of a file) or `pass:TEXT` (the text itself, visible to `ps`).
 */
function readPassphrase(source: string): string {
  const at = source.indexOf(':')
  const kind = at < 0 ? '' : source.slice(0, at)
  const rest = source.slice(at + 1)
  if (kind === 'pass') return rest
  if (kind === 'env') {
    const value = process.env[rest]
    if (value === undefined || value === '') throw new CliError(`--tls-passphrase: the environment variable ${rest} is not set`)
    return value
  }
  if (kind === 'file') return readPem(rest, '--tls-passphrase').split(/\r?\n/)[0]!
  throw new CliError('--tls-passphrase: expected env:NAME, file:PATH or pass:TEXT (as openssl -passin)')
}

function rateLimitBody(value: string): Record<string, unknown> {
  const [max, interval] = value.split('/')
  return {
    max: parseInteger(max ?? '', '--rate-limit', 1, 1_000_000),
    interval_ms: interval === undefined ? 1000 : parseDuration(/^\d/.test(interval) ? interval : `1${interval}`, '--rate-limit'),
  }
}

function filtersBody(values: string[]): Record<string, unknown> {
  const filters: Record<string, unknown> = {}
  for (const pair of values) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new CliError(`--filter: expected path=value, got ${JSON.stringify(pair)}`)
    const raw = pair.slice(at + 1)
    let value: unknown = raw
    try {
      value = parseJson(raw, '--filter')
    } catch {
      // not JSON: compare as a string
    }
    filters[pair.slice(0, at)] = value
  }
  return filters
}

function statusToActive(status: string): boolean {
  if (status === 'active') return true
  if (status === 'paused' || status === 'inactive') return false
  throw new CliError(`--status: expected active, paused or inactive, got ${JSON.stringify(status)}`)
}
