import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSecretCodec, SEALED_PREFIX, type EncryptionKeyInput } from '../../src/crypto/secret-codec.js'
import { sealUnbound } from '../helpers/legacy-sealed.js'
import { unreadableSecret } from '../../src/crypto/secret-fields.js'
import { encryptedStore } from '../../src/store/encrypted-store.js'
import type { WebhookStore } from '../../src/store/types.js'
import type { Endpoint, IncomingHook } from '../../src/types.js'
import { at, endpointFixture, incomingHookFixture } from './fixtures.js'

/** What a store under the secrets-at-rest suite is. */
export interface SecretsStoreUnderTest {
  /** Suite name. */
  name: string
  /** A fresh, empty, migrated store. */
  create: () => Promise<WebhookStore>
  /**
   * Everything the store holds on disk (or in its rows) as text, for a grep: SQLite file + WAL
   * bytes, Postgres tables dumped as text. Omitted for the memory store (its records are read back
   * raw instead).
   */
  dump?: (store: WebhookStore) => Promise<string>
}

const key = (id: string): EncryptionKeyInput => ({ id, key: randomBytes(32) })

/** A value that is plain text when found anywhere in a dump. */
const plain = (label: string): string => `${label}-${randomBytes(9).toString('hex')}`

/** An endpoint carrying one of every kind of secret, each a distinct findable value. */
function secretEndpoint(): { endpoint: Endpoint; values: string[] } {
  const values = {
    current: `whsec_${randomBytes(24).toString('base64')}`,
    previous: `whsec_${randomBytes(24).toString('base64')}`,
    token: plain('bearer'),
    header: plain('header'),
    clientKey: `-----BEGIN PRIVATE KEY-----\n${plain('clientkey')}\n-----END PRIVATE KEY-----\n`,
    passphrase: plain('passphrase'),
    proxyPassword: plain('proxypass'),
  }
  const endpoint = endpointFixture({
    signatureScheme: 'standard-webhooks',
    secrets: [
      { secret: values.current, createdAt: at(10), expiresAt: null },
      { secret: values.previous, createdAt: at(0), expiresAt: at(86_400_000) },
    ],
    auth: { type: 'bearer', token: values.token },
    headers: { 'X-Api-Key': values.header, 'X-Tenant': 'visible-tenant' },
    tls: { cert: '-----BEGIN CERTIFICATE-----\nvisible-cert\n-----END CERTIFICATE-----\n', key: values.clientKey, passphrase: values.passphrase },
    proxy: `http://hooks:${values.proxyPassword}@proxy.internal:3128`,
  })
  return { endpoint, values: Object.values(values) }
}

function secretHook(): { hook: IncomingHook; value: string } {
  const value = plain('verify')
  return { hook: incomingHookFixture({ verification: { type: 'github', secret: value } }), value }
}

/**
 * Secrets at rest, for every store: the encrypting wrapper (`encryptedStore`, what the manager's
 * `encryptionKeys` puts over any store) keeps every secret sealed in the store underneath, reads
 * old plain-text rows, rotates keys and re-encrypts.
 */
export function testSecretsAtRest({ name, create, dump }: SecretsStoreUnderTest): void {
  describe(`secrets at rest: ${name}`, () => {
    let inner: WebhookStore
    beforeEach(async () => {
      inner = await create()
    })
    afterEach(async () => {
      await inner.close()
    })

    it('round-trips every secret, and the store underneath holds only ciphertext', async () => {
      const store = encryptedStore(inner, createSecretCodec([key('k1')]))
      const { endpoint, values } = secretEndpoint()
      const { hook, value } = secretHook()
      await store.createEndpoint(endpoint)
      await store.createIncomingHook(hook)

      expect(await store.getEndpoint(endpoint.id)).toEqual(endpoint)
      expect(await store.listEndpoints()).toEqual([endpoint])
      expect(await store.getIncomingHook(hook.id)).toEqual(hook)
      expect(await store.findIncomingHookByTokenHash(hook.tokenHash)).toEqual(hook)

      const raw = (await inner.getEndpoint(endpoint.id))!
      for (const s of raw.secrets) expect(s.secret.startsWith(`${SEALED_PREFIX}k1:`)).toBe(true)
      expect(raw.auth).toMatchObject({ type: 'bearer', token: expect.stringMatching(/^enc:v2:k1:/) })
      expect(raw.headers['X-Api-Key']).toMatch(/^enc:v2:k1:/)
      expect(raw.headers['X-Tenant']).toBe('visible-tenant') // not a credential: left readable
      expect(raw.tls).toMatchObject({ cert: expect.stringContaining('visible-cert'), key: expect.stringMatching(/^enc:v2:k1:/), passphrase: expect.stringMatching(/^enc:v2:k1:/) })
      expect(raw.proxy).toMatch(/^enc:v2:k1:/)
      expect((await inner.getIncomingHook(hook.id))!.verification!.secret).toMatch(/^enc:v2:k1:/)

      const text = dump ? await dump(inner) : JSON.stringify([await inner.listEndpoints(), await inner.listIncomingHooks()])
      for (const secret of [...values, value]) expect(text).not.toContain(secret)
      expect(text).toContain('visible-tenant')
    })

    it('reads plain-text rows written before encryption, and encrypts them when written', async () => {
      const { endpoint, values } = secretEndpoint()
      const { hook } = secretHook()
      await inner.createEndpoint(endpoint) // written by a store without keys
      await inner.createIncomingHook(hook)
      const store = encryptedStore(inner, createSecretCodec([key('k1')]))

      expect(await store.getEndpoint(endpoint.id)).toEqual(endpoint)
      expect(await store.getIncomingHook(hook.id)).toEqual(hook)
      const renamed = { ...endpoint, name: 'renamed' }
      expect(await store.updateEndpoint(renamed)).toBe(true)
      expect(await store.updateIncomingHook({ ...hook, version: 2 })).toBe(true)

      expect(await store.getEndpoint(endpoint.id)).toEqual(renamed)
      const raw = (await inner.getEndpoint(endpoint.id))!
      const stored = JSON.stringify(raw)
      for (const secret of values) expect(stored).not.toContain(secret)
      expect((await inner.getIncomingHook(hook.id))!.verification!.secret).toMatch(/^enc:v2:k1:/)
    })

    it('key rotation: a new key first encrypts, the old one still decrypts; reencryptSecrets moves everything to the new key, resumably', async () => {
      const k1 = key('k1')
      const k2 = key('k2')
      const before = encryptedStore(inner, createSecretCodec([k1]))
      const sealedByK1 = Array.from({ length: 5 }, () => secretEndpoint().endpoint)
      for (const e of sealedByK1) await before.createEndpoint(e)
      const legacy = secretEndpoint().endpoint
      await inner.createEndpoint(legacy) // plain text
      const { hook } = secretHook()
      await before.createIncomingHook(hook)

      const rotated = encryptedStore(inner, createSecretCodec([k2, k1]))
      const added = secretEndpoint().endpoint
      await rotated.createEndpoint(added)
      expect((await inner.getEndpoint(added.id))!.secrets[0]!.secret).toMatch(/^enc:v2:k2:/)
      for (const e of [...sealedByK1, legacy, added]) expect(await rotated.getEndpoint(e.id)).toEqual(e)

      const progress: number[] = []
      const result = await rotated.reencryptSecrets({ batchSize: 2, onProgress: (p) => progress.push(p.counts.scanned) })
      expect(result).toMatchObject({
        keyId: 'k2',
        endpoints: { scanned: 7, reencrypted: 6, unreadable: 0 },
        incomingHooks: { scanned: 1, reencrypted: 1, unreadable: 0 },
        firstError: null,
      })
      expect(progress.length).toBeGreaterThanOrEqual(4) // page by page
      // Idempotent: a second run (or one after an interruption) finds nothing left to do.
      expect(await rotated.reencryptSecrets({ batchSize: 3 })).toMatchObject({ endpoints: { scanned: 7, reencrypted: 0 }, incomingHooks: { reencrypted: 0 } })

      // k1 can go: everything opens with k2 alone, and nothing in the store names k1 any more.
      const onlyK2 = encryptedStore(inner, createSecretCodec([k2]))
      for (const e of [...sealedByK1, legacy, added]) {
        const read = (await onlyK2.getEndpoint(e.id))!
        expect(read).toEqual(e)
        expect(unreadableSecret(read)).toBeNull()
      }
      expect(await onlyK2.getIncomingHook(hook.id)).toEqual(hook)
      expect(JSON.stringify(await inner.listEndpoints())).not.toContain('enc:v2:k1:')
    })

    it('an interrupted re-encryption is finished by running it again', async () => {
      const k1 = key('k1')
      const k2 = key('k2')
      const old = encryptedStore(inner, createSecretCodec([k1]))
      const endpoints = Array.from({ length: 6 }, () => secretEndpoint().endpoint)
      for (const e of endpoints) await old.createEndpoint(e)
      const store = encryptedStore(inner, createSecretCodec([k2, k1]))
      // Stop after the first page (an operator's Ctrl-C, a crash): progress throws.
      await expect(
        store.reencryptSecrets({
          batchSize: 2,
          onProgress: () => {
            throw new Error('interrupted')
          },
        }),
      ).rejects.toThrow('interrupted')
      const result = await store.reencryptSecrets({ batchSize: 2 })
      expect(result.endpoints).toEqual({ scanned: 6, reencrypted: 4, unreadable: 0 })
      expect(JSON.stringify(await inner.listEndpoints())).not.toContain('enc:v2:k1:')
    })

    it('a missing or wrong key: the record still reads, its secret stays sealed, and the typed error names the key id', async () => {
      const { endpoint, values } = secretEndpoint()
      await encryptedStore(inner, createSecretCodec([key('k1')])).createEndpoint(endpoint)

      for (const keys of [[key('k9')], [key('k1')]]) {
        const store = encryptedStore(inner, createSecretCodec(keys))
        const read = (await store.getEndpoint(endpoint.id))!
        expect(read.name).toBe(endpoint.name)
        const json = JSON.stringify(read)
        for (const secret of values) expect(json).not.toContain(secret) // never garbage posing as the secret
        const error = unreadableSecret(read, keys.map((k) => k.id))
        expect(error).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
        expect(error!.message).toContain('"k1"')
        expect(error!.message).toMatch(keys[0]!.id === 'k9' ? /not configured/ : /does not match/)

        const result = await store.reencryptSecrets()
        expect(result.endpoints).toEqual({ scanned: 1, reencrypted: 0, unreadable: 1 })
        expect(result.firstError).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
      }
    })

    it('a record saved while a secret is unreadable keeps that secret; it opens again once its key is back', async () => {
      const k1 = key('k1')
      const { endpoint } = secretEndpoint()
      await encryptedStore(inner, createSecretCodec([k1])).createEndpoint(endpoint)
      const k2 = key('k2')
      const withoutK1 = encryptedStore(inner, createSecretCodec([k2]))
      const read = (await withoutK1.getEndpoint(endpoint.id))!
      expect(await withoutK1.updateEndpoint({ ...read, status: 'paused' })).toBe(true)

      const restored = encryptedStore(inner, createSecretCodec([k2, k1]))
      expect(await restored.getEndpoint(endpoint.id)).toEqual({ ...endpoint, status: 'paused' })
    })

    it('a ciphertext copied into another record or field does not open there', async () => {
      const store = encryptedStore(inner, createSecretCodec([key('k1')]))
      const a = secretEndpoint().endpoint
      const b = secretEndpoint().endpoint
      await store.createEndpoint(a)
      await store.createEndpoint(b)
      expect(await store.getEndpoint(a.id)).toEqual(a) // A's values are now in the codec's cache too
      const rawA = (await inner.getEndpoint(a.id))!
      const rawB = (await inner.getEndpoint(b.id))!
      const stolen = (rawA.auth as { token: string }).token
      // Into another row, same field; and into another field of the same row.
      await inner.updateEndpoint({ ...rawB, auth: { type: 'bearer', token: stolen } })
      await inner.updateEndpoint({ ...rawA, headers: { ...rawA.headers, 'X-Api-Key': stolen } })

      const readB = (await store.getEndpoint(b.id))!
      expect(readB.auth).toEqual({ type: 'bearer', token: stolen }) // kept sealed, never A's token
      expect(unreadableSecret(readB, ['k1'])).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1', message: expect.stringMatching(/another record or field/) })
      const readA = (await store.getEndpoint(a.id))!
      expect(readA.auth).toEqual(a.auth)
      expect(readA.headers['X-Api-Key']).toBe(stolen)
      expect((await store.reencryptSecrets()).endpoints).toMatchObject({ unreadable: 2 })
    })

    it('enc:v1: values (sealed before values were bound to their place) still open, and reencryptSecrets binds them (v2)', async () => {
      const k1 = key('k1')
      const { endpoint } = secretEndpoint()
      const { hook } = secretHook()
      const v1 = (value: string) => sealUnbound(k1.key as Uint8Array, 'k1', value)
      await inner.createEndpoint({ ...endpoint, secrets: endpoint.secrets.map((s) => ({ ...s, secret: v1(s.secret) })), auth: { type: 'bearer', token: v1((endpoint.auth as { token: string }).token) } })
      await inner.createIncomingHook({ ...hook, verification: { ...hook.verification!, secret: v1(hook.verification!.secret) } })
      const store = encryptedStore(inner, createSecretCodec([k1]))
      expect(await store.getEndpoint(endpoint.id)).toEqual(endpoint)
      expect(await store.getIncomingHook(hook.id)).toEqual(hook)

      const result = await store.reencryptSecrets()
      expect(result).toMatchObject({ endpoints: { reencrypted: 1, unreadable: 0 }, incomingHooks: { reencrypted: 1 } })
      const text = JSON.stringify([await inner.listEndpoints(), await inner.listIncomingHooks()])
      expect(text).not.toContain('enc:v1:')
      expect(text).toContain('enc:v2:k1:')
      expect(await store.getEndpoint(endpoint.id)).toEqual(endpoint)
      expect(await store.getIncomingHook(hook.id)).toEqual(hook)
    })

    it('updateEndpoint / updateIncomingHook with `expected` write only while the stored record is unchanged (compare-and-set)', async () => {
      const { endpoint } = secretEndpoint()
      const { hook } = secretHook()
      await inner.createEndpoint(endpoint)
      await inner.createIncomingHook(hook)
      const read = (await inner.getEndpoint(endpoint.id))!
      const readHook = (await inner.getIncomingHook(hook.id))!
      expect(await inner.updateEndpoint({ ...read, name: 'concurrent' })).toBe(true)
      expect(await inner.updateEndpoint({ ...read, name: 'stale' }, { expected: read })).toBe(false)
      expect((await inner.getEndpoint(endpoint.id))!.name).toBe('concurrent')
      const fresh = (await inner.getEndpoint(endpoint.id))!
      expect(await inner.updateEndpoint({ ...fresh, name: 'next' }, { expected: fresh })).toBe(true)
      expect((await inner.getEndpoint(endpoint.id))!.name).toBe('next')
      expect(await inner.updateEndpoint({ ...fresh, id: 'ep_missing' }, { expected: { ...fresh, id: 'ep_missing' } })).toBe(false)

      expect(await inner.updateIncomingHook({ ...readHook, version: 2 })).toBe(true)
      expect(await inner.updateIncomingHook({ ...readHook, version: 3 }, { expected: readHook })).toBe(false)
      const freshHook = (await inner.getIncomingHook(hook.id))!
      expect(await inner.updateIncomingHook({ ...freshHook, version: 3 }, { expected: freshHook })).toBe(true)
      expect((await inner.getIncomingHook(hook.id))!.version).toBe(3)

      // Through the encrypting wrapper: `expected` is the plain-text record it returned.
      const store = encryptedStore(inner, createSecretCodec([key('k1')]))
      const plainRead = (await store.getEndpoint(endpoint.id))!
      await store.updateEndpoint({ ...plainRead, name: 'other writer' })
      expect(await store.updateEndpoint({ ...plainRead, name: 'stale' }, { expected: plainRead })).toBe(false)
      const plainFresh = (await store.getEndpoint(endpoint.id))!
      expect(await store.updateEndpoint({ ...plainFresh, name: 'cas' }, { expected: plainFresh })).toBe(true)
      expect((await store.getEndpoint(endpoint.id))!).toEqual({ ...endpoint, name: 'cas' })
    })

    it('reencryptSecrets never overwrites an update made between its read and its write (compare-and-set)', async () => {
      const k1 = key('k1')
      const k2 = key('k2')
      const { endpoint } = secretEndpoint()
      const { hook } = secretHook()
      const old = encryptedStore(inner, createSecretCodec([k1]))
      await old.createEndpoint(endpoint)
      await old.createIncomingHook(hook)
      // Another process (still on k1 alone) renames both records right after reencrypt's
      // read-before-write of each: the moment the lost update used to happen.
      let armed = true
      const racing: WebhookStore = Object.create(inner, {
        getEndpoint: {
          value: async (id: string) => {
            const read = await inner.getEndpoint(id)
            if (armed && read !== null) {
              armed = false
              await old.updateEndpoint({ ...(await old.getEndpoint(id))!, name: 'renamed meanwhile' })
            }
            return read
          },
        },
        getIncomingHook: {
          value: async (id: string) => {
            const read = await inner.getIncomingHook(id)
            if (read !== null && read.version === hook.version) await old.updateIncomingHook({ ...(await old.getIncomingHook(id))!, version: hook.version + 1 })
            return read
          },
        },
      })
      const result = await encryptedStore(racing, createSecretCodec([k2, k1])).reencryptSecrets()
      expect(result).toMatchObject({ endpoints: { reencrypted: 1, unreadable: 0 }, incomingHooks: { reencrypted: 1, unreadable: 0 } })
      const onlyK2 = encryptedStore(inner, createSecretCodec([k2]))
      expect(await onlyK2.getEndpoint(endpoint.id)).toEqual({ ...endpoint, name: 'renamed meanwhile' })
      expect(await onlyK2.getIncomingHook(hook.id)).toEqual({ ...hook, version: hook.version + 1 })
    })
  })
}
