import { ValidationError } from '../errors.js'
import type { HttpMethod, Route } from './route.js'

/** Result of matching a path and method against the route table. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  | { kind: 'not-found' }

interface CompiledRoute {
  route: Route
  segments: { literal: string | null; param: string | null }[]
}

/** A router over a fixed route table: exact segments, `:name` parameters, no wildcards. */
export function createRouter(routes: readonly Route[]): (method: string, path: string) => RouteMatch {
  const compiled: CompiledRoute[] = routes.map((route) => ({
    route,
    segments: split(route.path).map((s) => (s.startsWith(':') ? { literal: null, param: s.slice(1) } : { literal: s, param: null })),
  }))
  return (method, path) => {
    const parts = split(path)
    const allow = new Set<HttpMethod>()
    for (const c of compiled) {
      const params = matchSegments(c, parts)
      if (!params) continue
      if (c.route.method === method) return { kind: 'found', route: c.route, params }
      allow.add(c.route.method)
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow] } : { kind: 'not-found' }
  }
}

function matchSegments(c: CompiledRoute, parts: string[]): Record<string, string> | null {
  if (c.segments.length !== parts.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < parts.length; i++) {
    const seg = c.segments[i]!
    const part = parts[i]!
    if (seg.literal !== null) {
      if (seg.literal !== part) return null
    } else params[seg.param!] = decode(part, seg.param!)
  }
  return params
}

function decode(part: string, name: string): string {
  try {
    return decodeURIComponent(part)
  } catch (error) {
    throw new ValidationError('path', [{ field: name, message: 'is not validly URL-encoded' }], { cause: error })
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '')
}
