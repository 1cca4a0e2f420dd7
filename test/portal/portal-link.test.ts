import { describe, expect, it } from 'vitest'
import { createWebhookManager, ValidationError } from '../../src/index.js'
import { signPortalToken, verifyPortalToken } from '../../src/portal/portal-token.js'

const SECRET = 'a-portal-secret-of-at-least-32-characters'

describe('.portalLink()', () => {
  it('signs a link for one tenant that verifies until it expires', () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const manager = createWebhookManager({ clock: { now: () => now }, portalSecret: SECRET })
    const link = manager.portalLink({ owner: 'acme', expiresIn: 3_600_000, url: 'https://app.example.com/hooks/' })
    expect(link.url).toBe(`https://app.example.com/hooks/#portal=${link.token}`)
    expect(link.expiresAt.toISOString()).toBe('2026-01-01T01:00:00.000Z')
    expect(manager.verifyPortalToken(link.token)).toEqual({ owner: 'acme', expiresAt: link.expiresAt })
    now += 3_599_000
    expect(manager.verifyPortalToken(link.token)?.owner).toBe('acme')
    now += 1000
    expect(manager.verifyPortalToken(link.token)).toBeNull()
  })

  it('verifies across managers sharing portalSecret, and not with another secret', () => {
    const a = createWebhookManager({ portalSecret: SECRET })
    const b = createWebhookManager({ portalSecret: SECRET })
    const c = createWebhookManager()
    const { token } = a.portalLink({ owner: 'acme', expiresIn: 60_000 })
    expect(b.verifyPortalToken(token)?.owner).toBe('acme')
    expect(c.verifyPortalToken(token)).toBeNull()
  })

  it('refuses bad options with a ValidationError naming the field', () => {
    const manager = createWebhookManager()
    expect(() => manager.portalLink({ owner: '', expiresIn: 60_000 })).toThrow(ValidationError)
    for (const [options, field] of [
      [{ owner: '', expiresIn: 60_000 }, 'owner'],
      [{ owner: 'acme', expiresIn: 0 }, 'expiresIn'],
      [{ owner: 'acme', expiresIn: 91 * 86_400_000 }, 'expiresIn'],
      [{ owner: 'acme', expiresIn: 60_000, url: 'https://x/#a' }, 'url'],
    ] as const) {
      try {
        manager.portalLink(options)
        expect.unreachable()
      } catch (error) {
        expect((error as ValidationError).fields.map((f) => f.field)).toEqual([field])
      }
    }
    expect(() => createWebhookManager({ portalSecret: 'short' })).toThrow(/portalSecret/)
  })

  it('rejects tokens whose owner or expiry was changed, or that are malformed', () => {
    const now = Date.now()
    const token = signPortalToken(SECRET, { owner: 'acme', expiresAt: new Date(now + 60_000) })
    const [p, payload, mac] = token.split('.') as [string, string, string]
    const swapped = Buffer.from(JSON.stringify({ o: 'globex', e: Math.floor(now / 1000) + 60 })).toString('base64url')
    const later = Buffer.from(JSON.stringify({ o: 'acme', e: Math.floor(now / 1000) + 999_999 })).toString('base64url')
    for (const bad of [`${p}.${swapped}.${mac}`, `${p}.${later}.${mac}`, `hlp2.${payload}.${mac}`, `${token}x`, '', 'hlp1..', token.toUpperCase()]) {
      expect(verifyPortalToken(SECRET, bad, now), bad).toBeNull()
    }
    expect(verifyPortalToken(SECRET, token, now)?.owner).toBe('acme')
  })
})
