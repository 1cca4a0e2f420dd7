import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as hookline from '../src/index.js'
import * as postgres from '../src/store/postgres/index.js'
import * as sqlite from '../src/store/sqlite/index.js'

describe('public surface', () => {
  it('src/index.ts exports exactly these runtime names', () => {
    expect(Object.keys(hookline).sort()).toMatchInlineSnapshot(`
      [
        "ConflictError",
        "DEFAULT_RETRY_POLICY",
        "EncryptionKeyError",
        "HooklineError",
        "ManagerClosedError",
        "NotFoundError",
        "PayloadTooLargeError",
        "SignatureError",
        "StoreError",
        "TemplateError",
        "VERSION",
        "ValidationError",
        "WebhookManager",
        "assertSignature",
        "checkIncomingSignature",
        "checkSignature",
        "createConsoleHandler",
        "createManagementHandler",
        "createWebhookManager",
        "generateSecret",
        "isHooklineError",
        "memoryStore",
        "renderTransform",
        "sign",
        "toHonoHandler",
        "toKoaMiddleware",
        "toNodeHandler",
        "toPrometheusText",
        "verifySignature",
      ]
    `)
  })

  it('the adapter subpaths export their store factories', () => {
    expect(Object.keys(sqlite).sort()).toMatchInlineSnapshot(`
      [
        "sqliteStore",
      ]
    `)
    expect(Object.keys(postgres).sort()).toMatchInlineSnapshot(`
      [
        "postgresStore",
      ]
    `)
  })

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(hookline.VERSION).toBe(pkg.version)
  })
})
