/**
 * Where in `value` JSON serialisation fails: the dotted path (`data.items.2.id`) of the first
 * BigInt, circular reference or throwing `toJSON` found, or `root` itself when none is found
 * (or the walk gives up after `maxNodes` values).
 */
export function unserialisablePath(value: unknown, root: string, maxNodes = 10_000): string {
  let visited = 0
  const ancestors = new Set<object>()
  const walk = (node: unknown, path: string): string | null => {
    if (++visited > maxNodes) return null
    if (typeof node === 'bigint') return path
    if (node === null || typeof node !== 'object') return null
    if (ancestors.has(node)) return path
    const toJSON = (node as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      try {
        node = toJSON.call(node)
      } catch {
        return path
      }
      if (node === null || typeof node !== 'object') return typeof node === 'bigint' ? path : null
    }
    ancestors.add(node as object)
    try {
      for (const key of Object.keys(node as object)) {
        const found = walk((node as Record<string, unknown>)[key], `${path}.${key}`)
        if (found !== null) return found
      }
      return null
    } finally {
      ancestors.delete(node as object)
    }
  }
  return walk(value, root) ?? root
}
