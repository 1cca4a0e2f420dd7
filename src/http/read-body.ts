import { PayloadTooLargeError } from '../errors.js'

/**
 * Reads a request body into one Buffer, never holding more than `maxBytes`: a larger
 * `Content-Length` fails before anything is read, and a stream that delivers more is cancelled at
 * the first byte too many. Errors the body stream carries (a bridge's 413, a consumed body) are
 * rethrown as they are.
 *
 * @param maxBytes - largest accepted body, in bytes
 * @throws PayloadTooLargeError (status 413) when the body is larger than `maxBytes`
 */
export async function readBody(request: Request, maxBytes: number): Promise<Buffer> {
  const announced = request.headers.get('content-length')
  const length = announced !== null && /^\d+$/.test(announced) ? Number(announced) : null
  if (length !== null && length > maxBytes) throw new PayloadTooLargeError(maxBytes)
  if (length !== null) {
    // The length is announced and within the limit (HTTP framing holds the body to it): one read
    // of the whole body. Framework requests answer it without a Web stream (@hono/node-server
    // reads the socket directly), several times cheaper than a reader. Checked again afterwards
    // for a request built in-process with a wrong header.
    const bytes = Buffer.from(await request.arrayBuffer())
    if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes)
    return bytes
  }
  if (request.body === null) return Buffer.alloc(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new PayloadTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}
