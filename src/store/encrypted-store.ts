import { EncryptionKeyError, ValidationError } from '../errors.js'
import type { SecretCodec } from '../crypto/secret-codec.js'
import { mapEndpointSecrets, mapIncomingHookSecrets } from '../crypto/secret-fields.js'
import type { Endpoint, IncomingHook } from '../types.js'
import type { WebhookStore } from './types.js'

/** Options of `reencryptSecrets`. */
export interface ReencryptOptions {
  /** Records read per page (and written, one by one, before the next page is read). @default 100 */
  batchSize?: number
  /** Called after every page with the counts so far (for progress output). */
  onProgress?: (progress: ReencryptProgress) => void
}

/** What a re-encryption found and did, for one kind of record. */
export interface ReencryptCounts {
  /** Records read. */
  scanned: number
  /** Records written back with every secret under the newest key (plain-text and older-key values). */
  reencrypted: number
  /** Records left as they are because a secret of theirs opens with no configured key (see the error). */
  unreadable: number
}

/** Result of `reencryptSecrets`. */
export interface ReencryptResult {
  /** Id of the key everything readable is now encrypted under. */
  keyId: string
  /** Endpoints (signing secrets, auth credentials, sensitive header values). */
  endpoints: ReencryptCounts
  /** Incoming hooks (verification secrets). */
  incomingHooks: ReencryptCounts
  /** The first error of an unreadable record, naming its key id; `null` when there was none. */
  firstError: EncryptionKeyError | null
}

/** Progress of `reencryptSecrets`, after each page. */
export interface ReencryptProgress {
  /** Kind of record being processed. */
  kind: 'endpoints' | 'incomingHooks'
  /** Counts of that kind so far. */
  counts: ReencryptCounts
}

/** A store whose secret fields are encrypted on the way in and decrypted on the way out. */
export interface EncryptedStore extends WebhookStore {
  /** The store underneath, holding the sealed values. */
  readonly inner: WebhookStore
  /**
   * Re-encrypts every stored secret under the newest key: plain-text values (rows written before
   * encryption was turned on) and values under older keys. Page by page; records already under the
   * newest key are only read, so a run that was interrupted is finished by running it again.
   */
  reencryptSecrets(options?: ReencryptOptions): Promise<ReencryptResult>
}

/** Full passes at most: a pass that changed records is followed by one that checks nothing was skipped. */
const MAX_PASSES = 3

/** Optional store methods the wrapper passes through unchanged. */
const PASS_THROUGH = ['recordWorker', 'listWorkers', 'reportLostWorkers', 'pruneWorkers', 'takeRateSlot', 'releaseRateSlot'] as const satisfies readonly (keyof WebhookStore)[]

/**
 * Wraps `inner` so that every secret value (see `src/crypto/secret-fields.ts`) is sealed by `codec`
 * before it is stored and opened when it is read. Works over any store (memory, SQLite, Postgres,
 * a host's own), which keeps no knowledge of encryption.
 *
 * A value no configured key opens is not an error on read: the record comes back with that value
 * still sealed, so it can be listed, paused, deleted or edited; whatever needs the secret itself
 * (a delivery, a view with secrets, an incoming signature check) refuses it with an
 * `EncryptionKeyError` naming the key id (`unreadableSecret`).
 */
export function encryptedStore(inner: WebhookStore, codec: SecretCodec): EncryptedStore {
  const seal = (value: string): string => codec.seal(value)
  const open = (value: string): string => codec.openOrKeep(value)
  const sealEndpoint = (e: Endpoint): Endpoint => mapEndpointSecrets(e, seal)
  const openEndpoint = (e: Endpoint): Endpoint => mapEndpointSecrets(e, open)
  const sealHook = (h: IncomingHook): IncomingHook => mapIncomingHookSecrets(h, seal)
  const openHook = (h: IncomingHook): IncomingHook => mapIncomingHookSecrets(h, open)

  const store: EncryptedStore = {
    inner,
    name: inner.name,
    durable: inner.durable,
    migrate: () => inner.migrate(),
    close: () => inner.close(),

    createEndpoint: (endpoint) => inner.createEndpoint(sealEndpoint(endpoint)),
    getEndpoint: async (id) => {
      const found = await inner.getEndpoint(id)
      return found === null ? null : openEndpoint(found)
    },
    listEndpoints: async (query) => (await inner.listEndpoints(query)).map(openEndpoint),
    updateEndpoint: (endpoint) => inner.updateEndpoint(sealEndpoint(endpoint)),
    deleteEndpoint: (id) => inner.deleteEndpoint(id),

    enqueue: (message, deliveries, options) => inner.enqueue(message, deliveries, options),
    enqueueMany: (items, options) => inner.enqueueMany(items, options),
    getMessage: (id) => inner.getMessage(id),
    claim: (request) => inner.claim(request),
    complete: (outcomes) => inner.complete(outcomes),
    release: (ids, workerId, now) => inner.release(ids, workerId, now),
    nextDueAt: () => inner.nextDueAt(),
    getDelivery: (id) => inner.getDelivery(id),
    listDeliveries: (query) => inner.listDeliveries(query),
    requeueDelivery: (id, at, now) => inner.requeueDelivery(id, at, now),
    replayDeliveries: (request) => inner.replayDeliveries(request),
    listAttempts: (deliveryId) => inner.listAttempts(deliveryId),
    getStats: (endpointId, since) => inner.getStats(endpointId, since),
    cleanup: (request) => inner.cleanup(request),

    createIncomingHook: (hook) => inner.createIncomingHook(sealHook(hook)),
    getIncomingHook: async (id) => {
      const found = await inner.getIncomingHook(id)
      return found === null ? null : openHook(found)
    },
    findIncomingHookByTokenHash: async (tokenHash) => {
      const found = await inner.findIncomingHookByTokenHash(tokenHash)
      return found === null ? null : openHook(found)
    },
    listIncomingHooks: async (query) => (await inner.listIncomingHooks(query)).map(openHook),
    updateIncomingHook: (hook) => inner.updateIncomingHook(sealHook(hook)),
    deleteIncomingHook: (id) => inner.deleteIncomingHook(id),
    insertIncomingLog: (log) => inner.insertIncomingLog(log),
    listIncomingLogs: (hookId, query) => inner.listIncomingLogs(hookId, query),
    getIncomingStats: (hookId, since) => inner.getIncomingStats(hookId, since),
    rememberIncomingKey: (hookId, key, now, expiresAt) => inner.rememberIncomingKey(hookId, key, now, expiresAt),

    reencryptSecrets: (options = {}) => reencrypt(inner, codec, options),
  }
  if (inner.onWake) store.onWake = (listener) => inner.onWake!(listener)
  // Optional capabilities hold no secrets: passed through when the inner store has them.
  for (const name of PASS_THROUGH) {
    const method = inner[name]
    if (typeof method === 'function') (store as unknown as Record<string, unknown>)[name] = method.bind(inner)
  }
  return store
}

interface RecordAccess<T extends { id: string }> {
  kind: ReencryptProgress['kind']
  list(page: { limit: number; offset: number }): Promise<T[]>
  get(id: string): Promise<T | null>
  update(record: T): Promise<boolean>
  map(record: T, fn: (value: string) => string): T
}

async function reencrypt(inner: WebhookStore, codec: SecretCodec, options: ReencryptOptions): Promise<ReencryptResult> {
  const batchSize = options.batchSize ?? 100
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError('reencryptSecrets options', [{ field: 'batchSize', message: `expected an integer >= 1, got \`${String(batchSize)}\` (${typeof batchSize})` }])
  }
  let firstError: EncryptionKeyError | null = null
  const toNewestKey = (value: string): string => (codec.isCurrent(value) ? value : codec.seal(codec.open(value)))

  const run = async <T extends { id: string }>(access: RecordAccess<T>): Promise<ReencryptCounts> => {
    /** The record with every secret under the newest key; `null` when it is so already. Throws EncryptionKeyError when a secret opens with no key. */
    const resealed = (record: T): T | null => {
      const next = access.map(record, toNewestKey)
      return next === record ? null : next
    }
    const counts: ReencryptCounts = { scanned: 0, reencrypted: 0, unreadable: 0 }
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let changed = 0
      let unreadable = 0
      for (let offset = 0; ; offset += batchSize) {
        const page = await access.list({ limit: batchSize, offset })
        for (const record of page) {
          if (pass === 0) counts.scanned++
          try {
            if (resealed(record) === null) continue
            // Read again right before the write: the page may be a moment old, and the write
            // replaces the whole record.
            const fresh = await access.get(record.id)
            const next = fresh === null ? null : resealed(fresh)
            if (next === null || !(await access.update(next))) continue
            changed++
          } catch (error) {
            if (!(error instanceof EncryptionKeyError)) throw error
            firstError ??= error
            unreadable++
          }
        }
        options.onProgress?.({ kind: access.kind, counts: { ...counts, reencrypted: counts.reencrypted + changed, unreadable } })
        if (page.length < batchSize) break
      }
      counts.reencrypted += changed
      counts.unreadable = unreadable
      if (changed === 0) break
    }
    return counts
  }

  const endpoints = await run<Endpoint>({
    kind: 'endpoints',
    list: (page) => inner.listEndpoints(page),
    get: (id) => inner.getEndpoint(id),
    update: (record) => inner.updateEndpoint(record),
    map: mapEndpointSecrets,
  })
  const incomingHooks = await run<IncomingHook>({
    kind: 'incomingHooks',
    list: (page) => inner.listIncomingHooks(page),
    get: (id) => inner.getIncomingHook(id),
    update: (record) => inner.updateIncomingHook(record),
    map: mapIncomingHookSecrets,
  })
  return { keyId: codec.keyIds[0]!, endpoints, incomingHooks, firstError }
}
