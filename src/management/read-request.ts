import * as v from 'valibot'
import { HooklineError, PayloadTooLargeError, ValidationError, type FieldIssue } from '../errors.js'
import { readBody } from '../http/read-body.js'
import { plainIssueMessage } from '../validation/parse.js'
import { jsonTextDepth } from '../util/json-check.js'

/** Deepest nesting of a JSON request body; deeper → 400 before it is parsed. */
export const MAX_BODY_DEPTH = 64

/**
 * Reads a JSON body under a byte limit. Returns `undefined` for an empty body.
 * Throws 413 (too large), 415 (a body that is not declared JSON) or 400 (malformed JSON, or
 * nested deeper than {@link MAX_BODY_DEPTH}).
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw new PayloadTooLargeError(maxBytes)
  if (declared === '0' || request.body === null) return undefined
  const contentType = request.headers.get('content-type')
  // Refuse before reading when the sender says there is a body and it is not JSON.
  if (declared !== null && !isJson(contentType)) throw unsupportedMediaType(contentType)

  const body = await readBody(request, maxBytes)
  if (body.length === 0) return undefined
  if (!isJson(contentType)) throw unsupportedMediaType(contentType)
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body)
  if (text.trim() === '') return undefined
  if (jsonTextDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new ValidationError('request body', [{ field: '', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }])
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new ValidationError('request body', [{ field: '', message: `is not valid JSON (${(error as Error).message})` }], { cause: error })
  }
}

/** True for `application/json` and `application/*+json`, with any parameters. */
export function isJson(contentType: string | null): boolean {
  if (contentType === null) return false
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

function unsupportedMediaType(contentType: string | null): HooklineError {
  const got = contentType === null ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType)}`
  return new HooklineError('UNSUPPORTED_MEDIA_TYPE', `request bodies must be JSON (Content-Type: application/json), got ${got}`, { status: 415 })
}


type QueryKind = 'number' | 'boolean' | 'array' | 'string'

/**
 * Turns query parameters into the shapes an object schema expects: numbers and booleans from their
 * text, lists from repeated or comma-separated values. Unknown parameters are dropped; values that
 * do not convert are kept as text so validation names them.
 */
export function coerceQuery(params: URLSearchParams, schema: v.GenericSchema): Record<string, unknown> {
  const entries = (schema as unknown as { entries?: Record<string, v.GenericSchema> }).entries ?? {}
  const out: Record<string, unknown> = {}
  for (const [key, entry] of Object.entries(entries)) {
    const values = params.getAll(key)
    if (values.length === 0) continue
    const kind = queryKind(entry)
    if (kind === 'array') {
      out[key] = values.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '')
      continue
    }
    const raw = values[values.length - 1]!
    if (kind === 'number') out[key] = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw
    else if (kind === 'boolean') out[key] = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw
    else out[key] = raw
  }
  return out
}

/** The JSON kind of a (possibly optional / piped) schema, for query coercion. */
export function queryKind(schema: v.GenericSchema): QueryKind {
  let s = schema as unknown as { type: string; wrapped?: unknown }
  for (let i = 0; i < 10 && s.wrapped !== undefined; i++) s = s.wrapped as typeof s
  if (s.type === 'number') return 'number'
  if (s.type === 'boolean') return 'boolean'
  if (s.type === 'array') return 'array'
  return 'string'
}

/** Validates `input` against `schema`; throws a 400 ValidationError naming every bad field. */
export function validate<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  // A body that may be one object or an array of them (`POST /events`): checked against the
  // option of its own kind, so issues name the bad field (`3.event`) instead of the union.
  const options = (schema as unknown as { type?: string; options?: v.GenericSchema[] }).type === 'union' ? (schema as unknown as { options: v.GenericSchema[] }).options : undefined
  if (options !== undefined) {
    const kind = (s: v.GenericSchema): string => ((s as unknown as { type?: string; pipe?: { type: string }[] }).pipe?.[0]?.type ?? (s as unknown as { type?: string }).type ?? '')
    const wanted = Array.isArray(input) ? 'array' : typeof input === 'object' && input !== null ? 'object' : undefined
    const match = wanted === undefined ? [] : options.filter((o) => kind(o).endsWith(wanted))
    if (match.length === 1) return validate(match[0]!, input, what) as v.InferOutput<S>
  }
  const type = (schema as unknown as { type?: string }).type ?? ''
  if (type.endsWith('object') && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ValidationError(what, [{ field: '', message: 'must be a JSON object' }])
  }
  const result = v.safeParse(schema, input, { abortEarly: false })
  if (result.success) return result.output
  // valibot's strict objects stop at the first unknown key; name every one the caller sent.
  const unknown = unknownKeys(schema, input, '')
  const issues = describeIssues(result.issues).filter((f) => f.message !== 'is not a known field' || !unknown.includes(f.field))
  throw new ValidationError(what, [...unknown.map((field) => ({ field, message: 'is not a known field' })), ...issues])
}

type SchemaNode = { type: string; wrapped?: unknown; entries?: Record<string, SchemaNode>; pipe?: SchemaNode[]; options?: SchemaNode[] }

/**
 * Dotted paths of every key of `input` that the strict object schemas along `schema` do not know,
 * in the input's order. Follows optional/nullable wrappers, pipes, nested strict objects and, for
 * unions (e.g. `auth` by `type`), the one option whose literal `type` matches the input's.
 */
function unknownKeys(schema: unknown, input: unknown, path: string): string[] {
  let node = schema as SchemaNode
  for (let i = 0; i < 10 && node; i++) {
    if (node.wrapped !== undefined) node = node.wrapped as SchemaNode
    else if (node.type !== 'strict_object' && node.pipe?.[0] && node.pipe[0] !== node) node = node.pipe[0]
    else break
  }
  if (!node || typeof input !== 'object' || input === null || Array.isArray(input)) return []
  if ((node.type === 'union' || node.type === 'variant') && node.options) {
    const type = (input as { type?: unknown }).type
    const option = node.options.find((o) => {
      const literal = (o.entries?.type as { literal?: unknown } | undefined)?.literal
      return literal !== undefined && literal === type
    })
    return option ? unknownKeys(option, input, path) : []
  }
  if (node.type !== 'strict_object' || !node.entries) return []
  const out: string[] = []
  for (const key of Object.keys(input)) {
    const field = path === '' ? key : `${path}.${key}`
    const entry = node.entries[key]
    if (entry === undefined) out.push(field)
    else out.push(...unknownKeys(entry, (input as Record<string, unknown>)[key], field))
  }
  return out
}

/** valibot issues → `{ field, message }`, with plain wording for the common cases. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const seen = new Set<string>()
  const out: FieldIssue[] = []
  for (const issue of issues) {
    const field = v.getDotPath(issue) ?? ''
    const message = plainIssueMessage(issue)
    const key = `${field}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ field, message })
  }
  return out
}

/**
 * Rewrites the aliased fields of a JSON object body to hookline's names (see `BodyAlias`); any
 * other body is returned as it is. Throws a 400 naming both fields when a body has a field under
 * both names.
 */
export function applyAliases(body: unknown, aliases: readonly { from: string; to: string; convert?: (value: unknown) => unknown }[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body
  const source = body as Record<string, unknown>
  if (!aliases.some((a) => Object.hasOwn(source, a.from))) return body
  const out: Record<string, unknown> = { ...source }
  const issues: FieldIssue[] = []
  for (const alias of aliases) {
    if (!Object.hasOwn(out, alias.from)) continue
    const value = alias.convert ? alias.convert(out[alias.from]) : out[alias.from]
    delete out[alias.from]
    const path = alias.to.split('.')
    let target = out
    for (const key of path.slice(0, -1)) {
      const next = target[key]
      if (next === undefined || next === null) target[key] = {}
      else if (typeof next !== 'object' || Array.isArray(next)) break
      else target[key] = { ...(next as Record<string, unknown>) }
      target = target[key] as Record<string, unknown>
    }
    const last = path[path.length - 1]!
    if (Object.hasOwn(target, last)) issues.push({ field: alias.from, message: `is another name of \`${alias.to}\`; give one of them` })
    else target[last] = value
  }
  if (issues.length > 0) throw new ValidationError('request body', issues)
  return out
}
