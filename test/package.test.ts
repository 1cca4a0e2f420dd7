import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const outDir = mkdtempSync(join(tmpdir(), 'hookline-pkg-'))
const consumer = join(outDir, 'consumer')

// Builds the package (tsup, as published) into a copy of the package layout, then uses it from a
// separate project the way a host application would.
beforeAll(() => {
  const pkgDir = join(outDir, 'hookline')
  mkdirSync(pkgDir)
  execFileSync(join(root, 'node_modules/.bin/tsup'), ['--out-dir', join(pkgDir, 'dist'), '--silent'], { cwd: root, stdio: 'pipe' })
  for (const f of ['package.json', 'README.md', 'LICENSE']) symlinkSync(join(root, f), join(pkgDir, f))
  symlinkSync(join(root, 'node_modules'), join(pkgDir, 'node_modules'))
  mkdirSync(join(consumer, 'node_modules'), { recursive: true })
  symlinkSync(pkgDir, join(consumer, 'node_modules', 'hookline'))
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
}, 180_000)
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' }).trim()

describe('built package', () => {
  it('ships ESM with bundled type declarations for every subpath', () => {
    for (const f of ['index.js', 'index.d.ts', 'verify.js', 'verify.d.ts', 'sqlite.js', 'sqlite.d.ts', 'postgres.js', 'postgres.d.ts', 'cli.js', 'console-assets/app.js', 'console-assets/app.css']) {
      expect(existsSync(join(outDir, 'hookline', 'dist', f)), f).toBe(true)
    }
  })

  it('imports from an ESM host, subpaths included, and signs', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import { createWebhookManager, sign } from 'hookline'
       import { sqliteStore } from 'hookline/sqlite'
       import { postgresStore } from 'hookline/postgres'
       const m = createWebhookManager({ store: sqliteStore({ filename: ':memory:' }) })
       await m.migrate()
       const ep = await m.createEndpoint({ url: 'https://example.com/hook', events: ['*'] })
       console.log(typeof postgresStore, ep.id.startsWith('ep_'), sign({ secret: 'k', body: 'b' }).slice(0, 7))
       await m.close()`,
    ])
    expect(out).toBe('function true sha256=')
  })

  it('serves the console from the prebuilt assets it ships (no bundler at run time)', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import { createConsoleHandler, createWebhookManager } from 'hookline'
       const m = createWebhookManager()
       const handler = createConsoleHandler(m, { authorize: () => true })
       const page = await handler(new Request('http://localhost/console/'))
       const js = await handler(new Request('http://localhost/console/assets/app.js'))
       const css = await handler(new Request('http://localhost/console/assets/app.css'))
       console.log(page.status, js.status, css.status, js.headers.get('content-type'), (await js.text()).length > 10000, page.headers.get('content-security-policy').startsWith("default-src 'self'"))
       await m.close()`,
    ])
    expect(out).toBe('200 200 200 text/javascript; charset=utf-8 true true')
  })

  it('loads with require() from a CommonJS host (Node >= 20.19)', () => {
    expect(run(['-e', "const h = require('hookline'); console.log(typeof h.createWebhookManager)"])).toBe('function')
  })
})
