import { randomFillSync } from 'node:crypto'

/** Random bytes fetched from the CSPRNG at once; each id takes 10 of them. */
const RANDOM_BYTES = 10
const POOL_BYTES = RANDOM_BYTES * 256
const pool = Buffer.allocUnsafe(POOL_BYTES)
let offset = POOL_BYTES

const HEX = Buffer.from('0123456789abcdef', 'latin1')
/** Where an id is written before it becomes a string. */
const scratch = Buffer.allocUnsafe(128)
/** Longest prefix written through `scratch` (longer ones, which hookline never uses, are concatenated). */
const MAX_PREFIX = scratch.length - 33
/** Hex digits of the time part: 48 bits of ms since the epoch (enough until the year 10889). */
const TIME_DIGITS = 12

/**
 * A new unique id with a readable type prefix, e.g. `msg_018f3c…`: the prefix, `_`, and 32
 * lower-case hex digits: the wall-clock time in ms since the epoch (48 bits, 12 digits) followed
 * by 80 random bits (the layout of a UUID v7, which has 74). Ids made later sort after earlier
 * ones (within a millisecond in random order), so a Postgres primary key (and any index on an id
 * column) takes each new id at its right edge, in a page already in cache, instead of at a random
 * page of the whole index: with random ids, storing a batch of messages cost the backend ~40 %
 * more CPU per message at 50 000 stored (`bench/tools/enqueue-plan-cost.ts`, variant `+timeids`).
 * Ids are identifiers, not secrets, and say nothing a stored row's `createdAt` does not; order
 * by time fields, not by ids (the time part is this machine's clock, not the injected one).
 *
 * The random bytes come from one `randomFillSync` call per 256 ids. The id is written into a
 * buffer and read out as one flat string: joining the prefix and the hex digits as strings would
 * make a rope (a "cons string"), which V8 later flattens into a third string, and a store keeping
 * ids in a Map would hold all three (~140 bytes instead of 56).
 */
export function createId(prefix: string): string {
  if (offset === POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const start = offset
  offset += RANDOM_BYTES
  if (prefix.length > MAX_PREFIX) return `${prefix}_${timeHex()}${pool.toString('hex', start, offset)}`
  let p = scratch.write(prefix, 0, 'latin1')
  scratch[p++] = 0x5f // _
  // 48 bits as two parts a 32-bit operation can take: the high 16 and the low 32.
  const ms = Date.now()
  const high = Math.floor(ms / 0x1_0000_0000)
  const low = ms >>> 0
  for (let shift = 12; shift >= 0; shift -= 4) scratch[p++] = HEX[(high >>> shift) & 15]!
  for (let shift = 28; shift >= 0; shift -= 4) scratch[p++] = HEX[(low >>> shift) & 15]!
  for (let i = start; i < offset; i++) {
    const byte = pool[i]!
    scratch[p++] = HEX[byte >> 4]!
    scratch[p++] = HEX[byte & 15]!
  }
  return scratch.toString('latin1', 0, p)
}

/** The time part of an id: the ms since the epoch as 12 hex digits. */
function timeHex(): string {
  return Date.now().toString(16).padStart(TIME_DIGITS, '0')
}
