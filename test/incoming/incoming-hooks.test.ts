import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConflictError, createWebhookManager, memoryStore, NotFoundError, ValidationError } from '../../src/index.js'

function setup() {
  const store = memoryStore()
  const clock = { t: Date.parse('2025-01-01T00:00:00Z'), now: () => clock.t }
  const manager = createWebhookManager({ store, clock })
  return { store, clock, manager }
}

describe('incoming hook definitions', () => {
  it('.createIncomingHook() - returns a 256-bit URL-safe token once and stores only its SHA-256', async () => {
    const { store, manager } = setup()
    const hook = await manager.createIncomingHook({ name: 'External System Webhook', route: 'agent-1', transform: '{{ data | tojson }}' })
    expect(hook.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(hook.path).toBe(`/webhook/${hook.token}`)
    expect(hook).toMatchObject({
      id: expect.stringMatching(/^ih_/),
      name: 'External System Webhook',
      route: 'agent-1',
      active: true,
      rateLimitPerMinute: 100,
      allowedIps: [],
      verification: null,
      dedupeWindowMs: null,
      maxBodyBytes: 1_048_576,
      version: 1,
      tokenPrefix: hook.token!.slice(0, 6),
    })
    expect(hook).not.toHaveProperty('tokenHash')
    const stored = await store.getIncomingHook(hook.id)
    expect(stored?.tokenHash).toBe(createHash('sha256').update(hook.token!).digest('hex'))
    expect(JSON.stringify(stored)).not.toContain(hook.token)

    const again = await manager.getIncomingHook(hook.id)
    expect(again).not.toHaveProperty('token')
    expect(again).not.toHaveProperty('tokenHash')
    const other = await manager.createIncomingHook({ name: 'b', route: 'r' })
    expect(other.token).not.toBe(hook.token)
  })

  it('.createIncomingHook() - invalid input names every bad field, templates included', async () => {
    const { manager } = setup()
    const error = await manager
      .createIncomingHook({
        name: '',
        route: 'r',
        rateLimitPerMinute: 0,
        allowedIps: ['10.0.0.0/8', 'not-an-ip'],
        verification: { type: 'standard-webhooks', secret: 'nope!' },
        maxBodyBytes: -1,
        // @ts-expect-error unknown field
        agent_id: 1,
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    const fields = (error as ValidationError).fields.map((f) => f.field)
    expect(fields).toEqual(expect.arrayContaining(['name', 'rateLimitPerMinute', 'allowedIps.1', 'verification.secret', 'maxBodyBytes', 'agent_id']))

    const template = await manager
      .createIncomingHook({ name: 'x', route: 'r', transform: { context: { email: '{{ email | nope }}' }, evil: '{{ range.constructor }}' } })
      .catch((e: unknown) => e)
    expect((template as ValidationError).fields).toEqual([
      { field: 'transform.context.email', message: expect.stringMatching(/unknown filter `nope`/) },
      { field: 'transform.evil', message: expect.stringMatching(/`constructor` is not allowed/) },
    ])
    await expect(manager.createIncomingHook({ name: 'x', route: 'r', transform: '{% include "x.html" %}' })).rejects.toThrow(/include is not available/)
  })

  it('incomingPath sets the path shown and the handler\'s default mount path', async () => {
    const manager = createWebhookManager({ incomingPath: '/hooks/in' })
    manager.onIncoming('r', () => ({ ok: 1 }))
    const hook = await manager.createIncomingHook({ name: 'h', route: 'r' })
    expect(hook.path).toBe(`/hooks/in/${hook.token}`)
    expect((await manager.rotateIncomingToken(hook.id)).path).toMatch(/^\/hooks\/in\/[A-Za-z0-9_-]{43}$/)
    const fresh = await manager.createIncomingHook({ name: 'h2', route: 'r' })
    const res = await manager.incomingHandler()(new Request(`http://local${fresh.path}`, { method: 'POST', body: '{}' }))
    expect(res.status).toBe(200)
    await manager.close()
  })

  it('verification secrets are redacted unless asked for', async () => {
    const { manager } = setup()
    const created = await manager.createIncomingHook({
      name: 'gh',
      route: 'ci',
      verification: { type: 'hmac', secret: 's3cret', header: 'X-Signature', encoding: 'base64', prefix: 'sha256=' },
    })
    expect(created.verification).toMatchObject({ secret: 's3cret' })
    expect((await manager.getIncomingHook(created.id)).verification).toEqual({
      type: 'hmac',
      secret: '[redacted]',
      header: 'X-Signature',
      encoding: 'base64',
      prefix: 'sha256=',
    })
    expect((await manager.getIncomingHook(created.id, { includeSecrets: true })).verification).toMatchObject({ secret: 's3cret' })
    const [listed] = await manager.listIncomingHooks()
    expect(JSON.stringify(listed)).not.toContain('s3cret')
    const updated = await manager.updateIncomingHook(created.id, { name: 'renamed' })
    expect(JSON.stringify(updated)).not.toContain('s3cret')
    // A view saved back over its hook must not replace the secret with the placeholder.
    const view = await manager.getIncomingHook(created.id)
    const error = await manager.updateIncomingHook(created.id, { verification: view.verification }).catch((e: unknown) => e)
    expect((error as ValidationError).fields).toEqual([{ field: 'verification.secret', message: expect.stringContaining('placeholder') }])
    expect((await manager.getIncomingHook(created.id, { includeSecrets: true })).verification).toMatchObject({ secret: 's3cret' })
  })

  it('.updateIncomingHook() - partial, bumps the version, validates, and scopes by owner', async () => {
    const { manager, clock } = setup()
    const hook = await manager.createIncomingHook({ name: 'a', route: 'r', owner: 'acme' })
    clock.t += 1000
    const next = await manager.updateIncomingHook(hook.id, { active: false, rateLimitPerMinute: 1000, dedupeWindowMs: 60_000 }, { owner: 'acme' })
    expect(next).toMatchObject({ name: 'a', active: false, rateLimitPerMinute: 1000, dedupeWindowMs: 60_000, version: 2 })
    expect(next.updatedAt.getTime()).toBe(hook.createdAt.getTime() + 1000)
    await expect(manager.updateIncomingHook(hook.id, { name: 'x' }, { owner: 'globex' })).rejects.toBeInstanceOf(NotFoundError)
    await expect(manager.updateIncomingHook(hook.id, { transform: '{{ x | nope }}' })).rejects.toBeInstanceOf(ValidationError)
    await expect(manager.getIncomingHook(hook.id, { owner: 'globex' })).rejects.toBeInstanceOf(NotFoundError)
    await expect(manager.listIncomingLogs(hook.id, { owner: 'globex' })).rejects.toBeInstanceOf(NotFoundError)
  })

  it('.listIncomingHooks() - paginates and filters by owner', async () => {
    const { manager } = setup()
    for (let i = 0; i < 5; i++) await manager.createIncomingHook({ name: `h${i}`, route: 'r', owner: i % 2 === 0 ? 'acme' : 'globex' })
    expect((await manager.listIncomingHooks({ limit: 2 })).map((h) => h.name)).toEqual(['h0', 'h1'])
    expect((await manager.listIncomingHooks({ limit: 2, offset: 4 })).map((h) => h.name)).toEqual(['h4'])
    expect((await manager.listIncomingHooks({ owner: 'acme' })).map((h) => h.name)).toEqual(['h0', 'h2', 'h4'])
    await expect(manager.listIncomingHooks({ limit: 0 })).rejects.toBeInstanceOf(ValidationError)
  })

  it('.rotateIncomingToken() and .deleteIncomingHook()', async () => {
    const { manager, store } = setup()
    const hook = await manager.createIncomingHook({ name: 'a', route: 'r' })
    const rotated = await manager.rotateIncomingToken(hook.id)
    expect(rotated.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(rotated.token).not.toBe(hook.token)
    expect(rotated.version).toBe(2)
    expect(await store.findIncomingHookByTokenHash(createHash('sha256').update(hook.token!).digest('hex'))).toBeNull()
    expect(await store.findIncomingHookByTokenHash(createHash('sha256').update(rotated.token!).digest('hex'))).not.toBeNull()
    await manager.deleteIncomingHook(hook.id)
    await expect(manager.getIncomingHook(hook.id)).rejects.toBeInstanceOf(NotFoundError)
    await expect(manager.deleteIncomingHook(hook.id)).rejects.toBeInstanceOf(NotFoundError)
  })

  it('.onIncoming() - one handler per route, unregistering frees it', () => {
    const { manager } = setup()
    const off = manager.onIncoming('agent-1', () => undefined)
    expect(() => manager.onIncoming('agent-1', () => undefined)).toThrow(ConflictError)
    off()
    expect(() => manager.onIncoming('agent-1', () => undefined)).not.toThrow()
    expect(() => manager.onIncoming('', () => undefined)).toThrow(ValidationError)
  })
})
