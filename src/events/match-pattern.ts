/**
 * Event patterns: an exact name (`agent.created`), `*` (every event), or dotted segments where `*`
 * stands for one segment (`*.failed`) and a trailing `*` for one or more (`agent.*` also matches
 * `agent.task.completed`).
 */
export const EVENT_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.([A-Za-z0-9_-]+|\*))*|\*(\.([A-Za-z0-9_-]+|\*))+)$/

/** True when `pattern` has a wildcard. */
export function isWildcard(pattern: string): boolean {
  return pattern.includes('*')
}

/** True when the event name matches the pattern. */
export function matchPattern(pattern: string, event: string): boolean {
  if (pattern === '*' || pattern === event) return true
  if (!isWildcard(pattern)) return false
  const p = pattern.split('.')
  const e = event.split('.')
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]
    if (seg === '*' && i === p.length - 1) return e.length > i
    if (i >= e.length) return false
    if (seg !== '*' && seg !== e[i]) return false
  }
  return p.length === e.length
}
