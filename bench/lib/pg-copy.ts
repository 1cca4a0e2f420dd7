// Binary COPY … FROM STDIN through the `pg` driver's own connection (no pg-copy-streams): for the
// benchmarks that measure what COPY would cost the enqueue (bench/tools/enqueue-plan-cost.ts,
// variants `copy` and `copystage`). Not used by the library.
import type pg from 'pg'
import type { Delivery, Message } from '../../src/types.js'
import { dataJson } from '../../src/util/data-json.js'

/** The driver's connection, as much of it as a COPY needs. */
interface CopyConnection {
  query(text: string): void
  sendCopyFromChunk(chunk: Buffer): void
  endCopyFrom(): void
}

/**
 * Runs `COPY … FROM STDIN (FORMAT binary)` with `data` (a whole binary COPY stream) on `client`, as
 * a query object the driver queues like any other (`submit` is the driver's extension point).
 * Resolves with the rows copied.
 */
export function copyIn(client: pg.Client, text: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0
    let error: unknown = null
    const submittable = {
      submit(connection: CopyConnection) {
        connection.query(text)
      },
      handleCopyInResponse(connection: CopyConnection) {
        connection.sendCopyFromChunk(data)
        connection.endCopyFrom()
      },
      handleCommandComplete(msg: { text: string }) {
        rows = Number(msg.text.split(' ').pop())
      },
      handleError(err: unknown) {
        error = err
      },
      handleReadyForQuery() {
        if (error !== null) reject(error)
        else resolve(rows)
      },
    }
    void client.query(submittable as never)
  })
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
const PG_EPOCH_MS = 946_684_800_000

/** A growable writer of one binary COPY stream. */
class CopyWriter {
  #buffer: Buffer
  #at = 0
  constructor(size: number) {
    this.#buffer = Buffer.allocUnsafe(Math.max(size, 64))
    SIGNATURE.copy(this.#buffer, 0)
    this.#buffer.writeInt32BE(0, 11) // flags
    this.#buffer.writeInt32BE(0, 15) // header extension length
    this.#at = 19
  }
  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + bytes))
    this.#buffer.copy(next, 0, 0, this.#at)
    this.#buffer = next
  }
  row(fields: number): void {
    this.#room(2)
    this.#buffer.writeInt16BE(fields, this.#at)
    this.#at += 2
  }
  text(value: string | null): void {
    if (value === null) return this.#null()
    const max = value.length * 3
    this.#room(4 + max)
    const bytes = this.#buffer.write(value, this.#at + 4, 'utf8')
    this.#buffer.writeInt32BE(bytes, this.#at)
    this.#at += 4 + bytes
  }
  int4(value: number | null): void {
    if (value === null) return this.#null()
    this.#room(8)
    this.#buffer.writeInt32BE(4, this.#at)
    this.#buffer.writeInt32BE(value, this.#at + 4)
    this.#at += 8
  }
  time(value: Date | null): void {
    if (value === null) return this.#null()
    this.#room(12)
    this.#buffer.writeInt32BE(8, this.#at)
    this.#buffer.writeBigInt64BE(BigInt((value.getTime() - PG_EPOCH_MS) * 1000), this.#at + 4)
    this.#at += 12
  }
  #null(): void {
    this.#room(4)
    this.#buffer.writeInt32BE(-1, this.#at)
    this.#at += 4
  }
  end(): Buffer {
    this.#room(2)
    this.#buffer.writeInt16BE(-1, this.#at)
    this.#at += 2
    return this.#buffer.subarray(0, this.#at)
  }
}

/** Columns of {@link copyMessages}' stream, in order. */
export const MESSAGE_COLUMNS = 'id, event, data, metadata, idempotency_key, owner, created_at'
/** Columns of {@link copyDeliveries}' stream, in order. */
export const DELIVERY_COLUMNS =
  'id, message_id, endpoint_id, event, status, attempts, next_attempt_at, locked_until, locked_by, last_status_code, last_error, created_at, updated_at, completed_at, ordering_key'

/** The messages as a binary COPY stream of {@link MESSAGE_COLUMNS}. */
export function copyMessages(messages: readonly Message[]): Buffer {
  const w = new CopyWriter(messages.length * 1400)
  for (const m of messages) {
    w.row(7)
    w.text(m.id)
    w.text(m.event)
    w.text(dataJson(m))
    w.text(m.metadata === null ? null : JSON.stringify(m.metadata))
    w.text(m.idempotencyKey)
    w.text(m.owner)
    w.time(m.createdAt)
  }
  return w.end()
}

/** The deliveries as a binary COPY stream of {@link DELIVERY_COLUMNS}. */
export function copyDeliveries(deliveries: readonly Delivery[]): Buffer {
  const w = new CopyWriter(deliveries.length * 300)
  for (const d of deliveries) {
    w.row(15)
    w.text(d.id)
    w.text(d.messageId)
    w.text(d.endpointId)
    w.text(d.event)
    w.text(d.status)
    w.int4(d.attempts)
    w.time(d.nextAttemptAt)
    w.time(d.lockedUntil)
    w.text(d.lockedBy)
    w.int4(d.lastStatusCode)
    w.text(d.lastError)
    w.time(d.createdAt)
    w.time(d.updatedAt)
    w.time(d.completedAt)
    w.text(d.orderingKey)
  }
  return w.end()
}
