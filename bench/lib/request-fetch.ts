import type { Dispatcher } from 'undici'

/**
 * DIAGNOSTIC ONLY: a `fetch` look-alike built on undici's `request` (no WHATWG Request, Response,
 * Headers or streams), implementing just what ofetch and hookline's sender touch: `status`,
 * `statusText`, `headers.get/forEach` and `body.getReader()`. Passed as the manager's `fetch`
 * option it shows what hookline would reach if its sender called `undici.request` directly,
 * i.e. how much of the gap to raw undici is fetch's and how much is hookline's own code.
 */
export function requestAsFetch(dispatcher: Dispatcher, request: typeof import('undici').request): typeof fetch {
  return (async (input: string | URL, init: RequestInit = {}) => {
    const headers: Record<string, string> = {}
    const given = init.headers
    if (given instanceof Headers) given.forEach((value, key) => (headers[key] = value))
    else if (given) Object.assign(headers, given)
    const res = await request(String(input), {
      dispatcher,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: init.body as string | undefined,
      signal: init.signal ?? undefined,
    })
    const iterator = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    const body = {
      getReader: () => ({
        async read(): Promise<{ done: boolean; value?: Uint8Array }> {
          const next = await iterator.next()
          return next.done ? { done: true } : { done: false, value: next.value }
        },
        async cancel(): Promise<void> {
          res.body.destroy()
        },
        releaseLock(): void {},
      }),
    }
    const responseHeaders = {
      get(name: string): string | null {
        const value = res.headers[name.toLowerCase()]
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
      },
      forEach(fn: (value: string, key: string) => void): void {
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) fn(Array.isArray(value) ? value.join(', ') : value, key)
        }
      },
    }
    return { status: res.statusCode, statusText: '', ok: res.statusCode >= 200 && res.statusCode < 300, headers: responseHeaders, body }
  }) as unknown as typeof fetch
}
