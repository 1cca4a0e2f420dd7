import { findJsonProblem } from './json-check.js'

/**
 * Where in `value` JSON serialisation fails: the dotted path (`data.items.2.id`) of the first
 * BigInt, circular reference or throwing `toJSON` found, or `root` itself when none is found.
 * Never throws.
 */
export function unserialisablePath(value: unknown, root: string): string {
  return findJsonProblem(value, root)?.path ?? root
}
