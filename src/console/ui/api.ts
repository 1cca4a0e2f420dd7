// The console's client of the management API mounted at `<console>/api`.

/** A field named by a 400 answer. */
export interface FieldIssue {
  field: string
  message: string
}

/** An error answer of the API: `{ error: { code, message, fields? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldIssue[] = [],
  ) {
    super(message)
  }
}

const TOKEN_KEY = 'hookline.portal'

/** The portal token of this tab: taken from `#portal=<token>` once, then kept in sessionStorage. */
export function portalToken(): string | null {
  const match = /^#portal=([A-Za-z0-9._-]+)$/.exec(location.hash)
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]!)
    history.replaceState(null, '', `${location.pathname}${location.search}#/`)
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

function headers(body: boolean): Record<string, string> {
  const out: Record<string, string> = { accept: 'application/json' }
  if (body) out['content-type'] = 'application/json'
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token) out.authorization = `Bearer ${token}`
  return out
}

/** Calls the API; resolves with the JSON answer or rejects with an {@link ApiError}. */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`api${path}`, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  const text = await response.text()
  let json: any = null
  try {
    json = text === '' ? null : JSON.parse(text)
  } catch {
    // a proxy's HTML error page
  }
  if (!response.ok) {
    const e = json?.error
    throw new ApiError(response.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `${response.status} ${response.statusText}`, e?.fields ?? [])
  }
  return json as T
}

/** Who the page acts for (`GET <console>/session`). */
export interface Session {
  mode: 'operator' | 'portal'
  owner: string | null
  expires_at: string | null
}

/** Reads the session. */
export async function loadSession(): Promise<Session> {
  const response = await fetch('session', { headers: headers(false), credentials: 'same-origin' })
  const json: any = await response.json().catch(() => null)
  if (!response.ok) throw new ApiError(response.status, json?.error?.code ?? 'HTTP_ERROR', json?.error?.message ?? response.statusText)
  return json as Session
}

/** A query string from defined values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}
