/** Deepest nesting accepted in JSON that hookline stores for the host (metadata, filters, transforms). */
export const MAX_STORED_JSON_DEPTH = 32

/** What is wrong with a value bound for JSON, and where (`metadata.a.0`). */
export interface JsonProblem {
  /** Dotted path of the offending value, starting with the root's name. */
  path: string
  /** What is wrong with it. */
  message: string
}

/** Options of {@link findJsonProblem}. */
export interface JsonCheckOptions {
  /** Deepest nesting allowed (the root's children are at depth 1). @default Infinity */
  maxDepth?: number
  /**
   * Also refuse strings (values and keys) that a database cannot store as they are: a NUL
   * character (Postgres `text`/`jsonb`) or a lone UTF-16 surrogate (`jsonb`, and UTF-8 anywhere).
   * @default false
   */
  storableText?: boolean
}

const LONE_SURROGATE = /\p{Cs}/u

/** Why a string cannot be stored as it is, or `null`: a NUL character or a lone surrogate. */
export function unstorableTextReason(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored'
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate, which is not valid Unicode text'
  return null
}

/**
 * The first reason `value` cannot be stored as JSON, or `null`: a BigInt, a circular reference, a
 * throwing `toJSON`, nesting deeper than `maxDepth` and (with `storableText`) a NUL or lone
 * surrogate in a string. Never throws: the walk is bounded by `maxDepth`, and a value too deep for
 * the stack (with no `maxDepth`) is reported as such.
 */
export function findJsonProblem(value: unknown, root: string, options: JsonCheckOptions = {}): JsonProblem | null {
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY
  const text = options.storableText === true
  const ancestors = new Set<object>()
  const walk = (node: unknown, path: string, depth: number): JsonProblem | null => {
    if (typeof node === 'bigint') return { path, message: 'is a BigInt, which JSON cannot represent' }
    if (typeof node === 'string') {
      const reason = text ? unstorableTextReason(node) : null
      return reason === null ? null : { path, message: reason }
    }
    if (node === null || typeof node !== 'object') return null
    if (ancestors.has(node)) return { path, message: 'is a circular reference, which JSON cannot represent' }
    const toJSON = (node as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      try {
        node = toJSON.call(node)
      } catch (error) {
        return { path, message: `cannot be serialised: its toJSON() threw (${error instanceof Error ? error.message : String(error)})` }
      }
      if (node === null || typeof node !== 'object') return walk(node, path, depth)
    }
    if (depth >= maxDepth) return { path, message: `nests deeper than ${maxDepth} levels` }
    ancestors.add(node as object)
    try {
      for (const key of Object.keys(node as object)) {
        const child = `${path}.${key}`
        const reason = text ? unstorableTextReason(key) : null
        if (reason !== null) return { path: child, message: `is a key that ${reason}` }
        const found = walk((node as Record<string, unknown>)[key], child, depth + 1)
        if (found !== null) return found
      }
      return null
    } finally {
      ancestors.delete(node as object)
    }
  }
  try {
    return walk(value, root, 0)
  } catch (error) {
    if (error instanceof RangeError) return { path: root, message: 'nests too deeply to be serialised' }
    throw error
  }
}

/**
 * Deepest nesting of arrays and objects in JSON `text`, counted in one linear pass without parsing
 * (brackets inside strings are skipped); stops counting once `limit` is exceeded.
 */
export function jsonTextDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth
        if (max > limit) return max
      }
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}
