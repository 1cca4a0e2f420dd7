import { createHash } from 'node:crypto'
import { ValidationError } from '../errors.js'
import { checkTransform } from './template-check.js'
import { TemplateError } from './template-error.js'
import { TemplateRenderPool, type TemplatePoolOptions } from './template-pool.js'

/** A hook's transform: a Nunjucks template string, or an object (or array) whose string leaves are templates. */
export type TransformTemplate = string | Record<string, unknown>

/** Limits of one render. */
export interface TransformLimits {
  /**
   * Longest a render may run, in ms; past it the render process is killed and the render fails.
   * @default 1000
   */
  timeoutMs?: number
  /**
   * Largest output, in bytes (all string leaves together for an object template).
   * @default 1_048_576 (1 MiB)
   */
  maxOutputBytes?: number
}

/** Options of {@link renderTransform}. */
export interface TransformOptions extends TransformLimits {}

const DEFAULT_TIMEOUT_MS = 1000
const DEFAULT_MAX_OUTPUT_BYTES = 1_048_576
/** Transforms whose check result is remembered (per hook version). */
const CHECKED_LIMIT = 1024

/**
 * Renders incoming transforms in the sandbox: the template is checked once per cache key (hook
 * version), then rendered in a separate process of a {@link TemplateRenderPool}.
 *
 * Output shape: a string template whose output starts with `{` or `[` is parsed as JSON (invalid
 * JSON fails); any other output is returned as a string. An object template renders each string
 * leaf to a string and keeps numbers, booleans and null as they are.
 */
export class Transformer {
  readonly #pool: TemplateRenderPool
  readonly #checked = new Map<string, string | null>()

  constructor(options: TemplatePoolOptions = {}) {
    this.#pool = new TemplateRenderPool(options)
  }

  /**
   * Renders `transform` against `payload`.
   * @param key - identifies this transform's version (e.g. `ih_1@3`); compiled templates are cached under it
   * @param payloadJson - the payload as JSON text
   * @throws TemplateError (status 422) when the template is invalid, fails, or exceeds a limit
   */
  async render(key: string, transform: TransformTemplate, payloadJson: string, limits: TransformLimits = {}): Promise<unknown> {
    let problem = this.#checked.get(key)
    if (problem === undefined) {
      const issues = checkTransform(transform)
      problem = issues.length === 0 ? null : issues.map((i) => `${i.field}: ${i.message}`).join('; ')
      if (this.#checked.size >= CHECKED_LIMIT) this.#checked.clear()
      this.#checked.set(key, problem)
    }
    if (problem !== null) throw new TemplateError(`invalid transform: ${problem}`)
    return this.#pool.render({
      key,
      transform,
      payload: payloadJson,
      timeoutMs: positive(limits.timeoutMs, DEFAULT_TIMEOUT_MS),
      maxOutputBytes: positive(limits.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES),
    })
  }

  /** Stops the render processes. */
  close(): Promise<void> {
    return this.#pool.close()
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback
}

let shared: Transformer | undefined

/**
 * Renders a transform against a payload exactly as an incoming hook would, to try templates out
 * (or to render them outside a hook). Uses a shared render process that stops when idle.
 *
 * @throws ValidationError naming the bad part when the template itself is invalid
 * @throws TemplateError when rendering fails, is too slow or its output is too large / not JSON
 * @example
 * await renderTransform({ message: 'New lead: {{ lead_name }}', priority: "{{ priority | default('medium') }}" }, { lead_name: 'Ada' })
 * // → { message: 'New lead: Ada', priority: 'medium' }
 */
export async function renderTransform(transform: TransformTemplate, payload: unknown, options: TransformOptions = {}): Promise<unknown> {
  const issues = checkTransform(transform)
  if (issues.length > 0) throw new ValidationError('transform', issues)
  const json = JSON.stringify(payload === undefined ? null : payload)
  const key = 'adhoc:' + createHash('sha256').update(JSON.stringify(transform)).digest('base64url')
  shared ??= new Transformer({ processes: 1 })
  return shared.render(key, transform, json, options)
}
