/**
 * One-dimensional Postgres arrays in the binary wire format (`array_send`), for the `unnest`
 * parameters of batch inserts. The `pg` driver sends a `Buffer` parameter in binary format, so
 * neither side escapes or parses text: as a text array literal every element (a 1 KB JSON payload
 * among them) was escaped by two regular expressions per element in the driver and unescaped again
 * by the server's `array_in`, and every time was written and parsed as ISO text.
 */

/** Element types this module encodes, by the Postgres type name used in the statement's cast. */
export type BinaryElementType = 'text' | 'json' | 'jsonb' | 'bigint' | 'float8' | 'boolean' | 'timestamptz'

/** Type OIDs of the elements (fixed in every Postgres since 8.x; `array_recv` checks them). */
const OID: Record<BinaryElementType, number> = {
  text: 25,
  json: 114,
  jsonb: 3802,
  bigint: 20,
  float8: 701,
  boolean: 16,
  timestamptz: 1184,
}

/** ms from the Unix epoch to the Postgres epoch (2000-01-01T00:00:00Z). */
const PG_EPOCH_MS = 946_684_800_000
const TWO_32 = 4_294_967_296

/**
 * An element of an array of type `type`: a string for `text`, `json` and `jsonb` (already free of
 * what the column refuses: see `pgText`, `pgJsonb`), a number for `bigint` and `float8`, a boolean,
 * a `Date` for `timestamptz`; `null` is SQL NULL.
 */
export type BinaryElement = string | number | boolean | Date | null

/** Bytes of an element's value (without its length word). */
function sizeOf(value: Exclude<BinaryElement, null>, type: BinaryElementType): number {
  switch (type) {
    case 'text':
    case 'json':
      return Buffer.byteLength(value as string, 'utf8')
    case 'jsonb':
      return 1 + Buffer.byteLength(value as string, 'utf8')
    case 'boolean':
      return 1
    default:
      return 8
  }
}

/** Writes a signed 64-bit integer (a safe integer, else a `RangeError`) at `at`. */
function writeInt64(buffer: Buffer, value: number, at: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`[hookline] [postgres] ${String(value)} is not an integer a bigint column can hold exactly`)
  buffer.writeInt32BE(Math.floor(value / TWO_32), at)
  buffer.writeUInt32BE(value >>> 0, at + 4)
}

/** Writes an element's value at `at`; returns the offset after it. */
function writeValue(buffer: Buffer, value: Exclude<BinaryElement, null>, type: BinaryElementType, at: number): number {
  switch (type) {
    case 'text':
    case 'json':
      return at + buffer.write(value as string, at, 'utf8')
    case 'jsonb':
      buffer[at] = 1 // jsonb binary format version
      return at + 1 + buffer.write(value as string, at + 1, 'utf8')
    case 'bigint':
      writeInt64(buffer, value as number, at)
      return at + 8
    case 'float8':
      buffer.writeDoubleBE(value as number, at)
      return at + 8
    case 'boolean':
      buffer[at] = value ? 1 : 0
      return at + 1
    case 'timestamptz': {
      const ms = (value as Date).getTime()
      // As toISOString would: an invalid date is an error, never a silent NULL.
      if (!Number.isFinite(ms)) throw new RangeError('[hookline] [postgres] a record holds an invalid date')
      writeInt64(buffer, (ms - PG_EPOCH_MS) * 1000, at)
      return at + 8
    }
  }
}

/**
 * `values` as a one-dimensional Postgres array of `type` in binary format, for a parameter cast to
 * `type[]` in the statement. Strings must already hold no NUL (text) and no escape a `jsonb`
 * refuses; a lone UTF-16 surrogate is written as U+FFFD, as the driver does for text parameters.
 */
export function binaryArray(values: readonly BinaryElement[], type: BinaryElementType): Buffer {
  const n = values.length
  let size = n === 0 ? 12 : 20
  let nulls = 0
  const sizes = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const value = values[i]!
    if (value === null) {
      nulls = 1
      sizes[i] = -1
      size += 4
    } else {
      const bytes = sizeOf(value, type)
      sizes[i] = bytes
      size += 4 + bytes
    }
  }
  const buffer = Buffer.allocUnsafe(size)
  buffer.writeInt32BE(n === 0 ? 0 : 1, 0) // dimensions
  buffer.writeInt32BE(nulls, 4) // has nulls
  buffer.writeUInt32BE(OID[type], 8)
  let at = 12
  if (n > 0) {
    buffer.writeInt32BE(n, 12) // length of the dimension
    buffer.writeInt32BE(1, 16) // its lower bound
    at = 20
  }
  for (let i = 0; i < n; i++) {
    const bytes = sizes[i]!
    buffer.writeInt32BE(bytes, at)
    at += 4
    if (bytes >= 0) at = writeValue(buffer, values[i]!, type, at)
  }
  return buffer
}
