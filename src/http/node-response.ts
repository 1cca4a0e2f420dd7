import type { ServerResponse } from 'node:http'

/** Headers Node computes itself for the body it writes. */
const SKIPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/**
 * Copies a Web `Response` onto a Node `ServerResponse`: status, headers (every `Set-Cookie`
 * separately) and the body, streamed with backpressure. A body is not written for `HEAD`.
 * Resolves once the response is finished; a client that goes away stops the copy.
 */
export async function writeWebResponse(res: ServerResponse, response: Response, isHead = false): Promise<void> {
  if (res.headersSent || res.writableEnded) {
    await response.body?.cancel().catch(() => undefined)
    return
  }
  res.statusCode = response.status
  if (response.statusText) res.statusMessage = response.statusText
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || SKIPPED_HEADERS.has(name)) return
    res.setHeader(name, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)

  if (response.body === null || isHead) {
    await response.body?.cancel().catch(() => undefined)
    const length = response.headers.get('content-length')
    if (isHead && length !== null) res.setHeader('content-length', length)
    res.end()
    return
  }
  const reader = response.body.getReader()
  const onClose = (): void => void reader.cancel().catch(() => undefined)
  res.once('close', onClose)
  try {
    // A body that arrives in one chunk (all of hookline's answers) goes out in one write with a
    // Content-Length; longer ones stream (chunked) with backpressure.
    const first = await reader.read()
    if (first.done) {
      res.end()
      return
    }
    const second = await reader.read()
    if (second.done) {
      res.setHeader('content-length', first.value.byteLength)
      res.end(first.value)
      return
    }
    if (!(await write(res, first.value))) return
    for (let chunk: ReadableStreamReadResult<Uint8Array> = second; !chunk.done; chunk = await reader.read()) {
      if (!(await write(res, chunk.value))) return
    }
    res.end()
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)))
  } finally {
    res.off('close', onClose)
  }
}

/** Writes one chunk, waiting for `drain` when Node's buffer is full. False when the client went away. */
async function write(res: ServerResponse, bytes: Uint8Array): Promise<boolean> {
  if (res.write(bytes)) return true
  await new Promise<void>((resolve) => {
    const resume = (): void => {
      res.off('drain', resume)
      res.off('close', resume)
      resolve()
    }
    res.once('drain', resume)
    res.once('close', resume)
  })
  return !res.destroyed
}
