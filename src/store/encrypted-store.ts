import { isDeepStrictEqual } from 'node:util'
import { EncryptionKeyError, ValidationError } from '../errors.js'
import { secretBinding, type SecretCodec } from '../crypto/secret-codec.js'
import { mapEndpointSecrets, mapIncomingHookSecrets, type SecretMapper } from '../crypto/secret-fields.js'
import type { Endpoint, IncomingHook } from '../types.js'
import type { UpdateOptions, WebhookStore } from './types.js'

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
/** Read-and-write tries of one record whose compare-and-set keeps losing to other writers (the next pass tries again). */
const MAX_TRIES = 5

/** Binding kinds (the first part of a sealed value's additional authenticated data). */
const ENDPOINT = 'endpoint'
const INCOMING_HOOK = 'incomingHook'

/** Optional store methods the wrapper passes through unchanged. */
const PASS_THROUGH = [
  'recordWorker',
  'listWorkers',
  'reportLostWorkers',
  'pruneWorkers',
  'takeRateSlots',
  'releaseRateSlots',
  'recordBreakerFailure',
  'recordBreakerSuccess',
  'takeBreakerProbe',
  'getBreaker',
  'listOpenBreakers',
  'clearBreaker',
] as const satisfies readonly (keyof WebhookStore)[]

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
  // Every value is bound to its record's kind and id and its field (the cipher's AAD).
  const seal = (kind: string, id: string): SecretMapper => (value, field) => codec.seal(value, secretBinding(kind, id, field))
  const open = (kind: string, id: string): SecretMapper => (value, field) => codec.openOrKeep(value, secretBinding(kind, id, field))
  const sealEndpoint = (e: Endpoint): Endpoint => mapEndpointSecrets(e, seal(ENDPOINT, e.id))
  const openEndpoint = (e: Endpoint): Endpoint => mapEndpointSecrets(e, open(ENDPOINT, e.id))
  const sealHook = (h: IncomingHook): IncomingHook => mapIncomingHookSecrets(h, seal(INCOMING_HOOK, h.id))
  const openHook = (h: IncomingHook): IncomingHook => mapIncomingHookSecrets(h, open(INCOMING_HOOK, h.id))

  /**
   * An update with `expected` (plain text, as this wrapper returned it): the stored values are
   * sealed with fresh IVs, so the comparison is made on the opened record, and the write is a
   * compare-and-set against the sealed record that was opened.
   */
  const compareAndSet = async <T extends { id: string }>(
    record: T,
    options: UpdateOptions<T> | undefined,
    access: { get(id: string): Promise<T | null>; update(record: T, options?: UpdateOptions<T>): Promise<boolean>; seal(r: T): T; open(r: T): T },
  ): Promise<boolean> => {
    if (options?.expected === undefined) return access.update(access.seal(record))
    const stored = await access.get(record.id)
    if (stored === null || !isDeepStrictEqual(access.open(stored), options.expected)) return false
    return access.update(access.seal(record), { expected: stored })
  }
  const endpoints = { get: (id: string) => inner.getEndpoint(id), update: (e: Endpoint, o?: UpdateOptions<Endpoint>) => inner.updateEndpoint(e, o), seal: sealEndpoint, open: openEndpoint }
  const hooks = { get: (id: string) => inner.getIncomingHook(id), update: (h: IncomingHook, o?: UpdateOptions<IncomingHook>) => inner.updateIncomingHook(h, o), seal: sealHook, open: openHook }

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
    updateEndpoint: (endpoint, options) => compareAndSet(endpoint, options, endpoints),
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
    updateIncomingHook: (hook, options) => compareAndSet(hook, options, hooks),
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
  /** Kind in the sealed values' binding. */
  binding: string
  list(page: { limit: number; offset: number }): Promise<T[]>
  get(id: string): Promise<T | null>
  update(record: T, options: UpdateOptions<T>): Promise<boolean>
  map(record: T, fn: SecretMapper): T
}

async function reencrypt(inner: WebhookStore, codec: SecretCodec, options: ReencryptOptions): Promise<ReencryptResult> {
  const batchSize = options.batchSize ?? 100
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError('reencryptSecrets options', [{ field: 'batchSize', message: `expected an integer >= 1, got \`${String(batchSize)}\` (${typeof batchSize})` }])
  }
  let firstError: EncryptionKeyError | null = null
  const run = async <T extends { id: string }>(access: RecordAccess<T>): Promise<ReencryptCounts> => {
    /**
     * The record with every secret under the newest key and bound to its place (plain text, older
     * keys and unbound `enc:v1:` values are sealed again); `null` when it is so already. Throws
     * EncryptionKeyError when a secret opens with no key.
     */
    const resealed = (record: T): T | null => {
      const next = access.map(record, (value, field) => {
        const binding = secretBinding(access.binding, record.id, field)
        return codec.isCurrent(value, binding) ? value : codec.seal(codec.open(value, binding), binding)
      })
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
            // Read again right before the write, and write only if the record is still what was
            // read (compare-and-set): the write replaces the whole record, and a concurrent
            // update between the read and the write must not be overwritten. Lost: read again.
            for (let tries = 0; tries < MAX_TRIES; tries++) {
              const fresh = await access.get(record.id)
              const next = fresh === null ? null : resealed(fresh)
              if (next === null) break
              if (await access.update(next, { expected: fresh! })) {
                changed++
                break
              }
            }
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
    binding: ENDPOINT,
    list: (page) => inner.listEndpoints(page),
    get: (id) => inner.getEndpoint(id),
    update: (record, options) => inner.updateEndpoint(record, options),
    map: mapEndpointSecrets,
  })
  const incomingHooks = await run<IncomingHook>({
    kind: 'incomingHooks',
    binding: INCOMING_HOOK,
    list: (page) => inner.listIncomingHooks(page),
    get: (id) => inner.getIncomingHook(id),
    update: (record, options) => inner.updateIncomingHook(record, options),
    map: mapIncomingHookSecrets,
  })
  return { keyId: codec.keyIds[0]!, endpoints, incomingHooks, firstError }
}
