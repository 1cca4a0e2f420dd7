import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from '../../src/index.js'

/** A real HTTP server on 127.0.0.1 (ephemeral port) serving a fetch handler through the Node bridge. */
export interface TestServer {
  url: string
  close(): Promise<void>
}

export async function serve(handler: (request: Request) => Promise<Response>): Promise<TestServer> {
  const server: Server = createServer(toNodeHandler(handler))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A JSON answer as a test sees it. */
export interface ApiAnswer<T = any> {
  status: number
  headers: Headers
  body: T
}

/** A client of the management API: JSON in, status + parsed JSON out. */
export function apiClient(base: string, defaults: Record<string, string> = {}) {
  return async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const init: RequestInit = { method, headers: { ...defaults, ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
    }
    const res = await fetch(`${base}${path}`, init)
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) }
  }
}
