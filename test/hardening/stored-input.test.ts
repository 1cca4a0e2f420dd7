import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, memoryStore, ValidationError, type WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'

const pgContext = createPgTestContext()
const dir = mkdtempSync(join(tmpdir(), 'hookline-stored-input-'))
afterAll(async () => {
  await pgContext.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const stores: { name: string; skip: boolean; create: () => WebhookStore }[] = [
  { name: 'memory', skip: false, create: () => memoryStore() },
  { name: 'sqlite', skip: false, create: () => sqliteStore({ filename: join(dir, `${Math.random().toString(36).slice(2)}.db`) }) },
  { name: 'postgres', skip: !pgAvailable, create: () => postgresStore({ connectionString: PG_URL, schema: pgContext.schema() }) },
]

/** `depth` nested arrays around 1, as JSON text. */
const nestedText = (depth: number): string => '['.repeat(depth) + '1' + ']'.repeat(depth)
const nested = (depth: number): unknown => JSON.parse(nestedText(depth))

function setup(create: () => WebhookStore) {
  const store = create()
  const manager = createWebhookManager({ store })
  const errors: unknown[] = []
  const api = createManagementHandler(manager, { authorize: () => true, onError: (e) => errors.push(e) })
  const call = async (method: string, path: string, body?: string) => {
    const res = await api(
      new Request(`http://api.test/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      }),
    )
    const text = await res.text()
    return { status: res.status, body: JSON.parse(text) as any }
  }
  return { store, manager, api, call, errors }
}

const endpoint = (extra: Record<string, unknown>) => JSON.stringify({ url: 'https://example.com/hook', events: ['a.b'], ...extra })

for (const { name, skip, create } of stores) {
  describe.skipIf(skip)(`stored input (${name})`, () => {
    it('over-deep metadata or filters → 400 naming the field; nothing stored, the tenant list still answers', async () => {
      const t = setup(create)
      try {
        // ~4 500 nested arrays in a 9 KiB body (the audit's case).
        const deep = `{"url":"https://example.com/hook","events":["a.b"],"metadata":{"x":${nestedText(4500)}}}`
        const refused = await t.call('POST', '/webhooks', deep)
        expect(refused.status).toBe(400)
        expect(refused.body.error.code).toBe('VALIDATION_ERROR')
        const filters = await t.call('POST', '/webhooks', `{"url":"https://example.com/hook","events":["a.b"],"filters":{"x":${nestedText(40)}}}`)
        expect([filters.status, filters.body.error.fields?.[0]?.field]).toEqual([400, expect.stringMatching(/^filters\.x/)])
        const meta = await t.call('POST', '/webhooks', endpoint({ metadata: { x: nested(40) } }))
        expect([meta.status, meta.body.error.fields?.[0]?.field]).toEqual([400, expect.stringMatching(/^metadata\.x(\.0)+$/)])
        const incoming = await t.call('POST', '/incoming', `{"name":"n","route":"r","metadata":{"x":${nestedText(4500)}}}`)
        expect(incoming.status).toBe(400)
        const list = await t.call('GET', '/webhooks')
        expect([list.status, list.body.webhooks]).toEqual([200, []])
        expect((await t.call('GET', '/incoming')).body.incoming_hooks).toEqual([])
        expect(t.errors).toEqual([])
      } finally {
        await t.manager.close()
      }
    })

    it('library: createEndpoint / updateEndpoint refuse metadata JSON cannot hold (BigInt, cycle, depth) naming the path', async () => {
      const t = setup(create)
      try {
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        const cases: [unknown, string][] = [
          [{ n: 1n }, 'metadata.n'],
          [{ a: cyclic }, 'metadata.a.self'],
          [{ deep: nested(40) }, 'metadata.deep'],
          [{ s: 'a\u0000b' }, 'metadata.s'],
          [{ s: '\ud800' }, 'metadata.s'],
          [{ '\udc00': 1 }, 'metadata.\udc00'],
        ]
        for (const [metadata, field] of cases) {
          const error = await t.manager.createEndpoint({ url: 'https://example.com/hook', events: ['a.b'], metadata: metadata as Record<string, unknown> }).catch((e: unknown) => e)
          expect(error).toBeInstanceOf(ValidationError)
          expect((error as ValidationError).fields[0]?.field.startsWith(field)).toBe(true)
        }
        const bad = await t.manager.createEndpoint({ url: 'https://example.com/hook', events: ['a.b'], filters: { x: 2n } }).catch((e: unknown) => e)
        expect((bad as ValidationError).fields).toEqual([{ field: 'filters.x', message: expect.stringMatching(/BigInt/) }])
        expect(await t.manager.listEndpoints()).toEqual([])

        const ep = await t.manager.createEndpoint({ url: 'https://example.com/hook', events: ['a.b'], metadata: { ok: nested(20) as never } })
        const update = await t.manager.updateEndpoint(ep.id, { metadata: { n: 1n } as never }).catch((e: unknown) => e)
        expect((update as ValidationError).fields).toEqual([{ field: 'metadata.n', message: expect.stringMatching(/BigInt/) }])
        expect((await t.manager.getEndpoint(ep.id)).metadata).toEqual({ ok: nested(20) })
      } finally {
        await t.manager.close()
      }
    })

    it('a NUL in any id answers 404 (an id that cannot exist); text a store cannot hold → 400 naming the field', async () => {
      const t = setup(create)
      try {
        for (const path of ['/webhooks/%00', '/webhooks/ep_%00/deliveries', '/webhooks/%00/stats', '/deliveries/%00', '/deliveries/%00/retry', '/incoming/%00', '/incoming/%00/logs']) {
          const method = path.endsWith('/retry') ? 'POST' : 'GET'
          const answer = await t.call(method, path)
          expect([path, answer.status, answer.body.error.code]).toEqual([path, 404, 'NOT_FOUND'])
        }
        const filtered = await t.call('GET', '/deliveries?webhook_id=%00')
        expect(filtered.status).toBeLessThan(500)
        const surrogate = await t.call('POST', '/webhooks', '{"url":"https://example.com/hook","events":["a.b"],"metadata":{"s":"\\ud800"}}')
        expect([surrogate.status, surrogate.body.error.fields]).toEqual([400, [{ field: 'metadata.s', message: expect.stringMatching(/lone UTF-16 surrogate/) }]])
        const nul = await t.call('POST', '/webhooks', '{"url":"https://example.com/hook","events":["a.b"],"metadata":{"s":"\\u0000"}}')
        expect([nul.status, nul.body.error.fields]).toEqual([400, [{ field: 'metadata.s', message: expect.stringMatching(/NUL/) }]])
        const hook = await t.call('POST', '/incoming', '{"name":"n","route":"r","metadata":{"s":"\\udfff"}}')
        expect([hook.status, hook.body.error.fields?.[0]?.field]).toEqual([400, 'metadata.s'])
        expect(t.errors).toEqual([])
      } finally {
        await t.manager.close()
      }
    })

    it('emit data and metadata keep a NUL and a lone surrogate exactly (stored losslessly)', async () => {
      const t = setup(create)
      try {
        await t.manager.createEndpoint({ url: 'https://example.com/hook', events: ['a.b'] })
        const data = { s: 'a\u0000b\ud800c', [`k\udc00`]: 1 }
        const { messageId } = await t.manager.emit('a.b', data, { metadata: { m: '\u0000\udfff' } })
        const message = await t.store.getMessage(messageId)
        expect(message?.data).toEqual(data)
        expect(message?.metadata).toEqual({ m: '\u0000\udfff' })
      } finally {
        await t.manager.close()
      }
    })

    it('control characters in URLs, names, header values and owners are refused naming the field; duplicate events are merged', async () => {
      const t = setup(create)
      try {
        const cases: [Record<string, unknown>, string][] = [
          [{ url: 'https://example.com/a\u0000b' }, 'url'],
          [{ url: 'https://exa\r\nmple.com/' }, 'url'],
          [{ name: 'x\u001b[2J\u001b]0;pwned\u0007' }, 'name'],
          [{ name: 'bell\u0007' }, 'name'],
          [{ description: 'clear\u001b[2J' }, 'description'],
          [{ headers: { 'X-A': 'v\u009b31m' } }, 'headers.X-A'],
          [{ owner: 'acme\u0000' }, 'owner'],
        ]
        for (const [extra, field] of cases) {
          const answer = await t.call('POST', '/webhooks', endpoint(extra))
          expect([JSON.stringify(extra), answer.status, answer.body.error.fields?.[0]?.field]).toEqual([JSON.stringify(extra), 400, field])
        }
        const hookName = await t.call('POST', '/incoming', JSON.stringify({ name: 'n\u001b]0;x\u0007', route: 'r' }))
        expect([hookName.status, hookName.body.error.fields?.[0]?.field]).toEqual([400, 'name'])
        const hookRoute = await t.call('POST', '/incoming', JSON.stringify({ name: 'n', route: 'r\r\n' }))
        expect(hookRoute.status).toBe(201)
        expect(hookRoute.body.route).toBe('r')
        expect((await t.call('GET', '/webhooks')).body.webhooks).toEqual([])

        const prose = await t.call('POST', '/webhooks', endpoint({ description: 'two\nlines\tand a tab' }))
        expect(prose.status).toBe(201)
        const dup = await t.call('POST', '/webhooks', endpoint({ events: ['a.b', 'a.*', 'a.b', 'a.*'] }))
        expect([dup.status, dup.body.events]).toEqual([201, ['a.b', 'a.*']])
        const updated = await t.manager.updateEndpoint(dup.body.id, { events: ['x.y', 'x.y'] })
        expect(updated.events).toEqual(['x.y'])
      } finally {
        await t.manager.close()
      }
    })
  })
}
