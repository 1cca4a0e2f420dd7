import { useEffect, useState } from 'preact/hooks'

/** The current hash route, e.g. `/endpoints/ep_1` for `#/endpoints/ep_1`. */
export function useRoute(): string {
  const [route, setRoute] = useState(current())
  useEffect(() => {
    const onChange = () => setRoute(current())
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}

function current(): string {
  const hash = location.hash.replace(/^#/, '')
  return hash.startsWith('/') ? hash.split('?')[0]! : '/'
}

/** Navigates to a hash route. */
export function go(route: string): void {
  location.hash = `#${route}`
}

/** Matches `/endpoints/:id` style patterns; returns the parameters or null. */
export function match(pattern: string, route: string): Record<string, string> | null {
  const p = pattern.split('/')
  const r = route.split('/')
  if (p.length !== r.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(r[i]!)
    else if (p[i] !== r[i]) return null
  }
  return params
}
